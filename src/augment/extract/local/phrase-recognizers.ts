/**
 * What a phrase or the tokens at a position are: a place, a person's name, a number, a date, or a
 * time expression after an object ("next month"). The checks that keep "Starbucks" out of
 * lives_in and "I'm Sorry" out of has_name.
 */

import { CONNECTORS, MONTHS, TIME_ADVERBS, TIME_GLUE } from './grammar-words.ts';
import { type Phrase, phrase, surface } from './phrases.ts';
import { isAcronym, isTimeToken, knownWord, type Token } from './tokens.ts';
import { NUMBER_WORDS } from './vocabulary.ts';

/** A place: every word capitalized or tagged #Place ("Porto", "new york city", "the Netherlands"). */
export function isPlace(p: Phrase): boolean {
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
export function isName(p: Phrase, strict = false): boolean {
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

export function parseNumber(tokens: readonly Token[], i: number): { value: number; end: number } | null {
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
export function parseDate(tokens: readonly Token[], from: number): { phrase: Phrase; end: number } | null {
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

/** A time expression right after an object ("next month", "on Friday"), for the fact's wording. */
export function timeTail(tokens: readonly Token[], from: number): string {
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
