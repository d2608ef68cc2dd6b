/**
 * LoCoMo retrieval benchmark: does Engram's `recall` find the turns that answer a question?
 *
 *   npm run bench:locomo -- [--data ../shared/data/locomo] [--model use|none]
 *                           [--facts turns|extracted] [--conversations <n>] [--first 10]
 *
 * Starts a real Engram in this process (its own temporary SQLite file, an in-memory vector index)
 * and talks to it over HTTP. For each LoCoMo conversation (one entity, `locomo-<sample_id>`):
 *
 * 1. Ingest: every session becomes one conversation (`recordConversation`, speaker A as USER,
 *    speaker B as ASSISTANT, content `<speaker>: <text>` plus the caption of a shared photo). The
 *    message ids `recordConversation` returns give the message id -> dia_id map. The facts:
 *    - `--facts turns` (default): every turn is also remembered as a fact (`rememberFact` with
 *      `source:` its message's global id), so each fact's provenance is its message.
 *    - `--facts extracted`: no `rememberFact`; the server runs background augmentation with the
 *      local extractor (AUGMENTATION=on, AUGMENTATION_EXTRACTOR=local, 2 in-process workers), which
 *      enqueues one job per recorded batch and writes the facts it extracts with their provenance
 *      (fact_mention.message_id) to the message they came from. The bench waits until every
 *      augmentation_job is DONE (it fails, printing lastError, if any is PARKED).
 *      `augmentation_seconds` runs from the first recordConversation until the queue has drained
 *      (so it overlaps `ingest_seconds`, which stops when the last session is recorded).
 *    Engram dedupes facts (same text, or cosine >= 0.95 with a model): a merged fact then has
 *    several sources, and covers all of their dia_ids.
 * 2. Ask every question with `recall(entity, query, first)`. A hit covers the dia_ids of its
 *    `sources` (the provenance messages).
 * 3. Baseline: BM25 alone over the same turn texts, with Engram's own `LexicalPartition`
 *    (same tokenizer, stop words and stemming), one partition per conversation, one document per
 *    turn.
 *
 * recall@k (both systems): the fraction of a question's evidence dia_ids covered by the top k
 * results, averaged over questions (a question with 3 evidence turns, 2 of them in the top k,
 * scores 0.667). hit@k: the fraction of questions with at least one evidence turn in the top k.
 * Questions without evidence are skipped and counted; evidence ids naming no turn of the
 * conversation are dropped and listed (a few in the released data are malformed: they are read
 * as what they plainly mean, e.g. 'D8:6; D9:17', and listed as repaired).
 *
 * --model use: Universal Sentence Encoder lite (512-d, bench/lib/use-embedder.ts) through Engram's
 * EmbeddingService; the fact texts are embedded in batches before ingest (the service's cache then
 * serves the server's one-at-a-time requests with the very same vectors), questions are embedded
 * when asked, so query latency includes embedding (with `--facts extracted` the turns are not
 * pre-embedded: they are not the facts, which the workers embed as they store them). --model none: no embedder; recall runs its
 * lexical fallback (BM25 + mentions + recency).
 *
 * Progress goes to stderr (so do the server's logs); a table, then one JSON line (always the last
 * line of stdout) to stdout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import type { Db } from '../src/db/client.ts';
import type { EmbeddingService } from '../src/embed/service.ts';
import type { Embedder } from '../src/embed/types.ts';
import { createEngram } from '../src/engram.ts';
import { LexicalPartition } from '../src/search/lexical.ts';
import { percentile } from './lib/load.ts';
import { CATEGORY_NAMES, type LocomoConversation, locomoFile, readLocomo } from './lib/locomo-data.ts';
import { USE_DIMENSIONS, UseEmbedder } from './lib/use-embedder.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA = path.resolve(REPO, '../shared/data/locomo');
/** Engram's MAX_PAGE_SIZE default: the most messages one `messages(last:)` page returns. */
const MAX_PAGE = 100;
const KS = [5, 10] as const;

const USAGE = `Usage: npm run bench:locomo -- [flags]

  --data <path>          LoCoMo folder or JSON file (default ../shared/data/locomo from the repo)
  --model <use|none>     embedding model: use = Universal Sentence Encoder lite (512-d, from npm),
                         none = no model, recall runs lexically (default use)
  --facts <turns|extracted>
                         turns = every turn remembered as a fact sourced from its message;
                         extracted = facts the local extractor finds in the recorded turns,
                         through background augmentation (default turns)
  --conversations <n>    only the first n conversations (default all)
  --first <n>            hits asked of recall per question, 1..${MAX_PAGE} (default 10; recall@k needs k <= n)
  -h, --help             print the flags
`;

interface Options {
  data: string;
  model: 'use' | 'none';
  facts: 'turns' | 'extracted';
  conversations: number | null;
  first: number;
}

function options(argv: string[]): Options {
  const s = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: s,
      model: s,
      facts: s,
      conversations: s,
      first: s,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${USAGE}`);
    process.exit(2);
  };
  const int = (name: string, raw: string | undefined, fallback: number, max: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1 || value > max)
      fail(`--${name} must be an integer from 1 to ${max}, got ${raw}`);
    return value;
  };
  const model = values.model ?? 'use';
  if (model !== 'use' && model !== 'none') fail(`--model must be use or none, got ${model}`);
  const facts = values.facts ?? 'turns';
  if (facts !== 'turns' && facts !== 'extracted') fail(`--facts must be turns or extracted, got ${facts}`);
  return {
    data: values.data === undefined ? DEFAULT_DATA : path.resolve(values.data),
    model: model as Options['model'],
    facts: facts as Options['facts'],
    conversations:
      values.conversations === undefined ? null : int('conversations', values.conversations, 0, 1_000_000),
    first: int('first', values.first, 10, MAX_PAGE),
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const since = (start: number) => (performance.now() - start) / 1000;

// --- Engram in this process -----------------------------------------------------------------

interface Engram {
  url: string;
  db: Db;
  embeddings: EmbeddingService;
  close(): Promise<void>;
}

/**
 * The wiring of tests/helpers/server.ts, on a temporary SQLite file, logs on stderr; with
 * `augment`, background augmentation as `engram serve` wires it (local extractor, in-process workers).
 */
async function startEngram(embedder: Embedder | null, cacheSize: number, augment: boolean): Promise<Engram> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engram-locomo-'));
  const databaseUrl = `file:${path.join(dir, 'engram.db')}`;
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    EMBEDDING_PROVIDER: 'none',
    VECTOR_INDEX_PATH: 'memory',
    VECTOR_DIMENSIONS: String(USE_DIMENSIONS),
    GRAPHIQL: 'false',
    RATE_LIMIT_PER_ADDRESS: '0',
    ...(augment
      ? {
          AUGMENTATION: 'on',
          AUGMENTATION_EXTRACTOR: 'local',
          AUGMENTATION_POLL_MS: '50',
          AUGMENTATION_CONCURRENCY: '2',
        }
      : {}),
  });
  // Engram's own logger writes to stdout, which here belongs to the table and the JSON line.
  const logger = pino({ level: config.log.level, base: { service: 'engram' } }, pino.destination(2));
  const engram = await createEngram(config, { logger, embedder, embeddingCacheSize: cacheSize });
  const { db, embeddings } = engram;
  if (embedder) {
    // Facts are only embedded once the model is ready: wait for it rather than ingest without vectors.
    embeddings.start();
    await embeddings.embed(['ready?'], 'query').catch(() => {});
    const status = embeddings.status();
    if (status.state !== 'ready') {
      await engram.stop();
      throw new Error(`${embedder.model} did not load: ${status.error ?? status.state} (try --model none)`);
    }
  }
  await engram.start({ wait: true });
  const app = buildApp(engram);
  const port = await app.start(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    db,
    embeddings,
    close: async () => {
      await app.stop();
      await engram.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs one operation; throws on HTTP or GraphQL errors and on typed error results. */
async function gql<T>(url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (!response.ok || body.errors?.length || !body.data) {
    throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

const USER_ERROR = /* GraphQL */ `
  ... on UserError { code message }
  ... on ValidationError { issues { path message } }
`;

const RECORD = /* GraphQL */ `
  mutation Record($input: RecordConversationInput!, $n: Int!) {
    recordConversation(input: $input) {
      __typename
      ... on RecordConversationSuccess {
        conversation { id messages(last: $n) { edges { node { id content } } } }
      }
      ${USER_ERROR}
    }
  }
`;

const REMEMBER = /* GraphQL */ `
  mutation Remember($input: RememberFactInput!) {
    rememberFact(input: $input) {
      __typename
      ... on RememberFactSuccess { kind fact { id } }
      ${USER_ERROR}
    }
  }
`;

const RECALL = /* GraphQL */ `
  query Recall($entity: String!, $query: String!, $first: Int!) {
    recall(entity: $entity, query: $query, first: $first) {
      fact { id }
      sources { id }
      breakdown { semantic }
    }
  }
`;

interface Result {
  __typename: string;
  code?: string;
  message?: string;
}

function success<T extends Result>(result: T, expected: string, what: string): T {
  if (result.__typename !== expected) {
    throw new Error(`${what}: ${result.__typename} ${result.code ?? ''} ${JSON.stringify(result)}`);
  }
  return result;
}

interface RecordResult extends Result {
  conversation?: { id: string; messages: { edges: { node: { id: string; content: string } }[] } };
}
interface RememberResult extends Result {
  kind?: 'CREATED' | 'MENTIONED';
  fact?: { id: string };
}
interface RecallHit {
  fact: { id: string };
  sources: { id: string }[];
  breakdown: { semantic: number | null };
}

// --- Ingest ---------------------------------------------------------------------------------

const entityOf = (conversation: LocomoConversation) => `locomo-${conversation.id}`;

interface IngestStats {
  messages: number;
  factsCreated: number;
  factsMerged: number;
}

/**
 * Records every session of a conversation and, with `rememberTurns`, remembers each turn as a fact
 * sourced from its message; fills `diaIdOf` (message global id -> dia_id).
 */
async function ingest(
  url: string,
  conversation: LocomoConversation,
  diaIdOf: Map<string, string>,
  stats: IngestStats,
  rememberTurns: boolean,
): Promise<void> {
  const entity = entityOf(conversation);
  for (const session of conversation.sessions) {
    let conversationId: string | null = null;
    const messageIds: string[] = [];
    // One LoCoMo session is one Engram conversation; pages of MAX_PAGE keep the returned ids exact.
    for (let start = 0; start < session.turns.length; start += MAX_PAGE) {
      const turns = session.turns.slice(start, start + MAX_PAGE);
      const data: { recordConversation: RecordResult } = await gql(url, RECORD, {
        n: turns.length,
        input: {
          entity,
          process: 'locomo-bench',
          ...(conversationId ? { conversation: conversationId } : {}),
          summary: `LoCoMo ${conversation.id} session ${session.index}${session.dateTime ? `, ${session.dateTime}` : ''}`,
          messages: turns.map((turn) => ({
            role: turn.speaker === conversation.speakerA ? 'USER' : 'ASSISTANT',
            content: turn.content,
          })),
        },
      });
      const recorded = success(data.recordConversation, 'RecordConversationSuccess', 'recordConversation');
      const edges = recorded.conversation?.messages.edges ?? [];
      conversationId = recorded.conversation?.id ?? null;
      // The last n messages must be exactly the turns just sent, in order: check rather than trust.
      edges.forEach((edge, i) => {
        if (edge.node.content !== turns[i]?.content) {
          throw new Error(`${conversation.id} session ${session.index}: message ${i} came back different`);
        }
      });
      if (edges.length !== turns.length)
        throw new Error(`${conversation.id}: ${edges.length} messages came back`);
      messageIds.push(...edges.map((edge) => edge.node.id));
    }
    for (const [i, turn] of session.turns.entries()) {
      const messageId = messageIds[i] as string;
      diaIdOf.set(messageId, turn.diaId);
      stats.messages++;
      if (!rememberTurns) continue;
      const data: { rememberFact: RememberResult } = await gql(url, REMEMBER, {
        input: { entity, content: turn.content, source: messageId },
      });
      const remembered = success(data.rememberFact, 'RememberFactSuccess', 'rememberFact');
      if (remembered.kind === 'CREATED') stats.factsCreated++;
      else stats.factsMerged++;
    }
  }
}

/**
 * Polls augmentation_job until every row is DONE; fails, with each parked job's lastError, as soon
 * as one is PARKED (retried to the limit, or not retryable). Returns the job count and the facts the
 * extractor reported (`facts_found`, counting a fact stored as a mention of an existing one too).
 */
async function drainAugmentation(db: Db): Promise<{ jobs: number; factsFound: number }> {
  let lastLog = performance.now();
  for (;;) {
    const groups = await db.augmentationJob.groupBy({ by: ['status'], _count: { _all: true } });
    const count = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0;
    const total = groups.reduce((n, g) => n + g._count._all, 0);
    if (total === 0) throw new Error('no augmentation jobs were enqueued: is augmentation wired?');
    if (count('PARKED') > 0) {
      const parked = await db.augmentationJob.findMany({
        where: { status: 'PARKED' },
        select: { id: true, conversationId: true, attempts: true, lastError: true },
        orderBy: { id: 'asc' },
      });
      throw new Error(
        `${parked.length} of ${total} augmentation jobs PARKED:\n` +
          parked
            .map(
              (j) =>
                `  job ${j.id} (conversation ${j.conversationId}, ${j.attempts} attempts): ${j.lastError ?? '(no lastError)'}`,
            )
            .join('\n'),
      );
    }
    if (count('DONE') === total) {
      const sum = await db.augmentationJob.aggregate({ _sum: { factsFound: true } });
      return { jobs: total, factsFound: sum._sum.factsFound ?? 0 };
    }
    if (since(lastLog) >= 5) {
      lastLog = performance.now();
      log(
        `  augmentation: ${count('DONE')}/${total} jobs done, ${count('RUNNING')} running, ${count('PENDING')} pending`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// --- Scoring --------------------------------------------------------------------------------

/** Per question: the dia_ids each ranked result covers, best first. */
type Ranking = Set<string>[];

interface Score {
  recall: Record<number, number>;
  hit: Record<number, number>;
}

function score(evidence: string[], ranking: Ranking, first: number): Score {
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

interface Tally {
  questions: number;
  engram: { recall: Record<number, number>; hit: Record<number, number> };
  bm25: { recall: Record<number, number>; hit: Record<number, number> };
}

const newTally = (): Tally => ({
  questions: 0,
  engram: { recall: {}, hit: {} },
  bm25: { recall: {}, hit: {} },
});

function add(tally: Tally, engram: Score, bm25: Score): void {
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
function means(tally: Tally) {
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

// --- Main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const file = locomoFile(o.data);
  const all = readLocomo(file);
  const conversations = o.conversations === null ? all : all.slice(0, o.conversations);
  const turns = conversations.reduce(
    (n, c) => n + c.sessions.reduce((m, session) => m + session.turns.length, 0),
    0,
  );
  const questionCount = conversations.reduce((n, c) => n + c.questions.length, 0);
  log(
    `locomo bench: ${file}: ${conversations.length}/${all.length} conversations, ${turns} turns, ` +
      `${questionCount} questions; model ${o.model}, facts ${o.facts}, first ${o.first} (Node ${process.version}, ${os.cpus().length} cores)`,
  );

  const embedder = o.model === 'use' ? new UseEmbedder() : null;
  let started = performance.now();
  // Every turn and question fits in the cache, so nothing is embedded twice.
  const extracted = o.facts === 'extracted';
  const engram = await startEngram(embedder, turns + questionCount + 1000, extracted);
  const model = engram.embeddings.status().model ?? 'none';
  log(`  engram up at ${engram.url} in ${since(started).toFixed(1)} s; model ${model}`);

  try {
    // --- Ingest ---
    const ingestStart = performance.now();
    let embedSeconds = 0;
    if (embedder && !extracted) {
      const texts = conversations.flatMap((c) =>
        c.sessions.flatMap((session) => session.turns.map((t) => t.content)),
      );
      started = performance.now();
      for (let i = 0; i < texts.length; i += 256) {
        await engram.embeddings.embed(texts.slice(i, i + 256), 'document');
        log(
          `  embedded ${Math.min(i + 256, texts.length)}/${texts.length} turns (${since(started).toFixed(1)} s)`,
        );
      }
      embedSeconds = since(started);
    }
    const diaIdOf = new Map<string, string>();
    const stats: IngestStats = { messages: 0, factsCreated: 0, factsMerged: 0 };
    for (const conversation of conversations) {
      started = performance.now();
      await ingest(engram.url, conversation, diaIdOf, stats, !extracted);
      log(
        `  ingested ${conversation.id}: ${conversation.sessions.length} sessions, ${stats.messages} turns so far ` +
          `(${since(started).toFixed(1)} s)`,
      );
    }
    const ingestSeconds = since(ingestStart);
    let augmentationSeconds = 0;
    let augmentationJobs = 0;
    if (extracted) {
      started = performance.now();
      log(`  recorded; waiting for the augmentation queue to drain`);
      const drained = await drainAugmentation(engram.db);
      augmentationSeconds = since(ingestStart);
      augmentationJobs = drained.jobs;
      stats.factsCreated = await engram.db.entityFact.count();
      stats.factsMerged = drained.factsFound - stats.factsCreated;
      log(
        `  augmentation: ${drained.jobs} jobs DONE, ${drained.factsFound} facts found, ${stats.factsCreated} distinct ` +
          `(${augmentationSeconds.toFixed(1)} s since the first record, ${since(started).toFixed(1)} s after the last)`,
      );
    }

    // --- BM25 baseline partitions: one per conversation, one document per turn ---
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
    started = performance.now();
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
        const data: { recall: RecallHit[] } = await gql(engram.url, RECALL, {
          entity: entityOf(conversation),
          query: q.question,
          first: o.first,
        });
        latencies.push(performance.now() - t);
        const engramRanking: Ranking = data.recall.map((hit) => {
          if (hit.breakdown.semantic === null) lexicalFallbacks++;
          const covered = new Set<string>();
          for (const source of hit.sources) {
            const diaId = diaIdOf.get(source.id);
            if (diaId === undefined) unmappedSources++;
            else covered.add(diaId);
          }
          return covered;
        });

        t = performance.now();
        const bm25Ranking: Ranking = partition
          .search(q.question, o.first)
          .map((hit) => new Set([diaIds[hit.factId] as string]));
        bm25Latencies.push(performance.now() - t);

        const engramScore = score(q.evidence, engramRanking, o.first);
        const bm25Score = score(q.evidence, bm25Ranking, o.first);
        add(overall, engramScore, bm25Score);
        const tally = byCategory.get(q.category) ?? newTally();
        add(tally, engramScore, bm25Score);
        byCategory.set(q.category, tally);
        asked++;
        if (asked % 200 === 0) log(`  asked ${asked} questions (${since(started).toFixed(1)} s)`);
      }
    }
    const querySeconds = since(started);
    log(`  asked ${asked} questions in ${querySeconds.toFixed(1)} s`);

    // --- Report ---
    const sorted = Float64Array.from(latencies).sort();
    const bm25Sorted = Float64Array.from(bm25Latencies).sort();
    const categories = [...byCategory.keys()].sort((a, b) => a - b);
    const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '    -' : x.toFixed(3));
    const row = (label: string, tally: Tally) => {
      const m = means(tally);
      return [
        label.padEnd(16),
        String(tally.questions).padStart(9),
        ...KS.map((k) => fmt(m[`recall_at_${k}`]).padStart(10)),
        ...KS.map((k) => fmt(m[`bm25_recall_at_${k}`]).padStart(9)),
        fmt(m.hit_at_10).padStart(10),
        fmt(m.bm25_hit_at_10).padStart(9),
      ].join(' ');
    };
    const lines = [
      `LoCoMo evidence retrieval: ${conversations.length} conversations, ${stats.messages} turns; facts ${o.facts}: ` +
        `${stats.factsCreated} facts, ${stats.factsMerged} merged into an existing fact` +
        (extracted
          ? ` (local extractor, ${augmentationJobs} augmentation jobs, ${augmentationSeconds.toFixed(1)} s)`
          : '') +
        `; model ${model}, recall first ${o.first}`,
      'recall@k = share of a question\u2019s evidence turns (dia_ids) covered by the top k results, averaged over questions;',
      'an Engram hit covers the turns of its provenance messages; hit@k = share of questions with any evidence turn in the top k',
      '',
      [
        'category'.padEnd(16),
        'questions'.padStart(9),
        ...KS.map((k) => `engram@${k}`.padStart(10)),
        ...KS.map((k) => `bm25@${k}`.padStart(9)),
        'e.hit@10'.padStart(10),
        'b.hit@10'.padStart(9),
      ].join(' '),
      ...categories.map((c) => row(`${c} ${CATEGORY_NAMES[c] ?? '?'}`, byCategory.get(c) as Tally)),
      row('all', overall),
      '',
      `skipped: ${skippedNoEvidence} questions without evidence, ${skippedUnknownEvidence} whose evidence names no turn`,
      `evidence ids repaired: ${repaired.join(', ') || 'none'}; naming no turn (dropped): ${unknown.join(', ') || 'none'}`,
      `ingest ${ingestSeconds.toFixed(1)} s (embedding ${embedSeconds.toFixed(1)} s); recall over HTTP: ` +
        `p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms; ` +
        `bm25 in-process p50 ${percentile(bm25Sorted, 0.5).toFixed(2)} ms`,
    ];
    if (lexicalFallbacks > 0 && embedder)
      lines.push(`warning: ${lexicalFallbacks} hits had no semantic score`);
    if (unmappedSources > 0) lines.push(`warning: ${unmappedSources} sources named no known message`);
    process.stdout.write(`${lines.join('\n')}\n`);

    const perCategory: Record<string, unknown> = {};
    for (const c of categories) {
      const tally = byCategory.get(c) as Tally;
      perCategory[String(c)] = {
        name: CATEGORY_NAMES[c] ?? null,
        questions: tally.questions,
        ...means(tally),
      };
    }
    const result = {
      bench: 'locomo',
      definition:
        'recall@k = |evidence dia_ids covered by the top k results| / |evidence dia_ids|, averaged over questions with evidence; ' +
        'an Engram recall hit covers the dia_ids of its sources (provenance messages); hit@k = share of questions with any evidence in the top k',
      model,
      data: file,
      first: o.first,
      facts_mode: o.facts,
      ...means(overall),
      per_category: perCategory,
      questions: overall.questions,
      questions_total: questionCount,
      skipped_no_evidence: skippedNoEvidence,
      skipped_unknown_evidence: skippedUnknownEvidence,
      evidence_repaired: repaired,
      evidence_unknown: unknown,
      conversations: conversations.length,
      turns: stats.messages,
      facts: stats.factsCreated,
      facts_merged: stats.factsMerged,
      ingest_seconds: round(ingestSeconds, 1),
      augmentation_seconds: round(augmentationSeconds, 1),
      embed_seconds: round(embedSeconds, 1),
      query_seconds: round(querySeconds, 1),
      query_p50_ms: round(percentile(sorted, 0.5), 2),
      query_p99_ms: round(percentile(sorted, 0.99), 2),
      bm25_query_p50_ms: round(percentile(bm25Sorted, 0.5), 3),
      bm25_query_p99_ms: round(percentile(bm25Sorted, 0.99), 3),
      lexical_fallback_hits: lexicalFallbacks,
      node: process.version,
      cores: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await engram.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
