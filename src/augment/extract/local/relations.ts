/**
 * Relatives and pets: "my younger sister Anna", "a brother named Luke", "I have two kids", "Tom is
 * my husband". Finds the relation noun and the name after it and emits the has_* triple; the
 * subject it returns lets the rest of the clause speak about that person ("my sister Anna *lives
 * in London*").
 */

import type { FrameContext } from './frame.ts';
import type { Output, Subject } from './output.ts';
import { isName, parseNumber } from './phrase-recognizers.ts';
import { type Phrase, parsePhrases, surface } from './phrases.ts';
import {
  RELATION_ENDED,
  RELATION_MODIFIERS,
  RELATION_PLURALS,
  RELATIONS,
  type Relation,
} from './relation-words.ts';
import { isVerbToken, type Token } from './tokens.ts';
import { article, capitalize, titleCase } from './wording.ts';

/** "I have two kids", "I have a brother named Luke", "We have a golden retriever called Biscuit". */
export function relationsHad(c: FrameContext): boolean {
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

/** "a dog-friendly flat", "my brother-in-law", "my dog food": the relation noun is not the head. */
function partOfCompound(noun: Token, next: Token | undefined): boolean {
  if (noun.join === '-') return true;
  if (next === undefined || next.punct || next.cap || next.tags.has('Person')) return false;
  return next.tags.has('Noun') && !next.tags.has('Pronoun') && !['named', 'called'].includes(next.norm);
}

/** "my younger sister" at `from`: the relation, its modifiers, and where it ends. */
export function relationAt(
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
export function nameAt(tokens: readonly Token[], from: number): { name: string; end: number } | null {
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

export function emitRelation(
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
