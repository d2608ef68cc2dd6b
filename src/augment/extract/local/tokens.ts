/**
 * Tokens: compromise's terms turned into the flat, lowercase, punctuation-aware words every other
 * module reads (contractions expanded, possessives split, quotes marked, common typos of the key
 * verbs fixed), and the small questions asked of a token or a token position. Everything after
 * tokenizing reads these tokens, never compromise's terms.
 */

import nlp from 'compromise/two';
import { MONTHS, TIME_NOUNS } from './grammar-words.ts';
import { words } from './word-set.ts';

export interface Token {
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

export interface CompromiseTerm {
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
export function knownWord(word: string): boolean {
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

export function tokenize(terms: readonly CompromiseTerm[]): Token[] {
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

/** "US", "UK": capitals that are not the pronoun they spell. */
export function isAcronym(token: Token): boolean {
  return token.text.length > 1 && token.text === token.text.toUpperCase() && /\p{Lu}/u.test(token.text);
}

export function isVerbToken(token: Token): boolean {
  return token.tags.has('Verb') && !token.tags.has('Gerund');
}

export function isTimeToken(token: Token): boolean {
  return (
    token.tags.has('Date') ||
    token.tags.has('Duration') ||
    MONTHS.has(token.norm) ||
    TIME_NOUNS.has(token.norm)
  );
}

/** Index of the token starting at `offset` in the clause's joined text. */
export function tokenAt(tokens: readonly Token[], offset: number): number {
  let position = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (position >= offset) return i;
    position += (tokens[i] as Token).norm.length + 1;
  }
  return tokens.length;
}

export function norms(tokens: readonly Token[], from: number, count: number): string {
  return tokens
    .slice(from, from + count)
    .map((token) => token.norm)
    .join(' ');
}

/** The clause ends here (or a comma, conjunction or "now"/"too" follows). */
export function endsAt(tokens: readonly Token[], i: number): boolean {
  const token = tokens[i];
  return (
    token === undefined ||
    token.punct ||
    ['and', 'but', 'so', 'now', 'too', 'though', 'tho', 'lol', 'haha', 'btw', 'already', 'yet'].includes(
      token.norm,
    )
  );
}
