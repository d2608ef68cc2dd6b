/**
 * Chat-like messages for bench/ingest.ts: calls of N messages alternating user and assistant, where
 * the user sometimes states something about themself that the local extractor reads ("I live in
 * Porto", "I love hiking", "My sister is called Ana") and otherwise chats ("lol ok", "can you help
 * me with an email?"), which it ignores; the assistant only chats.
 *
 * Each entity has its own persona (where it lives, what it loves and dislikes, its relatives'
 * names, its job, languages, pet), picked from word lists by a generator seeded with the entity's
 * number: an entity says the same things about itself every time it comes back (so facts get
 * mentioned again rather than multiplying), different entities say different things.
 */

import { seededRandom } from './random.ts';

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const CITIES = [
  'Lisbon',
  'Porto',
  'Madrid',
  'Barcelona',
  'Berlin',
  'Munich',
  'Paris',
  'Lyon',
  'London',
  'Manchester',
  'Leeds',
  'Dublin',
  'Amsterdam',
  'Rotterdam',
  'Brussels',
  'Vienna',
  'Prague',
  'Warsaw',
  'Krakow',
  'Budapest',
  'Rome',
  'Milan',
  'Naples',
  'Athens',
  'Stockholm',
  'Oslo',
  'Copenhagen',
  'Helsinki',
  'Toronto',
  'Montreal',
  'Vancouver',
  'Chicago',
  'Boston',
  'Seattle',
  'Denver',
  'Austin',
  'Tokyo',
  'Osaka',
  'Seoul',
  'Sydney',
  'Melbourne',
  'Auckland',
  'Nairobi',
  'Lagos',
  'Cairo',
  'Mumbai',
] as const;

const LOVES = [
  'hiking',
  'sushi',
  'board games',
  'jazz',
  'cooking',
  'running',
  'photography',
  'gardening',
  'yoga',
  'chess',
  'climbing',
  'swimming',
  'baking',
  'painting',
  'cycling',
  'pizza',
  'ramen',
  'reading',
  'knitting',
  'surfing',
  'camping',
  'tennis',
  'skiing',
  'poetry',
  'dancing',
  'tacos',
] as const;

const DISLIKES = [
  'coffee',
  'olives',
  'horror movies',
  'mushrooms',
  'crowds',
  'spicy food',
  'rain',
  'cilantro',
  'traffic',
  'reality shows',
  'tea',
  'cats',
  'winter',
] as const;

const NAMES = [
  'Maria',
  'Ana',
  'Sofia',
  'Emma',
  'Olivia',
  'Lucia',
  'Clara',
  'Julia',
  'Nora',
  'Elena',
  'Laura',
  'Marta',
  'Alice',
  'Hannah',
  'Chloe',
  'Zoe',
  'Luke',
  'Tom',
  'David',
  'Daniel',
  'Pedro',
  'Marco',
  'Lucas',
  'Noah',
  'Liam',
  'Oscar',
  'Hugo',
  'Leo',
  'Felix',
  'Adam',
  'Samuel',
  'Diego',
  'Ivan',
] as const;

const OCCUPATIONS = [
  'nurse',
  'teacher',
  'software engineer',
  'designer',
  'chef',
  'lawyer',
  'doctor',
  'architect',
  'accountant',
  'photographer',
  'journalist',
  'pharmacist',
  'electrician',
  'librarian',
  'pilot',
] as const;

const LANGUAGES = [
  'Portuguese',
  'Spanish',
  'German',
  'French',
  'Italian',
  'Japanese',
  'Dutch',
  'Polish',
] as const;

const PETS = ['dog', 'cat', 'rabbit', 'parrot'] as const;
const PET_NAMES = ['Biscuit', 'Luna', 'Max', 'Pepper', 'Milo', 'Coco', 'Rocky', 'Mochi'] as const;

/** What the user says that the extractor ignores: questions, reactions, requests, opinions. */
const USER_CHATTER = [
  'lol that is funny',
  'ok thanks!',
  'haha yes exactly',
  'what do you think about the weather today?',
  'Can you help me write an email to my landlord?',
  'I think it might rain tomorrow',
  'hmm not sure about that one',
  'could you make it shorter please',
  'what time is it in Tokyo right now?',
  'that makes sense, go on',
  'wait, can you explain that again?',
  'any ideas for dinner tonight?',
  'how do I convert 5 miles to kilometers?',
  'cool, and what about the second option?',
  'nah that is too expensive',
  'good morning!',
  'can you summarize this article for me',
  'what should I watch this weekend?',
  'thanks, that was really helpful',
  'is it true that octopuses have three hearts?',
] as const;

/** What the assistant says: never about the user, so never extracted. */
const ASSISTANT_CHATTER = [
  'Sure! Here is a shorter version.',
  'Happy to help. What tone would you like for the email?',
  'Good question: it depends on what you care about most.',
  'Here are three ideas you could try tonight.',
  'That is about 8 kilometers.',
  'Of course. Let me break it down step by step.',
  'Yes, octopuses have three hearts and blue blood.',
  'I would go with the second option; it is cheaper in the long run.',
  'Good morning! How can I help today?',
  'Here is a summary in five bullet points.',
  'Noted. Anything else you want to add?',
  'That sounds lovely, thanks for sharing!',
] as const;

/** One entity's facts about itself, the same every time it is asked for. */
export interface Persona {
  city: string;
  hometown: string;
  loves: string[];
  dislikes: string;
  sister: string;
  brother: string;
  brotherCity: string;
  occupation: string;
  language: string;
  pet: string;
  petName: string;
  name: string;
}

export function persona(entity: number): Persona {
  const random = seededRandom(entity * 2654435761);
  return {
    city: pick(random, CITIES),
    hometown: pick(random, CITIES),
    loves: [pick(random, LOVES), pick(random, LOVES), pick(random, LOVES)],
    dislikes: pick(random, DISLIKES),
    sister: pick(random, NAMES),
    brother: pick(random, NAMES),
    brotherCity: pick(random, CITIES),
    occupation: pick(random, OCCUPATIONS),
    language: pick(random, LANGUAGES),
    pet: pick(random, PETS),
    petName: pick(random, PET_NAMES),
    name: pick(random, NAMES),
  };
}

/** First-person statements the local extractor turns into facts and triples. */
const STATEMENTS: ((p: Persona, random: () => number) => string)[] = [
  (p) => `I live in ${p.city}.`,
  (p) => `I moved to ${p.city} a couple of years ago.`,
  (p, random) => `I love ${pick(random, p.loves)}.`,
  (p, random) => `Honestly I love ${pick(random, p.loves)}, I do it every weekend.`,
  (p) => `I don't like ${p.dislikes}.`,
  (p) => `My sister is called ${p.sister}.`,
  (p) => `My brother ${p.brother} lives in ${p.brotherCity}.`,
  (p) => `I'm a ${p.occupation}.`,
  (p) => `I speak ${p.language}.`,
  (p) => `I have a ${p.pet} named ${p.petName}.`,
  (p) => `My name is ${p.name}.`,
  (p) => `I grew up in ${p.hometown}.`,
];

export type Role = 'USER' | 'ASSISTANT';

export interface ChatMessage {
  role: Role;
  content: string;
}

/**
 * `count` messages alternating user, assistant, user...; each user message is a statement about
 * the entity with probability `statementShare`, chatter otherwise. With `atLeastOneStatement`, the
 * first user message is always a statement (the lag probes must produce a fact).
 */
export function chatMessages(
  entity: number,
  count: number,
  random: () => number,
  options: { statementShare?: number; atLeastOneStatement?: boolean } = {},
): ChatMessage[] {
  const share = options.statementShare ?? 0.4;
  const p = persona(entity);
  const messages: ChatMessage[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 1) {
      messages.push({ role: 'ASSISTANT', content: pick(random, ASSISTANT_CHATTER) });
      continue;
    }
    const statement = (options.atLeastOneStatement && i === 0) || random() < share;
    const content = statement ? pick(random, STATEMENTS)(p, random) : pick(random, USER_CHATTER);
    messages.push({ role: 'USER', content });
  }
  return messages;
}
