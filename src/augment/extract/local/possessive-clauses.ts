/**
 * Clauses that open with "my"/"our" instead of a subject and a verb ("my name is Ana", "my
 * favorite color is green", "my sister Anna lives in London"): matched by their own patterns
 * before any verb frame runs, and handed back to the frames when a relative becomes the subject.
 * Also the user's name after "my name is" / "call me", which other-clauses.ts reuses.
 */

import type { FrameContext } from './frame.ts';
import { emitLanguages, emitPlaces, places } from './frame-objects.ts';
import { NP_STOP, PREPOSITIONS } from './grammar-words.ts';
import { type Output, type Subject, USER } from './output.ts';
import { parseDate } from './phrase-recognizers.ts';
import { parsePhrases, surface } from './phrases.ts';
import { emitRelation, nameAt, relationAt } from './relations.ts';
import { endsAt, isVerbToken, knownWord, type Token, tokenAt } from './tokens.ts';
import { titleCase } from './wording.ts';

/**
 * Clauses that start with "my"/"our": the user's name, relatives ("my sister Anna lives in
 * London"), favorites, birthday, native language, trips. Returns the subject and where the rest of
 * the clause starts when it continues with a verb frame ("my sister Anna *lives in London*").
 */
export function possessiveClause(
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
export function emitUserName(tokens: readonly Token[], from: number, out: Output, strict = false): boolean {
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
