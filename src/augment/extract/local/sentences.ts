/**
 * A sentence: split into clauses, each clause's subject found (after discourse words, a leading
 * time or "please remember that"), and the rest handed to the frames; questions and hypotheticals
 * dropped. The subject carries over between clauses ("Love hiking and work in Lisbon").
 */

import {
  type Clause,
  clauseHasHypothetical,
  isInterrogative,
  skipDiscourse,
  splitClauses,
} from './clauses.ts';
import { runFrames } from './frames.ts';
import { DISCOURSE, ELIDED_VERBS, HYPOTHETICAL, LEADING_TIME } from './grammar-words.ts';
import { otherClause } from './other-clauses.ts';
import { type Output, type Subject, USER } from './output.ts';
import { possessiveClause } from './possessive-clauses.ts';
import { emitRelation, nameAt, relationAt } from './relations.ts';
import { isTimeToken, norms, type Token, tokenAt } from './tokens.ts';

/** Requests to remember that preface a statement: "Please remember (that) I'm allergic to nuts". */
const MEMORY_REQUEST =
  /^(?:please |pls |also |and )?(?:remember|note|do not forget|keep in mind|just so you know|for the record|for context|for reference|fyi)(?: that)? /;

/** Where the subject starts: after discourse words and a leading time ("Last year, I ..."). */
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

export function extractSentence(tokens: Token[], question: boolean, out: Output): void {
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
