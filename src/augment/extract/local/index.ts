/**
 * The local extractor: deterministic, no network, no key. It reads first-person statements in the
 * user's messages ("My name is Ana", "I moved to Madrid", "I don't like coffee") and turns them
 * into facts and triples with the vocabulary of predicates.ts.
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
 *
 * Where things are (each module imports only the ones listed before it):
 *   word-set.ts, grammar-words.ts, vocabulary.ts, relation-words.ts   word lists, data only
 *   tokens.ts, clauses.ts          compromise terms -> tokens; sentences -> clauses
 *   phrases.ts, phrase-recognizers.ts   the object after a frame; place, name, number, date
 *   wording.ts, output.ts          how a triple is worded as a fact; the collector of both
 *   frame.ts, relations.ts, frame-objects.ts   the frame type; relatives; what frames read and emit
 *   frames-*.ts, frames.ts         the verb frames by topic; their order and runFrames
 *   possessive-clauses.ts, other-clauses.ts   clauses that do not open with subject + verb
 *   sentences.ts                   subjects, clauses and frames put together
 *   index.ts (this file)           messages, answers to the assistant's question, the extractor
 */

import nlp from 'compromise/two';
import type { Extraction, ExtractionInput, Extractor } from '../../types.ts';
import { Output } from './output.ts';
import { extractSentence } from './sentences.ts';
import { type CompromiseTerm, tokenize } from './tokens.ts';

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
