/**
 * bench:locomo's questions: asks every question of Engram's `recall` over HTTP and of the BM25
 * baseline (Engram's own LexicalPartition over the same turns, one partition per conversation, one
 * document per turn), and scores both against the question's evidence.
 */
import { LexicalPartition } from '../../src/search/lexical.ts';
import type { LocomoConversation } from './locomo-data.ts';
import { gql, RECALL, type RecallHit } from './locomo-graphql.ts';
import { entityOf } from './locomo-ingest.ts';
import { add, newTally, type Ranking, score, type Tally } from './locomo-scoring.ts';
import { progress } from './stdio.ts';

const since = (start: number) => (performance.now() - start) / 1000;

/** The tallies and counts of a run's questions. */
export interface QuestionResults {
  overall: Tally;
  byCategory: Map<number, Tally>;
  /** Per question, unsorted: recall over HTTP, and the in-process BM25 search. */
  latencies: number[];
  bm25Latencies: number[];
  skippedNoEvidence: number;
  skippedUnknownEvidence: number;
  /** Engram hits without a semantic score (recall's lexical fallback). */
  lexicalFallbacks: number;
  /** Sources that named no message ingest recorded. */
  unmappedSources: number;
  /** Evidence ids read as what they plainly mean, and ids naming no turn (dropped). */
  repaired: string[];
  unknown: string[];
  querySeconds: number;
  /** Process CPU (Engram, its embedding thread, the client and the BM25 baseline) over the asks. */
  queryCpuSeconds: number;
  /** With a stability check: questions asked again, and those whose top hits changed. */
  stabilityChecked: number;
  stabilityChanged: number;
}

/** The top hits of one ask, to compare with the same question asked with another `first`. */
interface Asked {
  entity: string;
  query: string;
  hits: RecallHit[];
}

/**
 * Asks every question with evidence; `diaIdOf` maps a message's global id to its dia_id, `first`
 * is how many hits both systems return.
 */
export async function askQuestions(
  url: string,
  conversations: LocomoConversation[],
  diaIdOf: Map<string, string>,
  first: number,
  stability = 0,
  sources: readonly ('FACT' | 'MESSAGE')[] = ['FACT'],
  /** More recall arguments (weights, fusion) for every question. */
  tuning: Record<string, unknown> = {},
): Promise<QuestionResults> {
  const partitions = new Map<string, { partition: LexicalPartition; diaIds: string[] }>();
  for (const conversation of conversations) {
    const partition = new LexicalPartition();
    const diaIds: string[] = [];
    for (const session of conversation.sessions) {
      for (const turn of session.turns) {
        partition.add(diaIds.length, turn.content);
        diaIds.push(turn.diaId);
      }
    }
    partitions.set(conversation.id, { partition, diaIds });
  }

  // --- Questions ---
  const overall = newTally();
  const byCategory = new Map<number, Tally>();
  const latencies: number[] = [];
  const bm25Latencies: number[] = [];
  let skippedNoEvidence = 0;
  let skippedUnknownEvidence = 0;
  let lexicalFallbacks = 0;
  let unmappedSources = 0;
  const repaired: string[] = [];
  const unknown: string[] = [];
  let asked = 0;
  let changedTops = 0;
  const askedAgain: Asked[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const conversation of conversations) {
    const { partition, diaIds } = partitions.get(conversation.id) as {
      partition: LexicalPartition;
      diaIds: string[];
    };
    for (const q of conversation.questions) {
      repaired.push(...q.repaired.map((id) => `${conversation.id} "${id}"`));
      unknown.push(...q.unknown.map((id) => `${conversation.id} "${id}"`));
      if (q.evidence.length === 0) {
        if (q.unknown.length === 0) skippedNoEvidence++;
        else skippedUnknownEvidence++;
        continue;
      }
      let t = performance.now();
      const data: { recall: RecallHit[] } = await gql(url, RECALL, {
        entity: entityOf(conversation),
        query: q.question,
        first: first,
        sources,
        ...tuning,
      });
      latencies.push(performance.now() - t);
      const again = { entity: entityOf(conversation), query: q.question, hits: data.recall };
      // Asked again at once: recency moves with the clock, so a later ask could differ by that alone.
      if (stability > 0 && stability !== first && !(await sameTop(url, again, stability, sources, tuning)))
        changedTops++;
      askedAgain.push(again);
      const engramRanking: Ranking = data.recall.map((hit) => {
        if (hit.breakdown.semantic === null) lexicalFallbacks++;
        const covered = new Set<string>();
        // A message hit covers its own turn; a fact hit, the turns it came from.
        for (const source of hit.message ? [hit.message] : hit.sources) {
          const diaId = diaIdOf.get(source.id);
          if (diaId === undefined) unmappedSources++;
          else covered.add(diaId);
        }
        return covered;
      });

      t = performance.now();
      const bm25Ranking: Ranking = partition
        .search(q.question, first)
        .map((hit) => new Set([diaIds[hit.factId] as string]));
      bm25Latencies.push(performance.now() - t);

      const engramScore = score(q.evidence, engramRanking, first);
      const bm25Score = score(q.evidence, bm25Ranking, first);
      add(overall, engramScore, bm25Score);
      const tally = byCategory.get(q.category) ?? newTally();
      add(tally, engramScore, bm25Score);
      byCategory.set(q.category, tally);
      asked++;
      if (asked % 200 === 0) progress(`  asked ${asked} questions (${since(started).toFixed(1)} s)`);
    }
  }
  const querySeconds = since(started);
  const used = process.cpuUsage(cpu);
  progress(`  asked ${asked} questions in ${querySeconds.toFixed(1)} s`);
  const changed = stability > 0 && stability !== first ? changedTops : null;
  return {
    overall,
    byCategory,
    latencies,
    bm25Latencies,
    skippedNoEvidence,
    skippedUnknownEvidence,
    lexicalFallbacks,
    unmappedSources,
    repaired,
    unknown,
    querySeconds,
    queryCpuSeconds: (used.user + used.system) / 1e6,
    stabilityChecked: changed === null ? 0 : askedAgain.length,
    stabilityChanged: changed ?? 0,
  };
}

/**
 * Asks a question again with `first` = `stability` and tells whether its top hits (the first
 * ask's length) are the same memories with the same scores: recall promises they always are.
 */
async function sameTop(
  url: string,
  { entity, query, hits }: Asked,
  stability: number,
  sources: readonly ('FACT' | 'MESSAGE')[],
  tuning: Record<string, unknown>,
): Promise<boolean> {
  const data: { recall: RecallHit[] } = await gql(url, RECALL, {
    entity,
    query,
    first: stability,
    sources,
    ...tuning,
  });
  const head = data.recall.slice(0, hits.length);
  const id = (hit: RecallHit) => hit.fact?.id ?? hit.message?.id;
  return (
    head.length === hits.length &&
    head.every((hit, i) => {
      const other = hits[i] as RecallHit;
      // Recency moves with the clock between the two asks, by far less than this.
      return id(hit) === id(other) && Math.abs(hit.score - other.score) < 1e-6;
    })
  );
}
