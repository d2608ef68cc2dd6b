/**
 * The local extractor: deterministic, no network, no key. It reads first-person statements in the
 * user's messages ("My name is Ana", "I moved to Madrid", "I don't like coffee") and turns them
 * into facts and triples with the vocabulary of services/predicates.ts.
 *
 * Library: compromise (MIT, pure JavaScript, no native code, installs offline, types included,
 * actively released). It was chosen over wink-nlp + wink-eng-lite-web-model because this task
 * leans on what compromise ships and wink does not: a gazetteer that tags places ("porto",
 * "São Paulo", "NYC" as #Place), first names as #Person, demonyms, dates and numbers; contraction
 * and chat-spelling expansion ("im", "ive", "dont", "cant", "gonna" become "i am", "do not", ...),
 * which wink leaves as single opaque tokens ("I'm"/PROPN); and verb conjugation ("to swim" →
 * "swimming"). wink's statistical POS tagger is more accurate on hard sentences, but the
 * extractor anchors on fixed verb frames and only needs tags to validate and bound the objects.
 * The cost is speed: compromise tags a short message in about a millisecond, which is plenty for
 * background augmentation jobs.
 *
 * How it works: each user message is split into sentences and clauses (by compromise, then at
 * commas and conjunctions when what follows starts a new clause); questions, hypotheticals ("if"),
 * quotes and reported speech are dropped; each remaining clause must start with its subject ("I",
 * "we", "my sister Anna", or nothing before a first-person verb) followed, after a few allowed
 * adverbs, by one of a closed set of verb frames ("live in", "work at", "am a <occupation>",
 * "don't like", ...). Anything else — "I think I live...", "I would love...", "I'm not from...",
 * "She works at..." — matches no frame and yields nothing: precision first. The object after the
 * frame is the noun phrase compromise tags there, cut before adverbials, clauses and most
 * prepositional phrases, and checked against what the predicate expects (a place for lives_in, a
 * language for speaks, a name for has_name).
 */

import nlp from 'compromise/two';
import { normalizePredicate, predicateCategory } from '../../services/predicates.ts';
import type {
  ExtractedCategory,
  ExtractedFact,
  ExtractedTriple,
  Extraction,
  ExtractionInput,
  Extractor,
} from '../types.ts';

// ---------------------------------------------------------------------------------------------
// Word lists. Closed on purpose: "I'm a X" is only an occupation, and "I speak X" only a language,
// when X is one the extractor knows.

function words(text: string): Set<string> {
  return new Set(text.split(/\s+/).filter(Boolean));
}

/** Head nouns of occupations ("software *engineer*", "*nurse*"). */
const OCCUPATIONS = words(`
  accountant actor actress administrator adviser advisor agent analyst anesthesiologist animator
  apprentice archaeologist architect archivist artist assistant astronaut astronomer attorney
  auditor author baker banker barber barista bartender beautician biologist bookkeeper botanist
  bricklayer broker builder butcher buyer cameraman caregiver carer carpenter cartographer
  cartoonist cashier ceo cfo chef chemist chiropractor choreographer cleaner clerk coach columnist
  comedian composer conductor consultant contractor cook coordinator copywriter coo counselor
  counsellor courier cto curator dancer dentist dermatologist designer detective developer
  dietitian dietician diplomat director dispatcher doctor driver economist editor educator
  electrician engineer entrepreneur executive farmer filmmaker firefighter fisherman florist
  founder cofounder co-founder freelancer gardener geologist hairdresser hairstylist handyman
  historian housekeeper hygienist illustrator inspector instructor intern interpreter investor
  janitor jeweler jeweller journalist judge laborer labourer landscaper lawyer lecturer librarian
  lifeguard linguist locksmith machinist manager marketer mathematician mechanic medic midwife
  musician nanny neurologist neuroscientist novelist nurse nutritionist officer optician
  optometrist orthodontist painter paralegal paramedic pastor pediatrician pharmacist
  philosopher photographer physician physicist physio physiotherapist pilot planner plumber
  poet policeman policewoman politician postdoc postman priest principal producer professor
  programmer psychiatrist psychologist psychotherapist publisher rabbi radiologist realtor
  receptionist recruiter reporter researcher salesman salesperson saleswoman scientist
  screenwriter sculptor secretary sheriff singer sociologist soldier solicitor songwriter
  specialist statistician stockbroker strategist student stylist supervisor surgeon surveyor
  tailor teacher technician technologist teller therapist trader trainer translator tutor
  undergrad underwriter veterinarian vet waiter waitress welder worker writer dev
`);

/** Words in front of an occupation that mean it is not the current one. */
const NOT_CURRENT = words('former retired ex aspiring wannabe future would-be failed trainee-to-be');

const LANGUAGES = words(`
  afrikaans albanian amharic arabic armenian asl basque belarusian bengali bosnian bulgarian
  burmese cantonese catalan chinese croatian czech danish dutch english esperanto estonian farsi
  filipino finnish french galician georgian german greek gujarati hausa hebrew hindi hungarian
  icelandic igbo indonesian irish italian japanese kannada kazakh khmer korean kurdish lao latin
  latvian lithuanian macedonian malay malayalam maltese mandarin marathi mongolian nepali
  norwegian pashto persian polish portuguese punjabi romanian russian serbian sinhala slovak
  slovenian somali spanish swahili swedish tagalog tamil telugu thai tibetan turkish ukrainian
  urdu uzbek vietnamese welsh yiddish yoruba zulu
`);

/** Demonyms compromise does not tag as #Demonym (it knows "Canadian", not "British"). */
const DEMONYMS = words(`
  british english irish scottish welsh french dutch german greek italian spanish danish swedish
  norwegian finnish polish czech turkish thai korean japanese chinese vietnamese russian
  ukrainian hungarian romanian filipino swiss austrian belgian portuguese
`);

const INSTRUMENTS = words(`
  accordion bagpipes banjo bass bassoon cello clarinet drums drum flute guitar harmonica harp
  keyboard keyboards mandolin oboe organ piano saxophone sax synth trombone trumpet tuba ukulele
  uke viola violin
`);

const SPORTS = words(`
  badminton baseball basketball bowling chess cricket darts football golf handball hockey
  lacrosse padel pickleball poker polo pool rugby snooker soccer softball squash tennis volleyball
`);

/** "play a role", "play it safe", "play games with": not something one plays. */
const PLAY_IDIOMS = words(
  'game games role part trick tricks joke jokes fair safe dumb along around hard catch',
);

/** "I can X" is a skill only for these verbs: "I can come tomorrow" is not one. */
const SKILL_VERBS = words(`
  bake climb code cook crochet dance dive draw drive juggle knit paint program ride sail sew sing
  skate ski snowboard surf swim weld
`);

/** Allergens said in the singular before "allergy" and in the plural after "allergic to". */
const COUNTABLE_ALLERGENS = words(
  'peanut nut egg bee wasp strawberry almond cashew walnut hazelnut kiwi tomato',
);

const DIETS = words('vegetarian vegan pescatarian pescetarian keto paleo');

interface Relation {
  predicate: string;
  kind: 'person' | 'animal';
}

/** Relation nouns ("my *sister* Anna") and the predicate each maps to. */
const RELATIONS = new Map<string, Relation>();
for (const [predicate, kind, list] of [
  ['has_sister', 'person', 'sister sis'],
  ['has_brother', 'person', 'brother bro'],
  ['has_sibling', 'person', 'sibling'],
  ['has_mother', 'person', 'mom mum mother mommy mama'],
  ['has_father', 'person', 'dad father daddy papa'],
  ['has_son', 'person', 'son'],
  ['has_daughter', 'person', 'daughter'],
  ['has_child', 'person', 'kid child baby'],
  ['married_to', 'person', 'husband hubby wife wifey spouse'],
  ['has_partner', 'person', 'boyfriend girlfriend partner fiance fiancé fiancee fiancée bf gf'],
  ['has_friend', 'person', 'friend bestie buddy pal'],
  ['has_grandmother', 'person', 'grandmother grandma granny nana gran'],
  ['has_grandfather', 'person', 'grandfather grandpa granddad grandad'],
  ['has_grandchild', 'person', 'grandson granddaughter grandchild grandkid'],
  ['has_aunt', 'person', 'aunt auntie'],
  ['has_uncle', 'person', 'uncle'],
  ['has_cousin', 'person', 'cousin'],
  ['has_niece', 'person', 'niece'],
  ['has_nephew', 'person', 'nephew'],
  ['has_colleague', 'person', 'colleague coworker co-worker workmate'],
  ['has_boss', 'person', 'boss'],
  ['has_roommate', 'person', 'roommate flatmate housemate'],
  [
    'has_pet',
    'animal',
    `dog cat puppy kitten pup pet hamster parrot rabbit bunny horse turtle tortoise retriever
    labrador poodle terrier beagle bulldog husky corgi dachshund chihuahua pug collie spaniel`,
  ],
] as const) {
  for (const word of words(list)) RELATIONS.set(word, { predicate, kind });
}

/** Plural relation nouns ("two *sisters*", "three *kids*"). */
const RELATION_PLURALS = new Map<string, string>([
  ['sisters', 'sister'],
  ['brothers', 'brother'],
  ['siblings', 'sibling'],
  ['sons', 'son'],
  ['daughters', 'daughter'],
  ['kids', 'kid'],
  ['children', 'child'],
  ['friends', 'friend'],
  ['dogs', 'dog'],
  ['cats', 'cat'],
  ['cousins', 'cousin'],
  ['grandkids', 'grandkid'],
  ['grandchildren', 'grandchild'],
]);

/** Adjectives allowed between "my" and the relation noun ("my *younger* sister Anna"). */
const RELATION_MODIFIERS = words(`
  best older younger little big baby twin oldest youngest eldest new dear lovely golden black white
  german sweet amazing wonderful
`);

/** Modifiers that mean the relation is over or not the user's own: nothing current to remember. */
const RELATION_ENDED = words('late ex former dead deceased');

const NUMBER_WORDS = new Map<string, number>([
  ...`one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
  seventeen eighteen nineteen twenty`
    .split(/\s+/)
    .map((word, i): [string, number] => [word, i + 1]),
  ...'thirty forty fifty sixty seventy eighty ninety'
    .split(' ')
    .map((word, i): [string, number] => [word, 30 + 10 * i]),
]);

/** Phrases with "and" inside that are one thing: "rock and roll" is not rock + roll. */
const AND_COMPOUNDS = new Set([
  'rock and roll',
  'mac and cheese',
  'fish and chips',
  'salt and pepper',
  'drum and bass',
  'arts and crafts',
  'dungeons and dragons',
  'bread and butter',
  'sweet and sour',
  'hide and seek',
  'rhythm and blues',
  'trial and error',
  'black and white',
  'pros and cons',
]);

// ---------------------------------------------------------------------------------------------
// Grammar words.

/** Discourse words and greetings skipped at the start of a clause ("Well, honestly, I ..."). */
const DISCOURSE = words(`
  hi hello hey hiya yo well so oh ah um uh hmm ok okay yeah yes yep no nope lol haha hehe lmao
  actually honestly btw anyway anyways also and but plus basically fyi ps then now currently
  recently lately nowadays today tbh personally sadly luckily fortunately unfortunately finally
  there guys all again still just originally otherwise funny enough
`);

/** Time words that may precede the subject ("Last year I moved to ..."). */
const LEADING_TIME = words(`
  in on at since last this next ago a few couple of back the year years month months week weeks
  day days summer winter spring fall autumn two three four five six
`);

/** Adverbs allowed between the subject and the verb frame ("I *really* like", "I *just* moved"). */
const ADVERBS = `(?:(?:really|also|absolutely|totally|just|still|currently|now|actually|honestly|definitely|kind of|kinda|sort of|sorta|truly|genuinely|seriously|mostly|especially|recently|already|always|literally|simply|finally|originally|do|does|even|personally|mainly|both|certainly|deeply|madly|generally|usually|normally|pretty much|officially|happily|proudly|so|too) )*`;

/** Words that end a noun phrase. */
const NP_STOP = words(`
  and or but because cause cuz since so than that which who whom whose when while where if unless
  although though as like except even too either anymore anyway again already yet still then now
  currently today tonight tomorrow yesterday lately recently soon right really very pretty quite
  just always usually often sometimes never ever every each daily weekly lol haha lmao tbh
  honestly actually tho etc more less most better best instead also nowadays these those
  whenever though whereas until till unlike especially mostly probably maybe online offline
  together alone outdoors indoors professionally competitively regularly casually downtown nearby
  abroad overseas locally upstairs downstairs btw fyi imo imho idk xd pls thx thanks please
`);

/** Prepositions that start a "when" ("reading *before* bed"), never part of an activity. */
const TEMPORAL_PREPOSITIONS = words('of before after during until till since');

const PREPOSITIONS = words(`
  in on at for with to from by about during after before until since into onto over under near
  around without across through between among per via against behind beside besides toward
  towards upon within outside inside up down off out
`);

/** Verbs whose "to <verb>" after like/love/hate is a figure of speech, not an activity. */
const NOT_ACTIVITIES = words(`
  think say know believe be have imagine hear admit point mention add note let ask tell remind
  check clarify confirm assume pretend hope suppose see bother interrupt disappoint break
`);

/** Noun-phrase heads that refer to the conversation, not to a preference ("I like that idea"). */
const CONVERSATIONAL = words(`
  idea ideas suggestion suggestions option options answer answers plan response list one ones
  version result results point explanation question advice approach example way part thing
  things stuff sound look choice story reply message summary recipe draft format tip tips
  lot bit
`);

/** First words that make a noun phrase a pronoun or a reference to something else. */
const NP_REJECT_START = words(`
  it this that these those them they you your yours him his her hers us our ours me my mine
  myself yourself himself herself itself ourselves themselves their theirs its everything
  anything something nothing everyone anyone someone nobody everybody anybody somebody what
  which who whom how when where why whatever whoever one all either neither none here
  there not no such another other to
`);

const SUBJECT_WORDS = words(
  'i we he she they it you there this that these those me my our his her their your its everyone everybody people nobody someone',
);
const WH_WORDS = words('what where when why how who which whats whos whose wheres hows');
const AUX_WORDS = words(
  'do does did is are am was were can could should would will have has had may might shall',
);
const QUESTION_FRAGMENTS = words(
  'any anyone anything right thoughts ideas tips recommendations suggestions correct ok okay',
);

/** First-person verbs that can start a clause without "I" ("Love hiking!", "and work in Lisbon"). */
const ELIDED_VERBS = words(`
  am live lived moved relocated work worked love loved like enjoy hate prefer speak play study
  studied have grew got just also really currently recently still went visited graduated
  can cannot used was speaking adore dislike luv based been allergic
`);

/** Words that split a sentence into clauses when a clause follows them. */
const CLAUSE_SPLITTERS = words(`
  and but or so because cause cuz since although though while whereas plus then if unless
  whether when whenever once until before after who which
`);

/** A clause led by one of these is hypothetical or not yet true. */
const HYPOTHETICAL = words('if unless whether suppose supposing imagine once when whenever until before');

const MONTHS = words(`
  january february march april may june july august september october november december jan feb
  mar apr jun jul aug sep sept oct nov dec
`);

// ---------------------------------------------------------------------------------------------
// Tokens and clauses.

interface Token {
  /** Surface text ('' for the implicit half of a contraction: "I'm" → "I'm" + ""). */
  text: string;
  /** Lowercase word ("am" for the implicit half of "I'm"), or "," for punctuation. */
  norm: string;
  tags: ReadonlySet<string>;
  /** The surface starts with a capital letter. */
  cap: boolean;
  punct: boolean;
  /** Inside double quotes: someone else's words, or text to work on, not a statement. */
  quoted: boolean;
  /** What joins it to the next token in the surface text ('' inside a contraction, '-', ' '). */
  join: string;
}

interface CompromiseTerm {
  text: string;
  normal?: string;
  implicit?: string;
  tags: Set<string>;
  pre: string;
  post: string;
}

const QUOTES = /["“”]/g;

const LEXICON = (nlp.model() as { one: { lexicon: Record<string, string> } }).one.lexicon;

/** A word compromise's lexicon knows (as anything: "sorry", "max", "ana"). */
function knownWord(word: string): boolean {
  return LEXICON[word] !== undefined;
}

/**
 * Two swapped letters in the verbs the frames hinge on ("lvoe", "wrok", "liek"), when the
 * misspelling is not itself a word compromise knows.
 */
const TYPOS = new Map<string, string>();
for (const verb of words('love like live work hate enjoy speak study moved prefer')) {
  for (let i = 0; i < verb.length - 1; i++) {
    const swapped = verb.slice(0, i) + verb.charAt(i + 1) + verb.charAt(i) + verb.slice(i + 2);
    if (swapped !== verb && !knownWord(swapped)) TYPOS.set(swapped, verb);
  }
}

function punctuationToken(quoted: boolean): Token {
  return { text: '', norm: ',', tags: new Set(), cap: false, punct: true, quoted, join: ' ' };
}

function tokenize(terms: readonly CompromiseTerm[]): Token[] {
  const tokens: Token[] = [];
  let quoted = false;
  for (const term of terms) {
    if (((term.pre.match(QUOTES)?.length ?? 0) & 1) === 1) quoted = !quoted;
    if (/[([]/.test(term.pre)) tokens.push(punctuationToken(quoted));
    const said = (term.implicit ?? term.normal ?? term.text).toLowerCase();
    const raw = TYPOS.get(said) ?? said;
    if (term.tags.has('Emoji') || term.tags.has('Emoticon')) {
      tokens.push(punctuationToken(quoted));
    } else if (raw !== '') {
      const post = term.post;
      const join = post === '' ? '' : /^-$/.test(post) ? '-' : ' ';
      const text =
        term.tags.has('Abbreviation') && post.startsWith('.') && !term.text.endsWith('.')
          ? `${term.text}.`
          : term.text;
      const cap = /^\p{Lu}/u.test(term.text);
      // "mom's" → "mom" + "'s": the possessive is its own word for the frames ("my mom 's name").
      const possessive = /^(.+)'s$/.exec(raw);
      if (possessive?.[1] !== undefined && term.tags.has('Possessive')) {
        tokens.push({ text, norm: possessive[1], tags: term.tags, cap, punct: false, quoted, join: '' });
        tokens.push({ text: '', norm: "'s", tags: new Set(), cap: false, punct: false, quoted, join });
      } else {
        tokens.push({ text, norm: raw, tags: term.tags, cap, punct: false, quoted, join });
      }
    }
    if (((term.post.match(QUOTES)?.length ?? 0) & 1) === 1) quoted = !quoted;
    if (/[,;:()[\]…]|\s[-–—]+\s|--|\.\.\./.test(term.post)) tokens.push(punctuationToken(quoted));
  }
  return tokens;
}

interface Clause {
  tokens: Token[];
  /** The conjunction or subordinator the clause was split at ("and", "if", "because"). */
  lead: string | null;
}

/** Index of the first token after discourse words and commas. */
function skipDiscourse(tokens: readonly Token[], from = 0): number {
  let i = from;
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (token.punct || DISCOURSE.has(token.norm) || token.tags.has('Expression')) i++;
    else break;
  }
  return i;
}

function startsClause(tokens: readonly Token[], from: number): boolean {
  const i = skipDiscourse(tokens, from);
  const first = tokens[i];
  if (first === undefined) return false;
  const next = tokens[i + 1];
  if (SUBJECT_WORDS.has(first.norm)) return first.norm !== 'that' || next?.tags.has('Verb') === true;
  if (WH_WORDS.has(first.norm) || AUX_WORDS.has(first.norm) || QUESTION_FRAGMENTS.has(first.norm))
    return true;
  if (ELIDED_VERBS.has(first.norm)) return true;
  // "... and Tom works at ...": a name followed by a verb.
  return first.cap && first.tags.has('Person') && next?.tags.has('Verb') === true;
}

/**
 * Splits a sentence at commas and conjunctions, but only where a new clause starts: in "I love
 * hiking, swimming and cycling" the pieces after the first are objects and stay attached.
 */
function splitClauses(tokens: readonly Token[]): Clause[] {
  const clauses: Clause[] = [];
  let current: Clause = { tokens: [], lead: null };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const splitter = !token.punct && CLAUSE_SPLITTERS.has(token.norm);
    const relative = splitter && (token.norm === 'who' || token.norm === 'which');
    if (token.punct && startsClause(tokens, i + 1) && current.tokens.length > 0) {
      clauses.push(current);
      current = { tokens: [], lead: null };
      continue;
    }
    // "Me and my husband moved ...", "Marco and I got married": one subject, not two clauses.
    const only = current.tokens.length === 1 ? current.tokens[0] : undefined;
    const me =
      only !== undefined &&
      (only.norm === 'me' ||
        (only.cap && only.tags.has('Person') && ['i', 'me'].includes(tokens[i + 1]?.norm ?? '')));
    if (splitter && current.tokens.length > 0 && !me && (relative || startsClause(tokens, i + 1))) {
      clauses.push(current);
      current = { tokens: [], lead: token.norm };
      continue;
    }
    if (splitter && current.tokens.length === 0 && current.lead === null) {
      current.lead = token.norm;
      continue;
    }
    current.tokens.push(token);
  }
  if (current.tokens.length > 0) clauses.push(current);
  return clauses;
}

function isInterrogative(clause: Clause): boolean {
  const i = skipDiscourse(clause.tokens);
  const first = clause.tokens[i];
  if (first === undefined) return false;
  if (WH_WORDS.has(first.norm) || QUESTION_FRAGMENTS.has(first.norm)) return true;
  const next = clause.tokens[i + 1];
  return (
    AUX_WORDS.has(first.norm) && next !== undefined && (SUBJECT_WORDS.has(next.norm) || next.tags.has('Noun'))
  );
}

// ---------------------------------------------------------------------------------------------
// Objects.

interface Phrase {
  tokens: Token[];
  text: string;
}

function surface(tokens: readonly Token[]): string {
  let text = '';
  tokens.forEach((token, i) => {
    text += token.text === '' && token.norm !== "'s" ? token.norm : token.text;
    if (i < tokens.length - 1) text += token.join;
  });
  return text
    .replace(/\s+/g, ' ')
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.'’)]+$/gu, '')
    .trim();
}

function phrase(tokens: Token[]): Phrase {
  return { tokens, text: surface(tokens) };
}

type Conjugate = (infinitive: string, model: object) => { Gerund?: string };
const CONJUGATE = (nlp.methods() as { two: { transform: { verb: { conjugate: Conjugate } } } }).two.transform
  .verb.conjugate;
const MODEL = nlp.model();
const gerunds = new Map<string, string>();
/** "swim" → "swimming", through compromise's conjugator. */
function gerund(verb: string): string {
  let cached = gerunds.get(verb);
  if (cached === undefined) {
    cached = CONJUGATE(verb, MODEL).Gerund ?? `${verb}ing`;
    gerunds.set(verb, cached);
  }
  return cached;
}

/** "US", "UK": capitals that are not the pronoun they spell. */
function isAcronym(token: Token): boolean {
  return token.text.length > 1 && token.text === token.text.toUpperCase() && /\p{Lu}/u.test(token.text);
}

function isVerbToken(token: Token): boolean {
  return token.tags.has('Verb') && !token.tags.has('Gerund');
}

/** Nouns that say when, not what ("swimming in the *mornings*"). */
const TIME_NOUNS = words(`
  morning mornings evening evenings afternoon afternoons night nights weekend weekends weekday
  weekdays summer summers winter winters spring fall autumn holidays daytime
`);

function isTimeToken(token: Token): boolean {
  return (
    token.tags.has('Date') ||
    token.tags.has('Duration') ||
    MONTHS.has(token.norm) ||
    TIME_NOUNS.has(token.norm)
  );
}

interface PhraseOptions {
  /** Parse "a, b and c" as three objects. */
  list?: boolean;
  /** At most this many words per object. */
  max?: number;
  /** Allow a leading "to <verb>" (turned into a gerund: "to swim" → "swimming"). */
  infinitive?: boolean;
}

/** Leading determiners and quantifiers dropped from an object ("a bit of Spanish" → "Spanish"). */
function skipDeterminers(tokens: readonly Token[], from: number): number {
  let i = from;
  for (;;) {
    const norms = tokens.slice(i, i + 4).map((token) => token.norm);
    const two = norms.slice(0, 2).join(' ');
    const three = norms.slice(0, 3).join(' ');
    const four = norms.join(' ');
    if (four === 'a little bit of') i += 4;
    else if (['a bit of', 'a lot of', 'a little bit', 'all kinds of', 'all sorts of'].includes(three)) i += 3;
    else if (['lots of', 'a little', 'a bit', 'plenty of'].includes(two)) i += 2;
    else if (['a', 'an', 'the', 'some', 'many', 'various', 'different', 'both'].includes(norms[0] ?? ''))
      i += 1;
    else return i;
  }
}

/**
 * The noun phrase starting at `from`: determiners dropped, cut before punctuation, conjunctions,
 * adverbs, time expressions and prepositional phrases (except "of", and one phrase after a
 * gerund: "hiking in the mountains"). Returns the objects found and where parsing stopped.
 */
function parsePhrases(
  tokens: readonly Token[],
  from: number,
  options: PhraseOptions = {},
): { phrases: Phrase[]; end: number } {
  const max = options.max ?? 6;
  const phrases: Phrase[] = [];
  let i = from;
  for (;;) {
    const parsed = parseOne(tokens, i, max, options.infinitive ?? true);
    if (parsed === null) break;
    phrases.push(parsed.phrase);
    i = parsed.end;
    if (!options.list) break;
    // List continuation: ", b", "and b", ", and b", "or b", "& b".
    let j = i;
    if (tokens[j]?.punct) j++;
    if (tokens[j]?.norm === 'and' || tokens[j]?.norm === 'or' || tokens[j]?.norm === '&') j++;
    if (j === i) break;
    const next = parseOne(tokens, j, max, options.infinitive ?? true);
    if (next === null) break;
    i = j;
  }
  return { phrases, end: i };
}

function parseOne(
  tokens: readonly Token[],
  from: number,
  max: number,
  infinitive: boolean,
): { phrase: Phrase; end: number } | null {
  let i = skipDeterminers(tokens, from);
  const words: Token[] = [];
  let gerundHead = false;
  let usedPhrase = false;
  const first = tokens[i];
  if (first === undefined || first.punct) return null;
  if (
    infinitive &&
    first.norm === 'to' &&
    tokens[i + 1] !== undefined &&
    isVerbToken(tokens[i + 1] as Token)
  ) {
    const verb = tokens[i + 1] as Token;
    // "I like to think so", "I hate to say it": figures of speech, not activities.
    if (NOT_ACTIVITIES.has(verb.norm)) return null;
    words.push({ ...verb, text: gerund(verb.norm), join: ' ' });
    gerundHead = true;
    i += 2;
  } else if (
    (NP_REJECT_START.has(first.norm) && !isAcronym(first)) ||
    PREPOSITIONS.has(first.norm) ||
    NP_STOP.has(first.norm)
  ) {
    return null;
  }
  while (i < tokens.length && words.length < max) {
    const token = tokens[i] as Token;
    if (token.punct || token.quoted !== (tokens[from] as Token).quoted) break;
    if (NP_STOP.has(token.norm)) {
      // "rock and roll": the conjunction is part of a known compound.
      const compound = [...words.map((word) => word.norm), token.norm, tokens[i + 1]?.norm ?? ''].join(' ');
      if (token.norm === 'and' && AND_COMPOUNDS.has(compound)) {
        words.push(token, tokens[i + 1] as Token);
        i += 2;
        continue;
      }
      break;
    }
    if (words.length > 0 && (isTimeToken(token) || token.tags.has('Adverb'))) break;
    // "Chicago *last* month", "tennis *every* weekend".
    if (words.length > 0 && ['last', 'next', 'this', 'every', 'each'].includes(token.norm)) break;
    if (
      words.length > 0 &&
      token.norm === 'a' &&
      ['lot', 'bit', 'little'].includes(tokens[i + 1]?.norm ?? '')
    )
      break;
    // "waking *up* early": a phrasal verb's particle belongs to the gerund.
    if (gerundHead && words.length === 1 && token.tags.has('Particle')) {
      words.push(token);
      i++;
      continue;
    }
    if (PREPOSITIONS.has(token.norm) || token.norm === 'of') {
      const next = tokens[i + 1];
      if (next === undefined || next.punct || (words.length === 0 && token.norm !== 'of')) break;
      if (token.norm === 'of' && words.length > 0 && !NP_REJECT_START.has(next.norm)) {
        words.push(token);
        i++;
        continue;
      }
      // One prepositional phrase after a gerund belongs to the activity ("hiking in the mountains"),
      // unless it says when ("swimming in the morning").
      if (gerundHead && !usedPhrase && !TEMPORAL_PREPOSITIONS.has(token.norm)) {
        const after = skipDeterminers(tokens, i + 1);
        const object = tokens[after];
        if (object !== undefined && !isTimeToken(object) && !object.punct && !NP_STOP.has(object.norm)) {
          usedPhrase = true;
          words.push(token);
          i++;
          continue;
        }
      }
      break;
    }
    // compromise tags a name before "my" as #Possessive ("Dublin my whole life"): test the words.
    const possessive = ['my', 'your', 'his', 'her', 'our', 'their', 'its'].includes(token.norm);
    if (token.tags.has('Determiner') || possessive || (token.tags.has('Pronoun') && !isAcronym(token))) {
      // Only inside a gerund's phrase ("spending time with *my* family") or as its object
      // ("playing *the* ukulele").
      const object =
        gerundHead && words.length === 1 && token.tags.has('Determiner') && !NP_REJECT_START.has(token.norm);
      if (!usedPhrase && !object) break;
      words.push(token);
      i++;
      continue;
    }
    if (isVerbToken(token)) {
      // A verb ends the phrase, except as a capitalized part of a name or as the first word when
      // compromise mistags a noun ("I love *dance*"). Auxiliaries and past tenses never belong.
      const auxiliary = ['Auxiliary', 'Modal', 'Copula', 'PastTense'].some((tag) => token.tags.has(tag));
      if (auxiliary || (words.length > 0 && !token.cap)) break;
    }
    if (words.length === 0 && token.tags.has('Gerund')) gerundHead = true;
    words.push(token);
    i++;
  }
  // Never end on a preposition or "of" (the phrase after it was cut).
  while (words.length > 0) {
    const last = words[words.length - 1] as Token;
    const particle = last.tags.has('Particle') && words.length === 2 && gerundHead;
    if ((PREPOSITIONS.has(last.norm) && !particle) || last.norm === 'of' || last.tags.has('Determiner')) {
      words.pop();
      i--;
    } else break;
  }
  if (words.length === 0) return null;
  return { phrase: phrase(words), end: i };
}

const CONNECTORS = words('of de da do dos das del della la le los las van von der den the and upon on');

/** A place: every word capitalized or tagged #Place ("Porto", "new york city", "the Netherlands"). */
function isPlace(p: Phrase): boolean {
  // Lowercase connectors inside a name ("Rio de Janeiro"); "LA" is not the article.
  const content = p.tokens.filter((token) => !(CONNECTORS.has(token.norm) && !token.cap));
  if (content.length === 0 || content.length > 5) return false;
  if (!content.some((token) => token.tags.has('Place') || token.cap || token.tags.has('Acronym')))
    return false;
  return content.every(
    (token) =>
      (token.cap || token.tags.has('Place') || token.tags.has('Acronym')) &&
      // "Starbucks", "Google": companies are not places one lives in or travels to.
      !(token.tags.has('Organization') && !token.tags.has('Place')) &&
      (!token.tags.has('Pronoun') || isAcronym(token)) &&
      !(token.tags.has('Date') && !token.tags.has('Place')),
  );
}

/** A proper name of a person, pet or organization: 1-4 capitalized words (or known first names). */
function isName(p: Phrase, strict = false): boolean {
  const tokens = p.tokens;
  if (tokens.length === 0 || tokens.length > 4) return false;
  const first = tokens[0] as Token;
  if (tokens.some((token) => token.tags.has('Pronoun') || token.tags.has('Determiner'))) return false;
  if (!tokens.every((token) => token.cap || token.tags.has('Person') || token.norm === "'s")) return false;
  if (!strict) return true;
  // "I'm Ana" but not "I'm Sorry", "I'm Tired", "I'm Brazilian": the first word is a known first
  // name, or a capitalized word compromise's lexicon does not know as anything else.
  if (first.tags.has('FirstName') || first.tags.has('Person')) return !first.tags.has('Place');
  return first.cap && !knownWord(first.norm) && !first.tags.has('Demonym') && !first.tags.has('Place');
}

/** "Nurse" → "nurse" (a capital from the start of a fragment), but "PhD student" stays. */
function lowerFirst(text: string): string {
  return text.replace(/^\p{Lu}\p{Ll}*(?=\s|$)/u, (word) => word.toLowerCase());
}

function titleCase(text: string): string {
  return text === text.toLowerCase() ? text.replace(/(^|[\s-])(\p{L})/gu, (m) => m.toUpperCase()) : text;
}

function parseNumber(tokens: readonly Token[], i: number): { value: number; end: number } | null {
  const token = tokens[i];
  if (token === undefined) return null;
  if (/^\d{1,3}$/.test(token.norm)) return { value: Number(token.norm), end: i + 1 };
  const tens = NUMBER_WORDS.get(token.norm);
  if (tens === undefined) return null;
  const unit = tokens[i + 1];
  if (tens >= 20 && token.join === '-' && unit !== undefined) {
    const units = NUMBER_WORDS.get(unit.norm);
    if (units !== undefined && units < 10) return { value: tens + units, end: i + 2 };
  }
  return { value: tens, end: i + 1 };
}

/** A date: "May 3", "3rd of May", "7 July 1992", "March 12th", "June". */
function parseDate(tokens: readonly Token[], from: number): { phrase: Phrase; end: number } | null {
  let i = from;
  while (['on', 'in', 'the'].includes(tokens[i]?.norm ?? '')) i++;
  const words: Token[] = [];
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    const yearAfterComma = token.punct && /^\d{4}$/.test(tokens[i + 1]?.norm ?? '') && words.length > 0;
    if (yearAfterComma) {
      i++;
      continue;
    }
    const ordinal = /^\d{1,2}(st|nd|rd|th)?$/.test(token.norm);
    if (
      MONTHS.has(token.norm) ||
      ordinal ||
      /^\d{4}$/.test(token.norm) ||
      (token.norm === 'of' && words.length > 0)
    ) {
      words.push(token);
      i++;
    } else break;
  }
  if (!words.some((token) => MONTHS.has(token.norm))) return null;
  return { phrase: phrase(words), end: i };
}

/** Words of a time expression besides dates ("*next* month", "*on* Friday", "*tomorrow*"). */
const TIME_GLUE = words('next last this on in the for at');
const TIME_ADVERBS = words('tomorrow tonight soon today');

/** A time expression right after an object ("next month", "on Friday"), for the fact's wording. */
function timeTail(tokens: readonly Token[], from: number): string {
  const said: Token[] = [];
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.punct) break;
    if (
      isTimeToken(token) ||
      TIME_GLUE.has(token.norm) ||
      TIME_ADVERBS.has(token.norm) ||
      token.tags.has('Value')
    ) {
      said.push(token);
    } else break;
  }
  // Drop trailing glue: "in the" of "Tokyo in the" is not a time.
  while (
    said.length > 0 &&
    !isTimeToken(said.at(-1) as Token) &&
    !TIME_ADVERBS.has((said.at(-1) as Token).norm)
  ) {
    said.pop();
  }
  return said.length > 0 ? ` ${surface(said)}` : '';
}

// ---------------------------------------------------------------------------------------------
// Output.

type SubjectKind = 'user' | 'we' | 'named';

interface Subject {
  kind: SubjectKind;
  /** The name, for a named relative ("Anna"). */
  name?: string;
  /** The relation noun as said ("sister"), for the fact's wording. */
  relation?: string;
  /** person or animal. */
  type?: string;
}

const USER: Subject = { kind: 'user' };

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) && !/^(uni|eu|one)/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** The third-person verb phrase stating a triple ("lives in Porto"); `detail` adds to it. */
function describe(predicate: string, object: string, detail: string): string {
  switch (predicate) {
    case 'has_name':
      return `name is ${object}`;
    case 'age':
      return `is ${object} years old`;
    case 'has_birthday':
      return `birthday is ${object}`;
    case 'born_in':
    case 'born_in_year':
      return `was born in ${object}`;
    case 'is_from':
      return `is from ${object}`;
    case 'has_nationality':
    case 'has_diet':
      return `is ${object}`;
    case 'allergic_to':
      return `is allergic to ${object}`;
    case 'lives_in':
      return `lives in ${object}`;
    case 'lived_in':
      return `used to live in ${object}`;
    case 'plans_to_move_to':
      return `plans to move to ${object}${detail}`;
    case 'plans_to_visit':
      return `plans to visit ${object}${detail}`;
    case 'visited':
      return `has visited ${object}${detail}`;
    case 'works_at':
      return `works at ${object}`;
    case 'works_as':
      return `works as ${article(object)}`;
    case 'works_in':
      return `works in ${object}`;
    case 'worked_at':
      return `used to work at ${object}`;
    case 'studies_at':
      return `studies at ${object}`;
    case 'studies':
      return `studies ${object}`;
    case 'studied_at':
      return `studied at ${object}`;
    case 'owns':
      return `owns ${article(object)}`;
    case 'prefers':
      return `prefers ${object}${detail}`;
    case 'good_at':
      return `is good at ${object}`;
    case 'learning':
      return `is learning ${object}`;
    case 'married_to':
      return `is married to ${object}`;
    case 'has_partner':
      return `is in a relationship with ${object}`;
    case 'number_of_children':
      return `has ${object} ${object === '1' ? 'child' : 'children'}`;
    case 'has_anniversary':
      return `anniversary is ${object}`;
    default:
      if (predicate.startsWith('favorite_')) return `${predicate.replace(/_/g, ' ')} is ${object}`;
      if (predicate.startsWith('has_')) return `has ${article(predicate.slice(4))} named ${object}`;
      return `${predicate.replace(/_/g, ' ')} ${object}`;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface EmitOptions {
  objectType?: string | null;
  /** Added to the fact's wording ("next month", " over coffee"). */
  detail?: string;
  /** The whole fact's wording, when the template does not fit ("Has a sister named Anna"). */
  fact?: string;
}

class Output {
  readonly facts: ExtractedFact[] = [];
  readonly triples: ExtractedTriple[] = [];
  private readonly seenFacts = new Set<string>();
  private readonly seenTriples = new Set<string>();
  /** The last relative named in this message, for "who" clauses ("a brother named Luke who ..."). */
  lastNamed: Subject | null = null;

  constructor(
    private readonly entity: string,
    public messageIndex: number,
  ) {}

  fact(content: string, category: ExtractedCategory): void {
    const key = content.toLowerCase();
    if (this.seenFacts.has(key)) return;
    this.seenFacts.add(key);
    this.facts.push({ content, category, messageIndex: this.messageIndex });
  }

  triple(subject: Subject, rawPredicate: string, object: string, options: EmitOptions = {}): void {
    const predicate = normalizePredicate(rawPredicate);
    const value = object.trim();
    if (value === '' || value.length > 80) return;
    const subjectName = subject.kind === 'named' ? (subject.name as string) : this.entity;
    const key = `${subjectName}\u0000${predicate}\u0000${value.toLowerCase()}`;
    if (!this.seenTriples.has(key)) {
      this.seenTriples.add(key);
      this.triples.push({
        subject: subjectName,
        predicate,
        object: value,
        subjectType: subject.kind === 'named' ? (subject.type ?? 'person') : 'person',
        objectType: options.objectType ?? null,
        messageIndex: this.messageIndex,
      });
    }
    const phrase = options.fact ?? describe(predicate, value, options.detail ?? '');
    if (subject.kind === 'named') {
      this.fact(`${capitalize(subject.relation ?? '')} ${subject.name} ${phrase}`.trim(), 'RELATIONSHIP');
    } else {
      this.fact(capitalize(phrase), predicateCategory(predicate));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Frames: a verb frame after the subject, and what to do with the words after it.

interface FrameContext {
  tokens: readonly Token[];
  /** Index of the first token after the frame. */
  at: number;
  /** The words the frame matched ("have been working"), adverbs included. */
  said: string;
  subject: Subject;
  out: Output;
}

interface Frame {
  /** Which subjects the frame applies to. */
  subjects: readonly SubjectKind[];
  pattern: RegExp;
  /** Emits what it finds; returns whether it found anything. */
  run(context: FrameContext): boolean;
}

const ANY: readonly SubjectKind[] = ['user', 'we', 'named'];
const PERSON: readonly SubjectKind[] = ['user', 'named'];
const SELF: readonly SubjectKind[] = ['user'];
const SELF_OR_WE: readonly SubjectKind[] = ['user', 'we'];

function frame(subjects: readonly SubjectKind[], verbs: string, run: Frame['run']): Frame {
  return { subjects, pattern: new RegExp(`^${ADVERBS}(?:${verbs})(?= |$)`), run };
}

/** Index of the token starting at `offset` in the clause's joined text. */
function tokenAt(tokens: readonly Token[], offset: number): number {
  let position = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (position >= offset) return i;
    position += (tokens[i] as Token).norm.length + 1;
  }
  return tokens.length;
}

function norms(tokens: readonly Token[], from: number, count: number): string {
  return tokens
    .slice(from, from + count)
    .map((token) => token.norm)
    .join(' ');
}

/** The clause ends here (or a comma, conjunction or "now"/"too" follows). */
function endsAt(tokens: readonly Token[], i: number): boolean {
  const token = tokens[i];
  return (
    token === undefined ||
    token.punct ||
    ['and', 'but', 'so', 'now', 'too', 'though', 'tho', 'lol', 'haha', 'btw', 'already', 'yet'].includes(
      token.norm,
    )
  );
}

function places(tokens: readonly Token[], from: number, list = false): { phrases: Phrase[]; end: number } {
  const parsed = parsePhrases(tokens, from, { list, max: 5, infinitive: false });
  const phrases = parsed.phrases.filter(isPlace).map((p) => {
    // "porto portugal", "São Paulo Brazil": a city followed by its country is the city.
    const last = p.tokens[p.tokens.length - 1] as Token;
    const city = p.tokens.slice(0, -1);
    const tokens =
      last.tags.has('Country') && city.length > 0 && city.every((t) => t.tags.has('City')) ? city : p.tokens;
    return { tokens, text: titleCase(surface(tokens)) };
  });
  // "Porto, Portugal": the country after a city is not a second place.
  return { phrases: list ? phrases : phrases.slice(0, 1), end: parsed.end };
}

function emitPlaces(context: FrameContext, predicate: string, list = false): boolean {
  const found = places(context.tokens, context.at, list);
  // The time after a trip ("next month") goes into the fact; templates without one ignore it.
  const tail = timeTail(context.tokens, found.end);
  for (const p of found.phrases)
    context.out.triple(context.subject, predicate, p.text, { objectType: 'place', detail: tail });
  return found.phrases.length > 0;
}

/** A place, or a home and then its place: "a tiny apartment in Brooklyn", "a small town in Ohio". */
function emitPlaceOrHome(context: FrameContext, predicate: string): boolean {
  if (emitPlaces(context, predicate)) return true;
  const home = parsePhrases(context.tokens, context.at, { max: 4, infinitive: false });
  const head = home.phrases[0]?.tokens.at(-1)?.norm ?? '';
  if (!DWELLINGS.has(head) || context.tokens[home.end]?.norm !== 'in') return false;
  return emitPlaces({ ...context, at: home.end + 1 }, predicate);
}

/** "for ten years", "since 2015" after the object: a present-perfect state that still holds. */
function hasDuration(tokens: readonly Token[], from: number): boolean {
  if (/^(my whole life|all my life|my entire life|forever|ever since)\b/.test(norms(tokens, from, 3)))
    return true;
  return tokens.slice(from, from + 3).some((token) => token.norm === 'for' || token.norm === 'since');
}

/** Objects of preference and skill verbs, with conversational references filtered out. */
function things(context: FrameContext, from = context.at, list = true): Phrase[] {
  const tokens = context.tokens;
  // "I hate my commute", "I love my job": the thing, without "my"; but not the people in the
  // user's life ("I love my wife") nor "I like my coffee black".
  if (tokens[from]?.norm === 'my') {
    const { phrases, end } = parsePhrases(tokens, from + 1, { list: false, max: 3, infinitive: false });
    const p = phrases[0];
    const head = p?.tokens.at(-1)?.norm ?? '';
    const person = RELATIONS.has(head) || RELATION_PLURALS.has(head) || PEOPLE.has(head);
    const adjective = tokens[end]?.tags.has('Adjective') || p?.tokens.at(-1)?.tags.has('Adjective');
    if (p === undefined || person || adjective || CONVERSATIONAL.has(head)) return [];
    return [p];
  }
  const { phrases } = parsePhrases(tokens, from, { list });
  return phrases.filter((p) => {
    // The head is the last noun before "of": "the *idea* of moving" is about an idea.
    const of = p.tokens.findIndex((token) => token.norm === 'of');
    const head = p.tokens[(of > 0 ? of : p.tokens.length) - 1] as Token;
    if (CONVERSATIONAL.has(head.norm)) return false;
    return !p.tokens.some((token) => token.norm === 'you' || token.norm === 'your');
  });
}

function objectTypeOf(p: Phrase): string | null {
  const head = p.tokens[p.tokens.length - 1] as Token;
  const first = p.tokens[0] as Token;
  if (first.tags.has('Gerund')) return 'activity';
  if (p.tokens.every((token) => token.tags.has('Place'))) return 'place';
  if (p.tokens.every((token) => token.tags.has('Person'))) return 'person';
  if (p.tokens.some((token) => token.tags.has('Organization'))) return 'organization';
  if (INSTRUMENTS.has(head.norm)) return 'instrument';
  if (SPORTS.has(head.norm)) return 'sport';
  if (LANGUAGES.has(head.norm) && p.tokens.length === 1) return 'language';
  return null;
}

function emitThings(context: FrameContext, predicate: string, objectType?: string): boolean {
  const found = things(context, context.at, true);
  for (const p of found)
    context.out.triple(context.subject, predicate, p.text, { objectType: objectType ?? objectTypeOf(p) });
  return found.length > 0;
}

const BUSINESSES = words(`
  business bakery shop store restaurant cafe café company startup firm salon clinic practice bar
  pub agency studio farm hotel gym
`);

const GENERIC_WORKPLACES = words('company firm business organization organisation agency employer place job');

/** Nouns for people (besides relatives) that "I love my ..." is about, not a preference. */
const PEOPLE = words(`
  parents family friends team neighbors neighbours colleagues coworkers students clients patients
  kids children life self body
`);

/** Homes: "I live in a small *flat* in Leeds". */
const DWELLINGS = words(
  'apartment flat house home place studio town village city suburb neighborhood neighbourhood area condo cottage',
);

/** Work places after "work at": a named organization or a common noun ("a hospital"). */
const NOT_WORKPLACES = words('home night nights weekends moment living myself fun free times');

function emitWorkplace(context: FrameContext, from: number, predicate = 'works_at'): number {
  const { phrases, end } = parsePhrases(context.tokens, from, { max: 5, infinitive: false });
  const p = phrases[0];
  if (p === undefined) return from;
  const head = p.tokens[p.tokens.length - 1] as Token;
  if (NOT_WORKPLACES.has(head.norm) || p.tokens.some((token) => token.tags.has('Pronoun'))) return from;
  // "a company based in Berlin": a bare generic noun says nothing about where.
  if (p.tokens.length === 1 && GENERIC_WORKPLACES.has(head.norm)) return from;
  if (p.tokens.every((token) => isTimeToken(token) || token.tags.has('Value'))) return from;
  const proper = p.tokens.some((token) => token.cap || token.tags.has('Organization'));
  context.out.triple(context.subject, predicate, proper ? p.text : p.text.toLowerCase(), {
    objectType: 'organization',
  });
  return end;
}

/** An occupation noun phrase at `from` ("a senior software engineer"), if its head is a job. */
function occupation(tokens: readonly Token[], from: number): { phrase: Phrase; end: number } | null {
  const parsed = parsePhrases(tokens, from, { max: 5, infinitive: false });
  const whole = parsed.phrases[0];
  if (whole === undefined) return null;
  // The phrase ends at its occupation noun: "a full-stack developer | working at ...".
  const last = whole.tokens.findLastIndex((token) => OCCUPATIONS.has(token.norm));
  if (last < 0) return null;
  const p = phrase(whole.tokens.slice(0, last + 1));
  const end = parsed.end - (whole.tokens.length - last - 1);
  if (p.tokens.some((token) => NOT_CURRENT.has(token.norm))) return null;
  // "a Tom Hanks fan" is not an occupation; "a PhD student" is (compromise calls PhD an honorific).
  if (p.tokens.some((token) => token.tags.has('Person') && token.cap && !token.tags.has('Honorific')))
    return null;
  return { phrase: { ...p, text: lowerFirst(p.text) }, end };
}

/** After an occupation: "at Google" (employer), "at UCLA" (school, for students), "from Porto". */
function occupationTail(context: FrameContext, at: number, student: boolean): void {
  // "a developer (working|employed|based) at ...".
  const end = ['working', 'employed', 'based'].includes(context.tokens[at]?.norm ?? '') ? at + 1 : at;
  const next = context.tokens[end]?.norm;
  if (next === 'at' || next === 'for' || (next === 'with' && context.tokens[end + 1]?.cap)) {
    emitWorkplace(context, end + 1, student ? 'studies_at' : 'works_at');
  } else if (next === 'from') {
    for (const p of places(context.tokens, end + 1).phrases) {
      context.out.triple(context.subject, 'is_from', p.text, { objectType: 'place' });
    }
  }
}

function emitOccupation(context: FrameContext, start: number): boolean {
  // "a 34 year old nurse": the age, then the occupation.
  let from = start;
  const skip = ['a', 'an'].includes(context.tokens[from]?.norm ?? '') ? 1 : 0;
  const number = parseNumber(context.tokens, from + skip);
  if (number !== null && /^years? old$/.test(norms(context.tokens, number.end, 2))) {
    if (!emitAgeValue(context, number.value)) return false;
    from = number.end + 2;
  }
  const found = occupation(context.tokens, from);
  if (found === null) return false;
  const text = found.phrase.text;
  context.out.triple(context.subject, 'works_as', text, { objectType: 'occupation' });
  occupationTail(context, found.end, /(^|\s)(student|undergrad|postdoc)$/.test(text.toLowerCase()));
  return true;
}

function languages(context: FrameContext, from = context.at): Phrase[] {
  const { phrases } = parsePhrases(context.tokens, from, { list: true, max: 4, infinitive: false });
  const found: Phrase[] = [];
  for (const p of phrases) {
    const text = p.tokens.map((token) => token.norm).join(' ');
    if (text.endsWith('sign language')) {
      found.push(p);
      continue;
    }
    // "fluent Mandarin", "a little French", "basic Italian": the language is the last word.
    const last = p.tokens[p.tokens.length - 1] as Token;
    if (LANGUAGES.has(last.norm)) found.push(phrase([last]));
  }
  return found.map((p) => ({ ...p, text: titleCase(p.text) }));
}

function emitLanguages(context: FrameContext, predicate: string, from = context.at): boolean {
  const found = languages(context, from);
  for (const p of found) context.out.triple(context.subject, predicate, p.text, { objectType: 'language' });
  return found.length > 0;
}

function emitPerson(context: FrameContext, predicate: string, from: number): boolean {
  const tokens = context.tokens;
  // "a wonderful man named David": the name after "named"/"called" within the next few words;
  // "(married to) my wife Elena": the name after the relation.
  let i = from;
  if (tokens[i]?.norm === 'my') {
    const relation = relationAt(tokens, i + 1);
    if (relation !== null) i = relation.end;
  }
  for (let j = from; j < Math.min(tokens.length, from + 6); j++) {
    if (['named', 'called'].includes((tokens[j] as Token).norm)) {
      i = j + 1;
      break;
    }
  }
  const { phrases } = parsePhrases(tokens, i, { max: 3, infinitive: false });
  const p = phrases[0];
  if (p === undefined || !isName(p)) return false;
  const name = titleCase(p.text);
  context.out.triple(context.subject, predicate, name, { objectType: 'person' });
  return true;
}

/** Strips the "years old" after an age. */
function emitAge(context: FrameContext, from: number): boolean {
  const number = parseNumber(context.tokens, from);
  if (number === null || number.value < 1 || number.value > 120) return false;
  let end = number.end;
  const rest = norms(context.tokens, end, 3);
  const unit = /^(years old|year old|yrs old|years of age|yo|y\/o|years|yrs)\b/.exec(rest);
  if (unit) end += unit[1]?.split(' ').length ?? 0;
  if (
    !endsAt(context.tokens, end) &&
    !['this', 'next', 'in', 'last'].includes(context.tokens[end]?.norm ?? '')
  ) {
    return false;
  }
  return emitAgeValue(context, number.value);
}

function emitAgeValue(context: FrameContext, value: number): boolean {
  if (value < 1 || value > 120) return false;
  context.out.triple(context.subject, 'age', String(value), { objectType: 'number' });
  return true;
}

const FRAMES: Frame[] = [
  // --- Where the subject lives, lived, comes from.
  frame(
    ANY,
    'live|lives|am living|is living|are living|reside|resides|am residing|am based|is based|are based|am located|are located|based',
    (c) => (c.tokens[c.at]?.norm === 'in' ? emitPlaceOrHome({ ...c, at: c.at + 1 }, 'lives_in') : false),
  ),
  frame(PERSON, 'do not live|does not live|no longer live|no longer lives', (c) => {
    // "I don't live in London anymore": used to.
    if (c.tokens[c.at]?.norm !== 'in') return false;
    const found = places(c.tokens, c.at + 1);
    if (!/no longer/.test(c.said) && !['anymore', 'any'].includes(c.tokens[found.end]?.norm ?? ''))
      return false;
    for (const p of found.phrases) c.out.triple(c.subject, 'lived_in', p.text, { objectType: 'place' });
    return found.phrases.length > 0;
  }),
  frame(PERSON, 'do not work|does not work|no longer work|no longer works', (c) => {
    const preposition = c.tokens[c.at]?.norm;
    if (preposition !== 'at' && preposition !== 'for') return false;
    const { end } = parsePhrases(c.tokens, c.at + 1, { max: 5, infinitive: false });
    if (!/no longer/.test(c.said) && !['anymore', 'any'].includes(c.tokens[end]?.norm ?? '')) return false;
    return emitWorkplace(c, c.at + 1, 'worked_at') > c.at + 1;
  }),
  frame(ANY, 'have been living|has been living|have been based|has been based|been living|been based', (c) =>
    c.tokens[c.at]?.norm === 'in' ? emitPlaces({ ...c, at: c.at + 1 }, 'lives_in') : false,
  ),
  frame(ANY, 'have lived in|has lived in|have been in|has been in', (c) => {
    const found = places(c.tokens, c.at, true);
    // "for ten years", "my whole life": still there; "I've lived in Tokyo and Seoul": used to.
    const still = found.phrases.length === 1 && hasDuration(c.tokens, found.end);
    // "I've been in Paris" says where the user was, not where home is, unless it has lasted.
    if (/been in$/.test(c.said) && !still) return false;
    for (const p of found.phrases)
      c.out.triple(c.subject, still ? 'lives_in' : 'lived_in', p.text, { objectType: 'place' });
    return found.phrases.length > 0;
  }),
  frame(
    ANY,
    'moved|relocated|have moved|has moved|have relocated|has relocated|had moved|have just moved',
    (c) => {
      let i = c.at;
      while (['back', 'here', 'over', 'out', 'away', 'all', 'the', 'way'].includes(c.tokens[i]?.norm ?? ''))
        i++;
      let from: Phrase | undefined;
      let to: Phrase | undefined;
      if (c.tokens[i]?.norm === 'from') {
        const found = places(c.tokens, i + 1);
        from = found.phrases[0];
        i = found.end;
        if (c.tokens[i]?.norm === 'to') to = places(c.tokens, i + 1).phrases[0];
      } else if (c.tokens[i]?.norm === 'to' || c.tokens[i]?.norm === 'into') {
        let found = places(c.tokens, i + 1);
        if (found.phrases.length === 0) {
          // "moved into a new flat in Manchester".
          const home = parsePhrases(c.tokens, i + 1, { max: 4, infinitive: false });
          const head = home.phrases[0]?.tokens.at(-1)?.norm ?? '';
          if (DWELLINGS.has(head) && c.tokens[home.end]?.norm === 'in')
            found = places(c.tokens, home.end + 1);
        }
        to = found.phrases[0];
        i = found.end;
        while (
          c.tokens[i] !== undefined &&
          c.tokens[i]?.norm !== 'from' &&
          !c.tokens[i]?.punct &&
          i < found.end + 4
        )
          i++;
        if (c.tokens[i]?.norm === 'from') from = places(c.tokens, i + 1).phrases[0];
      }
      if (to) c.out.triple(c.subject, 'lives_in', to.text, { objectType: 'place' });
      if (from) c.out.triple(c.subject, 'lived_in', from.text, { objectType: 'place' });
      return to !== undefined || from !== undefined;
    },
  ),
  frame(ANY, 'lived|used to live', (c) =>
    c.tokens[c.at]?.norm === 'in' ? emitPlaces({ ...c, at: c.at + 1 }, 'lived_in', true) : false,
  ),
  frame(
    PERSON,
    'am from|is from|am originally from|is originally from|come from|comes from|came from|grew up in|was raised in',
    (c) => emitPlaceOrHome(c, 'is_from'),
  ),
  frame(PERSON, 'was born and raised|were born and raised|was born and grew up', (c) => {
    // "I was born and raised in Glasgow": both where from and where born.
    if (c.tokens[c.at]?.norm !== 'in') return false;
    const found = places(c.tokens, c.at + 1).phrases[0];
    if (found === undefined) return false;
    c.out.triple(c.subject, 'born_in', found.text, { objectType: 'place' });
    c.out.triple(c.subject, 'is_from', found.text, { objectType: 'place' });
    return true;
  }),
  frame(PERSON, 'was born|were born', (c) => {
    const preposition = c.tokens[c.at]?.norm;
    if (preposition === 'on' || (preposition === 'in' && MONTHS.has(c.tokens[c.at + 1]?.norm ?? ''))) {
      const date = parseDate(c.tokens, c.at);
      if (date === null) return false;
      c.out.triple(c.subject, 'has_birthday', date.phrase.text, { objectType: 'date' });
      return true;
    }
    if (preposition !== 'in') return false;
    let found = false;
    let i = c.at;
    // "born in Porto in 1988", "born in 1988 in Porto".
    for (let round = 0; round < 2 && c.tokens[i]?.norm === 'in'; round++) {
      const year = c.tokens[i + 1]?.norm ?? '';
      if (/^(1[89]|20)\d\d$/.test(year)) {
        c.out.triple(c.subject, 'born_in_year', year, { objectType: 'date' });
        found = true;
        i += 2;
      } else {
        const place = places(c.tokens, i + 1);
        const p = place.phrases[0];
        if (p === undefined) break;
        c.out.triple(c.subject, 'born_in', p.text, { objectType: 'place' });
        found = true;
        i = place.end;
      }
    }
    return found;
  }),

  // --- Work and study.
  frame(
    PERSON,
    'work as|works as|am working as|is working as|have been working as|has been working as',
    (c) => {
      const { phrases, end } = parsePhrases(c.tokens, c.at, { max: 5, infinitive: false });
      const p = phrases[0];
      if (p === undefined || p.tokens.some((token) => NOT_CURRENT.has(token.norm))) return false;
      c.out.triple(c.subject, 'works_as', lowerFirst(p.text), {
        objectType: 'occupation',
      });
      occupationTail(c, end, false);
      return true;
    },
  ),
  frame(
    PERSON,
    '(?:work|works|am working|is working|have been working|has been working|have worked|has worked|started working|have started working|began working)(?: (?:night|nights|shifts|shift|part|full|time|remotely|weekends|evenings|mornings|there|currently|mostly|long|hours|overtime))*',
    (c) => {
      const preposition = c.tokens[c.at]?.norm;
      const perfect = /\b(have|has) worked\b/.test(c.said);
      if (preposition === 'at' || preposition === 'for') {
        const end = emitWorkplace(
          c,
          c.at + 1,
          perfect && !hasDuration(c.tokens, c.at + 2) ? 'worked_at' : 'works_at',
        );
        if (end === c.at + 1) return false;
        if (c.tokens[end]?.norm === 'as') {
          const found = occupation(c.tokens, end + 1);
          if (found) c.out.triple(c.subject, 'works_as', found.phrase.text, { objectType: 'occupation' });
        }
        return true;
      }
      if (preposition === 'in' && !perfect) {
        const next = c.tokens[c.at + 1];
        if (next === undefined || next.tags.has('Determiner') || NP_REJECT_START.has(next.norm)) return false;
        const { phrases } = parsePhrases(c.tokens, c.at + 1, { max: 3, infinitive: false });
        const p = phrases[0];
        if (p === undefined || p.tokens.some((token) => isTimeToken(token))) return false;
        const place = isPlace(p);
        c.out.triple(c.subject, 'works_in', place ? titleCase(p.text) : p.text, {
          objectType: place ? 'place' : 'field',
        });
        return true;
      }
      return false;
    },
  ),
  frame(PERSON, 'used to work|worked', (c) => {
    const preposition = c.tokens[c.at]?.norm;
    if (preposition !== 'at' && preposition !== 'for') return false;
    return emitWorkplace(c, c.at + 1, 'worked_at') > c.at + 1;
  }),
  frame(
    PERSON,
    '(?:started|got|landed|accepted|took|began|have started|have got|just got)(?: (?:a|an|my|the))?(?: new)?(?: full-time| part-time)?(?: (?:job|position|role|internship|gig))?',
    (c) => {
      if (!/job|position|role|internship|gig|started|began/.test(c.said)) return false;
      let at = c.at;
      let found = false;
      // "I just got a job as a nurse at the local hospital".
      if (c.tokens[at]?.norm === 'as' && /job|position|role/.test(c.said)) {
        const job = occupation(c.tokens, at + 1);
        if (job === null) return false;
        c.out.triple(c.subject, 'works_as', job.phrase.text, { objectType: 'occupation' });
        found = true;
        at = job.end;
      }
      const preposition = c.tokens[at]?.norm;
      if (preposition !== 'at' && preposition !== 'with') return found;
      if (preposition === 'with' && !c.tokens[at + 1]?.cap) return found;
      return emitWorkplace(c, at + 1) > at + 1 || found;
    },
  ),
  frame(PERSON, 'quit my job|left my job|quit my position', (c) =>
    c.tokens[c.at]?.norm === 'at' ? emitWorkplace(c, c.at + 1, 'worked_at') > c.at + 1 : false,
  ),
  frame(ANY, 'own|owns|run my own|run our own|have my own|run|runs', (c) => {
    if (!/own$/.test(c.said) && !['a', 'an'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    const { phrases } = parsePhrases(c.tokens, c.at, { max: 4, infinitive: false });
    const p = phrases[0];
    if (p === undefined) return false;
    // "I run a bakery" but not "I run a marathon": running means owning only for businesses.
    if (/\bruns?$/.test(c.said) && !BUSINESSES.has(p.tokens.at(-1)?.norm ?? '')) return false;
    c.out.triple(c.subject, 'owns', p.text, { objectType: null });
    return true;
  }),
  frame(
    PERSON,
    'study|studies|am studying|is studying|am majoring in|is majoring in|major in|am specializing in',
    (c) => {
      if (c.tokens[c.at]?.norm === 'at') return emitWorkplace(c, c.at + 1, 'studies_at') > c.at + 1;
      const { phrases, end } = parsePhrases(c.tokens, c.at, { max: 3, infinitive: false });
      const p = phrases[0];
      if (p === undefined || p.tokens.some((token) => token.tags.has('Pronoun') || isTimeToken(token)))
        return false;
      const head = p.tokens[p.tokens.length - 1] as Token;
      // "I study hard": a field of study is a noun.
      if (CONVERSATIONAL.has(head.norm) || !head.tags.has('Noun')) return false;
      c.out.triple(c.subject, 'studies', p.text, { objectType: 'field' });
      if (c.tokens[end]?.norm === 'at') emitWorkplace(c, end + 1, 'studies_at');
      return true;
    },
  ),
  frame(
    PERSON,
    "graduated from|have graduated from|has graduated from|studied at|went to school at|got my (?:degree|diploma|masters|master 's|bachelor 's|bachelors|phd|mba) (?:from|at)",
    (c) => emitWorkplace(c, c.at, 'studied_at') > c.at,
  ),

  // --- Preferences. Dislikes and hates come first: "do not like" must never reach "like".
  frame(
    PERSON,
    'do not like|does not like|do not really like|does not really like|do not particularly like|do not enjoy|does not enjoy|do not really enjoy|do not care for|dislike|dislikes|have never liked|has never liked|never liked|never really liked|am not into|am not really into|is not into|am not (?:a |really a |much of a )?(?:big |huge |great )?fan of|is not (?:a )?(?:big |huge )?fan of',
    (c) => emitThings(c, 'dislikes'),
  ),
  frame(
    PERSON,
    'hate|hates|really hate|despise|despises|loathe|loathes|detest|detests|abhor|can not stand|cannot stand|could not stand|can not bear|cannot bear',
    (c) => emitThings(c, 'hates'),
  ),
  frame(
    PERSON,
    'love|loves|adore|adores|luv|am obsessed with|is obsessed with|am crazy about|is crazy about|am passionate about|is passionate about|am in love with|am mad about',
    (c) => emitThings(c, 'loves'),
  ),
  frame(
    PERSON,
    'like|likes|enjoy|enjoys|dig|am into|is into|am really into|am fond of|is fond of|am (?:a )?(?:(?:big|huge|massive|great|real) )?fan of|is (?:a )?(?:(?:big|huge|massive|great) )?fan of',
    (c) => emitThings(c, 'likes'),
  ),
  frame(PERSON, 'prefer|prefers', (c) => {
    const found = things(c, c.at, false);
    const p = found[0];
    if (p === undefined) return false;
    const end = c.at + p.tokens.length;
    let detail = '';
    const rest = norms(c.tokens, end, 3);
    const over = /^(to|over|rather than|instead of)\b/.exec(rest);
    if (over) {
      const alternative = things(c, end + (over[1]?.split(' ').length ?? 1), false)[0];
      if (alternative) detail = ` over ${alternative.text}`;
    }
    c.out.triple(c.subject, 'prefers', p.text, { objectType: objectTypeOf(p), detail });
    return true;
  }),
  frame(PERSON, 'would rather', (c) => {
    // "I'd rather stay home than go out": a preference only when the alternative is stated.
    if (!c.tokens.slice(c.at).some((token) => token.norm === 'than')) return false;
    const verb = c.tokens[c.at];
    if (verb === undefined || !isVerbToken(verb) || verb.norm === 'not') return false;
    const rest = parsePhrases(c.tokens, c.at + 1, { max: 3, infinitive: false }).phrases[0];
    const text = [gerund(verb.norm), rest?.text ?? ''].join(' ').trim();
    c.out.triple(c.subject, 'prefers', text, { objectType: 'activity' });
    return true;
  }),
  frame(PERSON, 'am (?:a|an)(?: (?:big|huge|massive|great|real|diehard|lifelong))?', (c) => {
    // "I'm a huge Arsenal fan": a capitalized name, then "fan".
    let i = c.at;
    const name: Token[] = [];
    while (c.tokens[i]?.cap && name.length < 4) name.push(c.tokens[i++] as Token);
    if (name.length === 0 || c.tokens[i]?.norm !== 'fan' || !endsAt(c.tokens, i + 1)) return false;
    c.out.triple(c.subject, 'likes', surface(name), { objectType: null });
    return true;
  }),
  frame(PERSON, 'am|is|allergic', (c) => {
    // "I'm allergic to peanuts and shellfish", "Allergic to shellfish btw".
    let i = c.at;
    while (
      [
        'very',
        'severely',
        'extremely',
        'super',
        'deathly',
        'really',
        'highly',
        'mildly',
        'slightly',
      ].includes(c.tokens[i]?.norm ?? '')
    )
      i++;
    if (c.said.endsWith('allergic')) i--;
    if (norms(c.tokens, i, 2) !== 'allergic to') return false;
    return emitThings({ ...c, at: i + 2 }, 'allergic_to', 'allergen');
  }),
  frame(PERSON, 'have got|has got|have|has|got', (c) => {
    // "I have a severe shellfish allergy".
    const { phrases } = parsePhrases(c.tokens, c.at, { max: 4, infinitive: false });
    const p = phrases[0];
    if (p === undefined || p.tokens.length < 2) return false;
    const head = p.tokens[p.tokens.length - 1] as Token;
    if (head.norm !== 'allergy' && head.norm !== 'allergies') return false;
    const allergen = p.tokens[p.tokens.length - 2] as Token;
    if (!allergen.tags.has('Noun')) return false;
    // "a peanut allergy" is an allergy to peanuts (as "allergic to peanuts" says).
    const text = COUNTABLE_ALLERGENS.has(allergen.norm) ? `${allergen.text}s` : allergen.text;
    c.out.triple(c.subject, 'allergic_to', text, { objectType: 'allergen' });
    return true;
  }),
  frame(ANY, 'am|is|are|have been|has been|went|became|turned', (c) => {
    // "I'm vegetarian", "I've been a vegan for ten years", "I went vegan", "We are vegetarians".
    let i = c.at;
    while (
      ['a', 'an', 'strict', 'strictly', 'fully', 'full', 'mostly', 'now'].includes(c.tokens[i]?.norm ?? '')
    )
      i++;
    const said = c.tokens[i];
    const diet = said?.norm.replace(/s$/, '');
    if (said === undefined || diet === undefined || !DIETS.has(diet)) return false;
    const after = c.tokens[i + 1];
    if (!endsAt(c.tokens, i + 1) && !['for', 'since', 'so', 'because'].includes(after?.norm ?? ''))
      return false;
    c.out.triple(c.subject, 'has_diet', diet, { objectType: 'diet' });
    return true;
  }),

  // --- Skills.
  frame(PERSON, 'speak|speaks|can speak|am fluent in|is fluent in|speak fluently', (c) => {
    if (['to', 'with', 'about', 'up', 'for', 'of', 'on'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    return emitLanguages(c, 'speaks');
  }),
  frame(PERSON, 'am a native|is a native', (c) => {
    const language = c.tokens[c.at];
    if (language === undefined || !LANGUAGES.has(language.norm) || c.tokens[c.at + 1]?.norm !== 'speaker')
      return false;
    c.out.triple(c.subject, 'speaks', titleCase(language.text), { objectType: 'language' });
    return true;
  }),
  frame(
    PERSON,
    'play|plays|can play|have played|has played|have been playing|has been playing|know how to play',
    (c) => {
      const found = things(c, c.at, true).filter(
        (p) => !PLAY_IDIOMS.has(p.tokens[0]?.norm ?? '') && !PLAY_IDIOMS.has(p.tokens.at(-1)?.norm ?? ''),
      );
      for (const p of found) {
        const head = (p.tokens[p.tokens.length - 1] as Token).norm;
        const objectType = INSTRUMENTS.has(head) ? 'instrument' : SPORTS.has(head) ? 'sport' : null;
        c.out.triple(c.subject, 'plays', p.text, { objectType });
      }
      return found.length > 0;
    },
  ),
  frame(
    PERSON,
    '(?:am|is) (?:really |pretty |very |quite |super |fairly |so |extremely |actually )?(?:good|great|decent|skilled|talented|excellent|an expert|amazing|brilliant|awesome|experienced)',
    (c) => {
      const preposition = c.tokens[c.at]?.norm;
      if (preposition !== 'at' && preposition !== 'in' && preposition !== 'with') return false;
      const found = things(c, c.at + 1, false);
      for (const p of found) c.out.triple(c.subject, 'good_at', p.text, { objectType: objectTypeOf(p) });
      return found.length > 0;
    },
  ),
  frame(PERSON, 'can|know how to|am able to|is able to', (c) => {
    const verb = c.tokens[c.at];
    if (verb === undefined || !SKILL_VERBS.has(verb.norm)) return false;
    const next = c.tokens[c.at + 1];
    // "I can drive you", "I can cook dinner tonight", "I can sing for you": offers, not skills.
    if (next !== undefined && (NP_REJECT_START.has(next.norm) || next.tags.has('Pronoun'))) return false;
    const offer = c.tokens
      .slice(c.at + 1, c.at + 8)
      .some(
        (token) =>
          isTimeToken(token) ||
          token.tags.has('Pronoun') ||
          ['later', 'now', 'tonight', 'tomorrow', 'today', 'soon', 'if'].includes(token.norm),
      );
    if (offer) return false;
    let object = gerund(verb.norm);
    let said = verb.norm;
    if (next !== undefined && !next.punct && !next.tags.has('Adverb') && !NP_STOP.has(next.norm)) {
      const rest = PREPOSITIONS.has(next.norm)
        ? parsePhrases(c.tokens, c.at + 2, { max: 3, infinitive: false }).phrases[0]
        : parsePhrases(c.tokens, c.at + 1, { max: 3, infinitive: false }).phrases[0];
      if (rest !== undefined) {
        const joined = PREPOSITIONS.has(next.norm) ? `${next.norm} ${rest.text}` : rest.text;
        object = `${object} ${joined}`;
        said = `${said} ${joined}`;
      }
    }
    c.out.triple(c.subject, 'has_skill', object, { objectType: 'skill', fact: `can ${said}` });
    return true;
  }),
  frame(
    PERSON,
    'am learning|is learning|have been learning|has been learning|started learning|learn',
    (c) => {
      if (/learn$/.test(c.said) && !/\blearning\b/.test(c.said)) return false;
      let at = c.at;
      if (norms(c.tokens, at, 2) === 'how to' && c.tokens[at + 2] && isVerbToken(c.tokens[at + 2] as Token))
        at += 1;
      if (['about', 'a', 'so', 'from', 'with', 'that', 'more'].includes(c.tokens[at]?.norm ?? ''))
        return false;
      const found = things(c, at, true);
      for (const p of found) {
        const language = p.tokens.length === 1 && LANGUAGES.has((p.tokens[0] as Token).norm);
        c.out.triple(c.subject, 'learning', language ? titleCase(p.text) : p.text, {
          objectType: language ? 'language' : objectTypeOf(p),
        });
      }
      return found.length > 0;
    },
  ),

  // --- Relationships.
  frame(
    PERSON,
    'am married to|is married to|have been married to|has been married to|married|am engaged to|is engaged to|am dating|is dating|have been dating|am in a relationship with|is in a relationship with',
    (c) => {
      const predicate = /married/.test(c.said) ? 'married_to' : 'has_partner';
      return emitPerson(c, predicate, c.at);
    },
  ),
  frame(SELF_OR_WE, 'have got|has got|have|has|got', (c) => relationsHad(c)),
  frame(
    SELF,
    'am a (?:(?:single|proud|busy|working) )?(?:mom|mother|dad|father|mum|parent) of|am (?:mom|mother|dad|father|mum) of',
    (c) => {
      const number = parseNumber(c.tokens, c.at);
      if (number === null || !endsAt(c.tokens, number.end)) return false;
      c.out.triple(c.subject, 'number_of_children', String(number.value), {
        objectType: 'number',
        fact: `has ${number.value} ${number.value === 1 ? 'child' : 'children'}`,
      });
      return true;
    },
  ),

  // --- Plans and travel.
  frame(
    ANY,
    '(?:am|is|are) (?:going|flying|travell?ing|heading|driving|off|sailing|taking a trip|going on (?:a )?(?:trip|vacation|holiday))(?: back| over| down| up| out| away| home)?',
    (c) => (c.tokens[c.at]?.norm === 'to' ? emitPlaces({ ...c, at: c.at + 1 }, 'plans_to_visit') : false),
  ),
  frame(
    ANY,
    '(?:will|am going to|are going to|is going to|plan to|am planning to|are planning to) (?:be in|be visiting|visit|go to|fly to|travel to|head to|be going to|be flying to|be travell?ing to)',
    (c) => emitPlaces(c, 'plans_to_visit'),
  ),
  frame(ANY, 'am visiting|are visiting|is visiting', (c) => {
    if (emitPlaces(c, 'plans_to_visit')) return true;
    // "visiting my parents in Ohio next week".
    for (let i = c.at; i < Math.min(c.tokens.length, c.at + 5); i++) {
      if (c.tokens[i]?.norm === 'in') return emitPlaces({ ...c, at: i + 1 }, 'plans_to_visit');
      if (c.tokens[i]?.punct) break;
    }
    return false;
  }),
  frame(
    ANY,
    '(?:am|are|is) planning (?:a|our|my|the) (?:trip|vacation|holiday|visit)|(?:have|has) (?:a|an)(?: upcoming| big| work| business)? (?:trip|vacation|holiday|flight|conference)|booked (?:a|my|our|the) (?:flight|trip|ticket|tickets|hotel|holiday|vacation)',
    (c) => {
      const preposition = c.tokens[c.at]?.norm;
      return preposition === 'to' || preposition === 'in'
        ? emitPlaces({ ...c, at: c.at + 1 }, 'plans_to_visit')
        : false;
    },
  ),
  frame(
    ANY,
    '(?:am|are|is) (?:moving|relocating)(?: back)?|(?:will|am going to|are going to|is going to|plan to|am planning to) (?:move|relocate)(?: back)?',
    (c) => (c.tokens[c.at]?.norm === 'to' ? emitPlaces({ ...c, at: c.at + 1 }, 'plans_to_move_to') : false),
  ),
  frame(
    ANY,
    '(?:went|traveled|travelled|flew|drove|have been|has been|have traveled|have travelled|have gone)(?: back)?',
    (c) => (c.tokens[c.at]?.norm === 'to' ? emitPlaces({ ...c, at: c.at + 1 }, 'visited', true) : false),
  ),
  frame(ANY, 'visited|have visited|has visited', (c) => emitPlaces(c, 'visited', true)),
  frame(ANY, '(?:got|came|flew|returned|am|is|are)(?: just)? back', (c) =>
    c.tokens[c.at]?.norm === 'from' ? emitPlaces({ ...c, at: c.at + 1 }, 'visited') : false,
  ),

  // --- Age and name.
  frame(PERSON, 'am|is|just turned|turned|have just turned', (c) => emitAge(c, c.at)),
  frame(SELF, 'go by', (c) => {
    const p = parsePhrases(c.tokens, c.at, { max: 3, infinitive: false }).phrases[0];
    if (p === undefined || !isName(p)) return false;
    c.out.triple(c.subject, 'has_name', titleCase(p.text), { objectType: 'person' });
    return true;
  }),
  frame(SELF, 'am', (c) => {
    // "I'm Ana", "I'm Ana, a nurse from Porto", "I am Brazilian".
    const first = c.tokens[c.at];
    if (first === undefined) return false;
    if ((first.tags.has('Demonym') || DEMONYMS.has(first.norm)) && first.cap) {
      const after = c.tokens[c.at + 1];
      if (after?.norm === 'citizen' || endsAt(c.tokens, c.at + 1)) {
        c.out.triple(c.subject, 'has_nationality', first.text, { objectType: 'nationality' });
        return true;
      }
      return false;
    }
    const { phrases, end } = parsePhrases(c.tokens, c.at, { max: 3, infinitive: false });
    const p = phrases[0];
    if (p === undefined || (c.tokens[c.at]?.norm ?? '') !== (p.tokens[0]?.norm ?? '') || !isName(p, true))
      return false;
    if (!endsAt(c.tokens, end) && !['from', 'here'].includes(c.tokens[end]?.norm ?? '')) return false;
    c.out.triple(c.subject, 'has_name', p.text, { objectType: 'person' });
    // Apposition: "I'm Ana, a nurse from Porto", "I'm Tom, 28, software dev from Chicago".
    let i = end;
    for (let round = 0; round < 3; round++) {
      if (c.tokens[i]?.punct) i++;
      const age = parseNumber(c.tokens, i);
      if (age !== null && c.tokens[age.end] !== undefined && !c.tokens[age.end]?.punct) break;
      if (age !== null) {
        emitAge(c, i);
        i = age.end;
      } else if (c.tokens[i]?.norm === 'from') {
        occupationTail(c, i, false);
        break;
      } else {
        const job = occupation(c.tokens, i);
        if (job === null) break;
        emitOccupation(c, i);
        break;
      }
    }
    return true;
  }),
  frame(PERSON, 'am|is', (c) => {
    // "I'm a nurse", "I'm a software engineer at Spotify", "I'm a student at UCLA".
    if (!['a', 'an'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    return emitOccupation(c, c.at);
  }),
  frame(PERSON, 'have been|has been', (c) => {
    // "I've been a pharmacist for 12 years": still one (without the duration, maybe not any more).
    if (!['a', 'an'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    const found = occupation(c.tokens, c.at);
    if (found === null || !hasDuration(c.tokens, found.end)) return false;
    return emitOccupation(c, c.at);
  }),
  frame(
    PERSON,
    'am (?:a|an)(?: (?:pretty|really|very|quite|fairly|super|reasonably))? (?:good|great|decent|strong|excellent|amazing|talented|competent|confident|skilled|fast)',
    (c) => {
      // "I'm a pretty decent swimmer", "I'm a good chess player".
      const next = c.tokens[c.at];
      if (next === undefined) return false;
      const agent = SKILL_AGENTS.get(next.norm);
      if (agent !== undefined && endsAt(c.tokens, c.at + 1)) {
        c.out.triple(c.subject, 'good_at', agent, { objectType: 'activity' });
        return true;
      }
      if (c.tokens[c.at + 1]?.norm === 'player' && endsAt(c.tokens, c.at + 2) && !next.tags.has('Pronoun')) {
        c.out.triple(c.subject, 'good_at', next.text, { objectType: SPORTS.has(next.norm) ? 'sport' : null });
        return true;
      }
      return false;
    },
  ),
];

/** "a good *swimmer*" is good at swimming. */
const SKILL_AGENTS = new Map<string, string>(
  `swimmer:swimming cook:cooking dancer:dancing singer:singing runner:running driver:driving
  writer:writing skier:skiing baker:baking climber:climbing cyclist:cycling surfer:surfing
  skater:skating painter:painting programmer:programming coder:coding negotiator:negotiating
  listener:listening speaker:public_speaking`
    .split(/\s+/)
    .map((pair): [string, string] => {
      const [agent = '', activity = ''] = pair.split(':');
      return [agent, activity.replace('_', ' ')];
    }),
);

/** "I have two kids", "I have a brother named Luke", "We have a golden retriever called Biscuit". */
function relationsHad(c: FrameContext): boolean {
  const tokens = c.tokens;
  let i = c.at;
  let count =
    parseNumber(tokens, i) ?? (['a', 'an'].includes(tokens[i]?.norm ?? '') ? { value: 1, end: i + 1 } : null);
  let countText = tokens[i]?.norm ?? '';
  if (count === null && tokens[i]?.norm === 'twin' && RELATION_PLURALS.has(tokens[i + 1]?.norm ?? '')) {
    // "I have twin daughters": two, and "twin" stays in the wording.
    count = { value: 2, end: i };
    countText = '';
  }
  if (count === null) return false;
  i = count.end;
  const modifiers: string[] = [];
  while (tokens[i] !== undefined && RELATION_MODIFIERS.has((tokens[i] as Token).norm))
    modifiers.push((tokens[i++] as Token).norm);
  const noun = tokens[i];
  if (noun === undefined) return false;
  const singular = count.value > 1 ? RELATION_PLURALS.get(noun.norm) : noun.norm;
  const relation = singular === undefined ? undefined : RELATIONS.get(singular);
  if (relation === undefined || singular === undefined || partOfCompound(noun, tokens[i + 1])) return false;
  i++;
  const said = [...modifiers, singular].join(' ');
  const saidPlural = [...modifiers, noun.norm].join(' ');
  // Names: "named Luke", "called Biscuit", ": Emma, Noah and Liam", ", Anna".
  const names: Phrase[] = [];
  if (['named', 'called'].includes(tokens[i]?.norm ?? '') || tokens[i]?.punct) {
    const { phrases } = parsePhrases(tokens, i + 1, { list: true, max: 3, infinitive: false });
    for (const p of phrases) if (isName(p)) names.push(p);
  }
  const children = ['kid', 'child'].includes(singular);
  if (children && count.value > 1) {
    c.out.triple(c.subject, 'number_of_children', String(count.value), {
      objectType: 'number',
      fact: `has ${countText} ${saidPlural}`,
    });
  }
  for (const name of names.slice(0, Math.max(1, count.value))) {
    emitRelation(c.out, c.subject, relation, said, titleCase(name.text));
  }
  if (names.length === 0 && !(children && count.value > 1)) {
    c.out.fact(
      capitalize(`has ${count.value > 1 ? `${countText} ${saidPlural}`.trim() : article(said)}`),
      'RELATIONSHIP',
    );
  }
  // "a cat named Mochi and a dog named Pepper": the next relative in the same list.
  let next = i;
  while (next < tokens.length && next < i + 6 && tokens[next]?.norm !== 'and') next++;
  if (tokens[next]?.norm === 'and' && next + 1 < tokens.length) relationsHad({ ...c, at: next + 1 });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Clauses that start with something other than the subject and a verb.

/** "a dog-friendly flat", "my brother-in-law", "my dog food": the relation noun is not the head. */
function partOfCompound(noun: Token, next: Token | undefined): boolean {
  if (noun.join === '-') return true;
  if (next === undefined || next.punct || next.cap || next.tags.has('Person')) return false;
  return next.tags.has('Noun') && !next.tags.has('Pronoun') && !['named', 'called'].includes(next.norm);
}

/** "my younger sister" at `from`: the relation, its modifiers, and where it ends. */
function relationAt(
  tokens: readonly Token[],
  from: number,
): { relation: Relation; noun: string; said: string; end: number } | null {
  let i = from;
  const modifiers: string[] = [];
  while (
    tokens[i] !== undefined &&
    (RELATION_MODIFIERS.has((tokens[i] as Token).norm) || RELATION_ENDED.has((tokens[i] as Token).norm))
  ) {
    const word = (tokens[i] as Token).norm;
    if (RELATION_ENDED.has(word)) return null;
    modifiers.push(word);
    i++;
  }
  const noun = tokens[i];
  if (noun === undefined) return null;
  // The modifiers stay in the wording of the fact ("a *younger* sister named Anna").
  const relation = RELATIONS.get(noun.norm);
  if (relation === undefined || partOfCompound(noun, tokens[i + 1])) return null;
  return { relation, noun: noun.norm, said: [...modifiers, noun.norm].join(' '), end: i + 1 };
}

/** A name right after a relation ("my sister *Anna*"): capitalized or a known first name. */
function nameAt(tokens: readonly Token[], from: number): { name: string; end: number } | null {
  const words: Token[] = [];
  let i = from;
  while (i < tokens.length && words.length < 3) {
    const token = tokens[i] as Token;
    if (token.punct || token.quoted) break;
    const nameLike = token.cap || (token.tags.has('FirstName') && words.length === 0);
    if (!nameLike || token.tags.has('Pronoun') || (isVerbToken(token) && !token.cap)) break;
    if (token.tags.has('Date') || token.tags.has('Month')) break;
    words.push(token);
    i++;
  }
  if (words.length === 0) return null;
  return { name: titleCase(surface(words)), end: i };
}

function emitRelation(
  out: Output,
  subject: Subject,
  relation: Relation,
  said: string,
  name: string,
): Subject {
  const fact = relation.predicate === 'married_to' ? undefined : `has ${article(said)} named ${name}`;
  out.triple(subject, relation.predicate, name, { objectType: relation.kind, ...(fact ? { fact } : {}) });
  const named: Subject = { kind: 'named', name, relation: said, type: relation.kind };
  out.lastNamed = named;
  return named;
}

/**
 * Clauses that start with "my"/"our": the user's name, relatives ("my sister Anna lives in
 * London"), favorites, birthday, native language, trips. Returns the subject and where the rest of
 * the clause starts when it continues with a verb frame ("my sister Anna *lives in London*").
 */
function possessiveClause(
  tokens: readonly Token[],
  at: number,
  out: Output,
): { subject: Subject; at: number } | null {
  const owner: Subject = tokens[at]?.norm === 'our' ? { kind: 'we' } : USER;
  const rest = tokens.map((token) => token.norm).slice(at + 1);
  const text = rest.join(' ');
  const context = (from: number, subject: Subject = USER): FrameContext => ({
    tokens,
    at: from,
    said: '',
    subject,
    out,
  });
  const base = at + 1;
  // "my name is Ana", "my name's Ana", "my first name is Ana".
  const name = /^(?:first |full )?(?:name (?:is|'s)|names(?= [a-z]+$)) /.exec(text);
  if (name) {
    emitUserName(tokens, base + tokenAt(tokens.slice(base), name[0].length), out);
    return null;
  }
  // "my favorite color is green".
  const favorite =
    /^(?:favorite|favourite|fav|fave|all-time favorite) ([a-z]+(?: [a-z]+)?) (?:is|are|'s) /.exec(text);
  if (favorite?.[1] !== undefined) {
    const thing = favorite[1];
    if (['thing', 'part', 'one', 'thing to do', 'way'].includes(thing)) return null;
    const from = base + tokenAt(tokens.slice(base), favorite[0].length);
    const p = parsePhrases(tokens, from, { max: 4, infinitive: true }).phrases[0];
    if (p === undefined) return null;
    out.triple(USER, `favorite_${thing.replace(/ /g, '_')}`, p.text, { objectType: null });
    return null;
  }
  // "my birthday is on May 3", "my birthday's March 12th", "my anniversary is June 14".
  const date = /^(birthday|bday|b-day|(?:wedding )?anniversary) (?:is|'s)(?: on| in)? /.exec(text);
  if (date?.[1] !== undefined) {
    const parsed = parseDate(tokens, base + tokenAt(tokens.slice(base), date[0].length));
    if (parsed === null) return null;
    out.triple(
      USER,
      date[1].endsWith('anniversary') ? 'has_anniversary' : 'has_birthday',
      parsed.phrase.text,
      {
        objectType: 'date',
      },
    );
    return null;
  }
  // "my native language is Spanish", "my hometown is Porto".
  const native = /^(native language|mother tongue|first language|hometown|home town) (?:is|'s) /.exec(text);
  if (native?.[1] !== undefined) {
    const from = base + tokenAt(tokens.slice(base), native[0].length);
    if (native[1].startsWith('home')) emitPlaces(context(from), 'is_from');
    else emitLanguages(context(from), 'speaks');
    return null;
  }
  // "my flight to Seoul leaves tomorrow", "my trip to Peru is next week" (not "was").
  const trip = /^(?:flight|trip|vacation|holiday) to /.exec(text);
  if (trip) {
    const from = base + tokenAt(tokens.slice(base), trip[0].length);
    const found = places(tokens, from);
    const verb = tokens[found.end]?.norm ?? '';
    if (['is', 'leaves', 'departs', 'starts', 'takes', 'will'].includes(verb)) {
      for (const p of found.phrases) out.triple(owner, 'plans_to_visit', p.text, { objectType: 'place' });
    }
    return null;
  }
  // Relatives: "my sister Anna", "my husband is called Tom", "my mom's name is Linda".
  const relation = relationAt(tokens, base);
  if (relation === null) return null;
  let i = relation.end;
  const after = tokens.slice(i).map((token) => token.norm);
  const afterText = after.join(' ');
  const called = /^(?:'s name is|'s name 's|is called|is named|'s called|goes by) /.exec(afterText);
  if (called) {
    const found = nameAt(tokens, i + tokenAt(tokens.slice(i), called[0].length));
    if (found) emitRelation(out, USER, relation.relation, relation.said, found.name);
    return null;
  }
  if (/^is /.test(afterText)) {
    // "my husband is Tom" (a known first name, then the end of the clause).
    const found = nameAt(tokens, i + 1);
    const first = tokens[i + 1];
    if (found && first?.tags.has('Person') && endsAt(tokens, found.end)) {
      emitRelation(out, USER, relation.relation, relation.said, found.name);
    }
    return null;
  }
  const found = nameAt(tokens, i);
  if (found === null) {
    // "my wife and I live in Porto": a plural subject including the user.
    if (/^and (?:i|me) /.test(afterText)) return { subject: { kind: 'we' }, at: i + 2 };
    return null;
  }
  const named = emitRelation(out, USER, relation.relation, relation.said, found.name);
  i = found.end;
  if (tokens[i]?.norm === 'and' && ['i', 'me'].includes(tokens[i + 1]?.norm ?? '')) {
    return { subject: { kind: 'we' }, at: i + 2 };
  }
  return { subject: named, at: i };
}

/**
 * The name after "my name is" / "call me". Lowercase passes for a known first name ("my name is
 * ana"), and after "my name is" for a word compromise does not know; "call me" also says other
 * things ("call me crazy"), so there the name must be capitalized or a known first name.
 */
function emitUserName(tokens: readonly Token[], from: number, out: Output, strict = false): boolean {
  const words: Token[] = [];
  let i = from;
  while (i < tokens.length && words.length < 3) {
    const token = tokens[i] as Token;
    if (
      token.punct ||
      NP_STOP.has(token.norm) ||
      PREPOSITIONS.has(token.norm) ||
      token.tags.has('Determiner')
    )
      break;
    if (token.tags.has('Pronoun') || (isVerbToken(token) && !token.cap && !token.tags.has('Person'))) break;
    if (!token.cap && !token.tags.has('Person') && words.length > 0) break;
    words.push(token);
    i++;
  }
  if (words.length === 0) return false;
  const first = words[0] as Token;
  if (!first.cap && !first.tags.has('Person') && (strict || knownWord(first.norm))) return false;
  out.triple(USER, 'has_name', titleCase(surface(words)), { objectType: 'person' });
  return true;
}

/** Clauses in no first-person shape that still say something: "Tom is my husband", "call me Max". */
function otherClause(tokens: readonly Token[], at: number, out: Output, sentenceStart: boolean): boolean {
  const text = tokens
    .slice(at)
    .map((token) => token.norm)
    .join(' ');
  const offset = (length: number) => at + tokenAt(tokens.slice(at), length);
  // "you can call me Bea", "call me Max", "everyone calls me Mo".
  const call =
    /^(?:you can |u can |please |just |everyone |people |friends |my friends |most people )?(?:call|calls) me /.exec(
      text,
    );
  if (call) return emitUserName(tokens, offset(call[0].length), out, true);
  // "name's Carlos" (subject dropped).
  const name = /^(?:the )?name (?:is|'s) /.exec(text);
  if (name) return emitUserName(tokens, offset(name[0].length), out);
  // "this is Maria Gonzalez" at the start of a message, with a known first name.
  if (sentenceStart && /^this is /.test(text)) {
    const first = tokens[offset(8)];
    const found = nameAt(tokens, offset(8));
    if (found && first?.tags.has('FirstName') && endsAt(tokens, found.end)) {
      out.triple(USER, 'has_name', found.name, { objectType: 'person' });
      return true;
    }
    return false;
  }
  // "Sushi is my favourite food".
  const favorite =
    / (?:is|are) my (?:favorite|favourite|fav|fave|all-time favorite) ([a-z]+(?: [a-z]+)?)$/.exec(text);
  if (favorite?.[1] !== undefined && favorite.index > 0) {
    const p = parsePhrases(tokens, at, { max: 4, infinitive: false }).phrases[0];
    if (p === undefined || p.tokens.length !== tokenAt(tokens.slice(at), favorite.index)) return false;
    if (['thing', 'part', 'one'].includes(favorite[1])) return false;
    out.triple(USER, `favorite_${favorite[1].replace(/ /g, '_')}`, p.text, { objectType: null });
    return true;
  }
  // "Spanish is my native language".
  if (/ is my (?:native language|mother tongue|first language)$/.test(text)) {
    const language = tokens[at];
    if (language !== undefined && LANGUAGES.has(language.norm) && tokens[at + 1]?.norm === 'is') {
      out.triple(USER, 'speaks', titleCase(language.text), { objectType: 'language' });
      return true;
    }
    return false;
  }
  // "Originally from Kenya, but ...": the answer to where the user is from, subject dropped.
  if (sentenceStart && tokens[at]?.norm === 'from' && at > 0 && tokens[at - 1]?.norm === 'originally') {
    const found = places(tokens, at + 1);
    const p = found.phrases[0];
    if (p !== undefined && endsAt(tokens, found.end)) {
      out.triple(USER, 'is_from', p.text, { objectType: 'place' });
      return true;
    }
  }
  // "Tom is my husband".
  const found = nameAt(tokens, at);
  if (found && tokens[found.end]?.norm === 'is' && tokens[found.end + 1]?.norm === 'my') {
    const relation = relationAt(tokens, found.end + 2);
    if (relation && endsAt(tokens, relation.end)) {
      emitRelation(out, USER, relation.relation, relation.said, found.name);
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Sentences.

/** Where the subject starts: after discourse words and a leading time ("Last year, I ..."). */
/** Requests to remember that preface a statement: "Please remember (that) I'm allergic to nuts". */
const MEMORY_REQUEST =
  /^(?:please |pls |also |and )?(?:remember|note|do not forget|keep in mind|just so you know|for the record|for context|for reference|fyi)(?: that)? /;

function subjectStart(tokens: readonly Token[]): number {
  let i = skipDiscourse(tokens);
  const request = MEMORY_REQUEST.exec(norms(tokens, i, 7));
  if (request) i = skipDiscourse(tokens, i + tokenAt(tokens.slice(i), request[0].length));
  for (let k = i; k < Math.min(tokens.length, i + 6); k++) {
    const token = tokens[k] as Token;
    if (['i', 'we', 'my', 'our', 'me'].includes(token.norm) && k > i) {
      const prefix = tokens.slice(i, k);
      const timeOnly = prefix.every(
        (word) =>
          word.punct ||
          LEADING_TIME.has(word.norm) ||
          isTimeToken(word) ||
          word.tags.has('Value') ||
          DISCOURSE.has(word.norm),
      );
      return timeOnly ? k : i;
    }
  }
  return i;
}

/** Adverbs dropped after an auxiliary so frames need not list them ("I'm *currently* a student"). */
const MID_ADVERBS = words(`
  currently now also still actually really just already finally recently definitely totally
  absolutely truly honestly seriously literally mostly officially proudly happily
`);
const AUXILIARIES = words('am is are was were have has had been do does did will would can');

function runFrames(tokens: readonly Token[], at: number, subject: Subject, out: Output): boolean {
  const rest = tokens
    .slice(at)
    .filter(
      (token, i, all) =>
        !(i > 0 && i < 5 && MID_ADVERBS.has(token.norm) && AUXILIARIES.has(all[i - 1]?.norm ?? '')),
    );
  const text = rest.map((token) => token.norm).join(' ');
  for (const candidate of FRAMES) {
    if (!candidate.subjects.includes(subject.kind)) continue;
    const match = candidate.pattern.exec(text);
    if (match === null) continue;
    const context: FrameContext = {
      tokens: rest,
      at: tokenAt(rest, match[0].length + 1),
      said: match[0],
      subject,
      out,
    };
    if (candidate.run(context)) return true;
  }
  return false;
}

function extractClause(
  clause: Clause,
  out: Output,
  sentenceStart: boolean,
  previous: Subject | null,
): Subject | null {
  const tokens = clause.tokens;
  if (tokens.length === 0) return null;
  let at = subjectStart(tokens);
  const first = tokens[at];
  if (first === undefined || first.quoted) return null;
  let subject: Subject | null = null;
  if (clause.lead === 'who') {
    // "a brother named Luke who lives in Denver".
    subject = out.lastNamed;
  } else if (first.norm === 'i') {
    subject = USER;
    at++;
  } else if (first.norm === 'we') {
    subject = { kind: 'we' };
    at++;
  } else if (first.norm === 'me' && tokens[at + 1]?.norm === 'and') {
    // "Me and my husband moved to Denver": skip to the verb.
    const my = tokens[at + 2]?.norm === 'my' ? relationAt(tokens, at + 3) : null;
    if (my === null) return null;
    const named = nameAt(tokens, my.end);
    if (named) emitRelation(out, USER, my.relation, my.said, named.name);
    subject = { kind: 'we' };
    at = named ? named.end : my.end;
  } else if (first.norm === 'my' || first.norm === 'our') {
    const possessive = possessiveClause(tokens, at, out);
    if (possessive === null) return null;
    subject = possessive.subject;
    at = possessive.at;
  } else if (
    first.cap &&
    tokens[at + 1]?.norm === 'and' &&
    ['i', 'me'].includes(tokens[at + 2]?.norm ?? '')
  ) {
    // "Jake and I are going to Rome", "Marco and I got married in 2019".
    const partner = /^(?:just )?(?:got|are|were|have been|have just got) (married|engaged)\b/.exec(
      norms(tokens, at + 3, 4),
    );
    if (partner?.[1] !== undefined && first.tags.has('Person')) {
      out.triple(USER, partner[1] === 'married' ? 'married_to' : 'has_partner', first.text, {
        objectType: 'person',
      });
      return null;
    }
    subject = { kind: 'we' };
    at += 3;
  } else if (otherClause(tokens, at, out, sentenceStart)) {
    return null;
  } else if (ELIDED_VERBS.has(first.norm) && (sentenceStart || previous?.kind === 'user')) {
    // "Love hiking!", "... and work in Lisbon": the subject is the user (or the previous clause's).
    subject = previous ?? USER;
  }
  if (subject === null) return null;
  if (at >= tokens.length) return subject;
  runFrames(tokens, at, subject, out);
  return subject;
}

function extractSentence(tokens: Token[], question: boolean, out: Output): void {
  let clauses = splitClauses(tokens);
  if (question) {
    // Keep the statements before the question ("I live in Porto, any tips?"), drop the rest.
    const firstQuestion = clauses.findIndex(isInterrogative);
    clauses = firstQuestion <= 0 ? [] : clauses.slice(0, firstQuestion);
  }
  let previous: Subject | null = null;
  let seenSubject = false;
  let skipNext = false;
  clauses.forEach((clause) => {
    const hypothetical = clause.lead !== null && HYPOTHETICAL.has(clause.lead);
    const leadingHypothetical =
      hypothetical &&
      !seenSubject &&
      ['if', 'unless', 'suppose', 'supposing', 'imagine'].includes(clause.lead ?? '');
    if (skipNext) {
      skipNext = false;
      return;
    }
    if (hypothetical || clauseHasHypothetical(clause)) {
      // "If I lived in Paris, I would ...": the main clause after a leading "if" goes too.
      if (leadingHypothetical) skipNext = true;
      previous = null;
      return;
    }
    const subject = extractClause(clause, out, !seenSubject, previous);
    if (subject !== null) seenSubject = true;
    previous = subject?.kind === 'user' || subject?.kind === 'we' ? subject : null;
  });
}

/** A clause that carries "if"/"unless" inside a phrase attached to it ("I'll move there if possible"). */
function clauseHasHypothetical(clause: Clause): boolean {
  return clause.tokens.some(
    (token) => token.norm === 'if' || token.norm === 'unless' || token.norm === 'whether',
  );
}

// ---------------------------------------------------------------------------------------------
// Messages.

/** Short answers to the assistant's question ("What's your name?" → "Ana"), rewritten as statements. */
const ANSWERS: [RegExp, string][] = [
  [/\bwhat(?:'s| is) your (?:first |full )?name\b|\bwhat should i call you\b/i, 'My name is '],
  [/\bwhere do you live\b|\bwhere are you based\b|\bwhich city do you live in\b/i, 'I live in '],
  [/\bwhere are you from\b|\bwhere do you come from\b/i, "I'm from "],
  [/\bhow old are you\b/i, "I'm "],
  [
    /\bwhat do you do(?: for (?:a )?(?:living|work))?\b|\bwhat(?:'s| is) your (?:job|occupation)\b/i,
    'I work as ',
  ],
];

function answerPrefix(previous: { role: string; content: string } | undefined): string | null {
  if (previous?.role !== 'ASSISTANT') return null;
  const question = previous.content
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => sentence.includes('?'))
    .pop();
  if (question === undefined) return null;
  for (const [pattern, prefix] of ANSWERS) if (pattern.test(question)) return prefix;
  return null;
}

function normalizeText(text: string): string {
  return (
    text
      .replace(/[’‘`´]/g, "'")
      .replace(/\s+/g, ' ')
      // Chat shorthand for "and": "im a nurse n i live in leeds", "cats & dogs".
      .replace(/ (?:n|&|\+) /g, ' and ')
      .trim()
  );
}

function extractMessage(content: string, out: Output, prefix: string | null): void {
  let text = normalizeText(content);
  if (text === '') return;
  if (prefix !== null) {
    // Only a short fragment is an answer: "Ana", "Lisbon, Portugal.", "a nurse".
    const fragment = text.replace(/[.!]+$/, '');
    const looksLikeAnswer =
      fragment.split(/\s+/).length <= 4 &&
      !/\b(i|i'm|im|my|you|we)\b/i.test(fragment) &&
      !fragment.includes('?');
    if (looksLikeAnswer)
      text = `${prefix}${prefix === 'I work as ' && !/^(an?|the) /i.test(fragment) ? 'a ' : ''}${fragment}.`;
  }
  const doc = nlp(text);
  for (const terms of doc.docs as unknown as CompromiseTerm[][]) {
    const tokens = tokenize(terms);
    const question = terms.some((term) => term.post.includes('?'));
    extractSentence(tokens, question, out);
  }
}

/** The local extractor: see the comment at the top of this file. */
export function createLocalExtractor(): Extractor {
  return {
    name: 'local',
    async extract(input: ExtractionInput, signal?: AbortSignal): Promise<Extraction> {
      const out = new Output(input.entity, 0);
      input.messages.forEach((message, index) => {
        signal?.throwIfAborted();
        // Only the user speaks about the user; assistant, system and tool text is never a statement
        // by the user (an assistant question only frames the user's short answer).
        if (message.role !== 'USER') return;
        out.messageIndex = index;
        out.lastNamed = null;
        extractMessage(message.content, out, answerPrefix(input.messages[index - 1]));
      });
      return { facts: out.facts, triples: out.triples, summary: null, usage: null };
    },
  };
}
