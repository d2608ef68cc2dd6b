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
 */

import nlp from 'compromise/two';
import type { Extraction, ExtractionInput, Extractor } from '../../types.ts';
import {
  type Clause,
  clauseHasHypothetical,
  isInterrogative,
  skipDiscourse,
  splitClauses,
} from './clauses.ts';
import type { FrameContext } from './frame.ts';
import { emitLanguages, emitPlaces, places } from './frame-objects.ts';
import { runFrames } from './frames.ts';
import {
  DISCOURSE,
  ELIDED_VERBS,
  HYPOTHETICAL,
  LEADING_TIME,
  NP_STOP,
  PREPOSITIONS,
} from './grammar-words.ts';
import { Output, type Subject, USER } from './output.ts';
import { parseDate } from './phrase-recognizers.ts';
import { parsePhrases, surface } from './phrases.ts';
import { emitRelation, nameAt, relationAt } from './relations.ts';
import {
  type CompromiseTerm,
  endsAt,
  isTimeToken,
  isVerbToken,
  knownWord,
  norms,
  type Token,
  tokenAt,
  tokenize,
} from './tokens.ts';
import { LANGUAGES } from './vocabulary.ts';
import { titleCase } from './wording.ts';

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
