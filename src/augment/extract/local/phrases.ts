/**
 * Object phrases: the noun phrase after a verb frame, with determiners dropped and cut before
 * adverbials, clauses and most prepositional phrases ("hiking in the mountains" stays whole,
 * "swimming in the morning" loses its time). Separate from the frames because every frame reads
 * its object through it, and its cutting rules are what precision rests on.
 */

import nlp from 'compromise/two';
import {
  NOT_ACTIVITIES,
  NP_REJECT_START,
  NP_STOP,
  PREPOSITIONS,
  TEMPORAL_PREPOSITIONS,
} from './grammar-words.ts';
import { isAcronym, isTimeToken, isVerbToken, type Token } from './tokens.ts';
import { AND_COMPOUNDS } from './vocabulary.ts';

export interface Phrase {
  tokens: Token[];
  text: string;
}

export function surface(tokens: readonly Token[]): string {
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

export function phrase(tokens: Token[]): Phrase {
  return { tokens, text: surface(tokens) };
}

type Conjugate = (infinitive: string, model: object) => { Gerund?: string };
const CONJUGATE = (nlp.methods() as { two: { transform: { verb: { conjugate: Conjugate } } } }).two.transform
  .verb.conjugate;
const MODEL = nlp.model();
const gerunds = new Map<string, string>();
/** "swim" → "swimming", through compromise's conjugator. */
export function gerund(verb: string): string {
  let cached = gerunds.get(verb);
  if (cached === undefined) {
    cached = CONJUGATE(verb, MODEL).Gerund ?? `${verb}ing`;
    gerunds.set(verb, cached);
  }
  return cached;
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
export function parsePhrases(
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
