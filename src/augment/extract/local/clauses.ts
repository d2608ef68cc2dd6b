/**
 * Clauses: a sentence split at commas and conjunctions where a new clause starts (and only
 * there: in "I love hiking, swimming and cycling" the pieces are objects), and the tests that drop
 * a clause before any frame sees it (a question, an "if").
 */

import {
  AUX_WORDS,
  CLAUSE_SPLITTERS,
  DISCOURSE,
  ELIDED_VERBS,
  QUESTION_FRAGMENTS,
  SUBJECT_WORDS,
  WH_WORDS,
} from './grammar-words.ts';
import type { Token } from './tokens.ts';

export interface Clause {
  tokens: Token[];
  /** The conjunction or subordinator the clause was split at ("and", "if", "because"). */
  lead: string | null;
}

/** Index of the first token after discourse words and commas. */
export function skipDiscourse(tokens: readonly Token[], from = 0): number {
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
export function splitClauses(tokens: readonly Token[]): Clause[] {
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

export function isInterrogative(clause: Clause): boolean {
  const i = skipDiscourse(clause.tokens);
  const first = clause.tokens[i];
  if (first === undefined) return false;
  if (WH_WORDS.has(first.norm) || QUESTION_FRAGMENTS.has(first.norm)) return true;
  const next = clause.tokens[i + 1];
  return (
    AUX_WORDS.has(first.norm) && next !== undefined && (SUBJECT_WORDS.has(next.norm) || next.tags.has('Noun'))
  );
}

/** A clause that carries "if"/"unless" inside a phrase attached to it ("I'll move there if possible"). */
export function clauseHasHypothetical(clause: Clause): boolean {
  return clause.tokens.some(
    (token) => token.norm === 'if' || token.norm === 'unless' || token.norm === 'whether',
  );
}
