/**
 * What the frames do with the words after the verb: read places, things, workplaces,
 * occupations, languages, people and ages, check each against what its predicate expects, and
 * emit the triples. Shared by many frames ("live in" and "moved to" both read places), so apart
 * from the frame lists.
 */

import type { FrameContext } from './frame.ts';
import { CONVERSATIONAL } from './grammar-words.ts';
import { isName, isPlace, parseNumber, timeTail } from './phrase-recognizers.ts';
import { type Phrase, parsePhrases, phrase, surface } from './phrases.ts';
import { RELATION_PLURALS, RELATIONS } from './relation-words.ts';
import { relationAt } from './relations.ts';
import { endsAt, isTimeToken, norms, type Token } from './tokens.ts';
import {
  DWELLINGS,
  GENERIC_WORKPLACES,
  INSTRUMENTS,
  LANGUAGES,
  NOT_CURRENT,
  NOT_WORKPLACES,
  OCCUPATIONS,
  PEOPLE,
  SPORTS,
} from './vocabulary.ts';
import { lowerFirst, titleCase } from './wording.ts';

export function places(
  tokens: readonly Token[],
  from: number,
  list = false,
): { phrases: Phrase[]; end: number } {
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

export function emitPlaces(context: FrameContext, predicate: string, list = false): boolean {
  const found = places(context.tokens, context.at, list);
  // The time after a trip ("next month") goes into the fact; templates without one ignore it.
  const tail = timeTail(context.tokens, found.end);
  for (const p of found.phrases)
    context.out.triple(context.subject, predicate, p.text, { objectType: 'place', detail: tail });
  return found.phrases.length > 0;
}

/** A place, or a home and then its place: "a tiny apartment in Brooklyn", "a small town in Ohio". */
export function emitPlaceOrHome(context: FrameContext, predicate: string): boolean {
  if (emitPlaces(context, predicate)) return true;
  const home = parsePhrases(context.tokens, context.at, { max: 4, infinitive: false });
  const head = home.phrases[0]?.tokens.at(-1)?.norm ?? '';
  if (!DWELLINGS.has(head) || context.tokens[home.end]?.norm !== 'in') return false;
  return emitPlaces({ ...context, at: home.end + 1 }, predicate);
}

/** "for ten years", "since 2015" after the object: a present-perfect state that still holds. */
export function hasDuration(tokens: readonly Token[], from: number): boolean {
  if (/^(my whole life|all my life|my entire life|forever|ever since)\b/.test(norms(tokens, from, 3)))
    return true;
  return tokens.slice(from, from + 3).some((token) => token.norm === 'for' || token.norm === 'since');
}

/** Objects of preference and skill verbs, with conversational references filtered out. */
export function things(context: FrameContext, from = context.at, list = true): Phrase[] {
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

export function objectTypeOf(p: Phrase): string | null {
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

export function emitThings(context: FrameContext, predicate: string, objectType?: string): boolean {
  const found = things(context, context.at, true);
  for (const p of found)
    context.out.triple(context.subject, predicate, p.text, { objectType: objectType ?? objectTypeOf(p) });
  return found.length > 0;
}

export function emitWorkplace(context: FrameContext, from: number, predicate = 'works_at'): number {
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
export function occupation(tokens: readonly Token[], from: number): { phrase: Phrase; end: number } | null {
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
export function occupationTail(context: FrameContext, at: number, student: boolean): void {
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

export function emitOccupation(context: FrameContext, start: number): boolean {
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

export function emitLanguages(context: FrameContext, predicate: string, from = context.at): boolean {
  const found = languages(context, from);
  for (const p of found) context.out.triple(context.subject, predicate, p.text, { objectType: 'language' });
  return found.length > 0;
}

export function emitPerson(context: FrameContext, predicate: string, from: number): boolean {
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
export function emitAge(context: FrameContext, from: number): boolean {
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
