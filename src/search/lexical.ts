import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';

/** One lexical result: a fact and its BM25 score (unbounded, higher is better). */
export interface LexicalHit {
  factId: number;
  score: number;
}

// Words that carry no memory: without this, "what does the user drink" matches every fact with
// "the". "user" is one here too: every memory is about the user, so questions name them but facts
// rarely do, and a fact that happens to say "user" should not win on it.
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can did do does for from had has have he her hers him his how i if in into is it ' +
    'its me my no not of on or our she so that the their them then there these they this to was we were what when where ' +
    'which who whom why will with you your yours user'
  ).split(' '),
);

/**
 * Lowercases, strips possessive 's, drops stop words and stems (Porter), so "drinks" matches
 * "drink"; shared by documents and queries.
 */
export function processTerm(term: string): string | null {
  const lowered = term.toLowerCase().replace(/['’]s$/, '');
  if (lowered.length === 0 || STOP_WORDS.has(lowered)) return null;
  return stemmer(lowered);
}

/**
 * BM25 over the facts of one entity (MiniSearch's BM25+: k1 1.2, b 0.7, d 0.5), so term
 * statistics are the entity's own and another entity's vocabulary never shifts its ranking.
 */
export class LexicalPartition {
  private readonly search_ = new MiniSearch<{ id: number; content: string }>({
    fields: ['content'],
    storeFields: [],
    processTerm,
  });

  add(factId: number, content: string): void {
    if (this.search_.has(factId)) this.search_.discard(factId);
    this.search_.add({ id: factId, content });
  }

  remove(factId: number): void {
    if (this.search_.has(factId)) this.search_.discard(factId);
  }

  search(query: string, k: number): LexicalHit[] {
    return this.search_
      .search(query, { combineWith: 'OR', prefix: false, fuzzy: false })
      .slice(0, k)
      .map((result) => ({ factId: result.id as number, score: result.score }));
  }
}
