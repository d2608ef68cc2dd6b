/**
 * Clauses in no first-person shape that still say something about the user: "call me Max",
 * "Sushi is my favourite food", "Tom is my husband", "Originally from Kenya".
 */

import { places } from './frame-objects.ts';
import { type Output, USER } from './output.ts';
import { parsePhrases } from './phrases.ts';
import { emitUserName } from './possessive-clauses.ts';
import { emitRelation, nameAt, relationAt } from './relations.ts';
import { endsAt, type Token, tokenAt } from './tokens.ts';
import { LANGUAGES } from './vocabulary.ts';
import { titleCase } from './wording.ts';

/** Clauses in no first-person shape that still say something: "Tom is my husband", "call me Max". */
export function otherClause(
  tokens: readonly Token[],
  at: number,
  out: Output,
  sentenceStart: boolean,
): boolean {
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
