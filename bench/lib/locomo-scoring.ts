/**
 * bench:locomo's scoring: recall@k and hit@k of one ranking against a question's evidence dia_ids,
 * and the tallies that average them over questions, overall and per category.
 */

/** The k of recall@k and hit@k. */
export const KS = [5, 10] as const;

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Per question: the dia_ids each ranked result covers, best first. */
export type Ranking = Set<string>[];

export interface Score {
  recall: Record<number, number>;
  hit: Record<number, number>;
}

export function score(evidence: string[], ranking: Ranking, first: number): Score {
  const recall: Record<number, number> = {};
  const hit: Record<number, number> = {};
  for (const k of KS) {
    if (k > first) continue;
    const covered = new Set(ranking.slice(0, k).flatMap((ids) => [...ids]));
    const found = evidence.filter((id) => covered.has(id)).length;
    recall[k] = found / evidence.length;
    hit[k] = found > 0 ? 1 : 0;
  }
  return { recall, hit };
}

export interface Tally {
  questions: number;
  engram: { recall: Record<number, number>; hit: Record<number, number> };
  bm25: { recall: Record<number, number>; hit: Record<number, number> };
}

export const newTally = (): Tally => ({
  questions: 0,
  engram: { recall: {}, hit: {} },
  bm25: { recall: {}, hit: {} },
});

export function add(tally: Tally, engram: Score, bm25: Score): void {
  tally.questions++;
  for (const [side, s] of [
    [tally.engram, engram],
    [tally.bm25, bm25],
  ] as const) {
    for (const k of KS) {
      if (s.recall[k] === undefined) continue;
      side.recall[k] = (side.recall[k] ?? 0) + s.recall[k];
      side.hit[k] = (side.hit[k] ?? 0) + (s.hit[k] ?? 0);
    }
  }
}

/** Means of a tally; null where k exceeded --first. */
export function means(tally: Tally) {
  const mean = (sum: number | undefined) =>
    sum === undefined || tally.questions === 0 ? null : round(sum / tally.questions, 4);
  const out: Record<string, number | null> = {};
  for (const k of KS) {
    out[`recall_at_${k}`] = mean(tally.engram.recall[k]);
    out[`bm25_recall_at_${k}`] = mean(tally.bm25.recall[k]);
  }
  for (const k of KS) {
    out[`hit_at_${k}`] = mean(tally.engram.hit[k]);
    out[`bm25_hit_at_${k}`] = mean(tally.bm25.hit[k]);
  }
  return out;
}
