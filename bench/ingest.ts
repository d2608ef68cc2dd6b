/**
 * Ingest benchmark: how many chat messages per second a real Engram server accepts through
 * `recordConversation`, and how far background augmentation (the local extractor) lags behind.
 *
 *   npm run bench:ingest -- [--db sqlite|postgresql] [--concurrency 16] [--messages-per-call 10]
 *                           [--seconds 10] [--rate 200] [--lag-seconds 20] [--workers <n>] ...
 *
 * Every run gets a new, empty, migrated database (SQLite: a temporary file; PostgreSQL: a database
 * created for the run and dropped after it) and starts the server in a child process
 * (bench/lib/server.ts with BENCH_AUGMENTATION=on: production mode, an API key, LOG_LEVEL=warn,
 * EMBEDDING_PROVIDER=none, VECTOR_INDEX_PATH=memory, workers in the server process), so its CPU
 * is measured apart from this load generator's. Two phases:
 *
 * 1. Throughput: `--concurrency` keep-alive clients send calls of `--messages-per-call` messages
 *    back to back for `--seconds` (after `--warmup` seconds and a drained queue). Reported:
 *    messages and calls per second acknowledged, call latency, server CPU per message (over the
 *    load window, which includes whatever augmentation the workers did meanwhile, and over the
 *    load plus the drain after it), and how fast the workers augment during the load and after it
 *    (until the queue is empty). `--workers 0` measures accepting alone: jobs are enqueued but
 *    nobody runs them (no augmentation figures, no lag phase).
 * 2. Lag: calls paced at `--rate` messages per second for `--lag-seconds` (open loop: a call is
 *    sent on schedule whether or not earlier ones were answered). Reported: percentiles of
 *    completed_at − created_at of the jobs enqueued in the phase, read from the database once
 *    they are all done; and, from the client side, the time from a call's acknowledgement to the
 *    `augmentationCompleted` event of its job, for every `--probe-every`-th call (each such probe
 *    goes to an entity of its own, subscribed to before the phase starts; afterwards every probe
 *    entity must show its facts through `entity(externalId) { facts { totalCount } }`).
 *
 * Prints progress to stderr, then a table and one JSON line (always the last line of stdout).
 */
import { mkdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type Db, openDatabase } from '../src/db/client.ts';
import { BENCH_AUTHORIZATION } from './lib/env.ts';
import { createFreshDatabase, type FreshDatabase } from './lib/fresh-database.ts';
import { chatMessages } from './lib/ingest-data.ts';
import { percentile, postGraphql, runPhase, type Scenario } from './lib/load.ts';
import { PostgresCpu } from './lib/postgres-cpu.ts';
import { seededRandom } from './lib/random.ts';
import { ServerProcess } from './lib/server-process.ts';
import { countStatements } from './lib/statements.ts';

/** The goals. */
const GOAL_MESSAGES_PER_SECOND = 2000;
const GOAL_LAG_P95_MS = 2000;

const DEFAULT_POSTGRES_SERVER = 'postgresql://postgres@127.0.0.1:5432/postgres';

const USAGE = `Usage: npm run bench:ingest -- [flags]

  --db <sqlite|postgresql>    database (default sqlite); a new one per run, removed afterwards
  --database-url <url>        PostgreSQL server to create the run's database on (its database
                              part is ignored; default ${DEFAULT_POSTGRES_SERVER})
  --concurrency <n>           calls in flight in the throughput phase (default 16)
  --messages-per-call <n>     messages per recordConversation call, both phases (default 10)
  --seconds <n>               measured seconds of the throughput phase; 0 skips it (default 10)
  --warmup <n>                warmup seconds before it, then the queue is drained (default 2)
  --rate <n>                  messages per second in the lag phase (default 200)
  --lag-seconds <n>           seconds of the lag phase; 0 skips it (default 20)
  --probe-every <n>           every n-th paced call is a client-side lag probe (default 5)
  --entities <n>              entities the calls are spread over, at random (default 1000)
  --workers <n>               AUGMENTATION_CONCURRENCY of the server (default: Engram's, 2)
  --batch-size <n>            AUGMENTATION_BATCH_SIZE of the server (default: Engram's, 10)
  --poll-ms <n>               AUGMENTATION_POLL_MS of the server (default: Engram's, 250)
  --cpu-prof <dir>            write a V8 CPU profile of the server to <dir> (it costs CPU itself)
  --show-sql                  print the SQL statements of one call
  -h, --help                  print the flags
`;

interface Options {
  db: 'sqlite' | 'postgresql';
  databaseUrl: string;
  concurrency: number;
  messagesPerCall: number;
  seconds: number;
  warmup: number;
  rate: number;
  lagSeconds: number;
  probeEvery: number;
  entities: number;
  workers: number | null;
  batchSize: number | null;
  pollMs: number | null;
  cpuProf: string | null;
  showSql: boolean;
}

function parseOptions(argv: string[]): Options {
  const number = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      db: { type: 'string' },
      'database-url': { type: 'string' },
      concurrency: number,
      'messages-per-call': number,
      seconds: number,
      warmup: number,
      rate: number,
      'lag-seconds': number,
      'probe-every': number,
      entities: number,
      workers: number,
      'batch-size': number,
      'poll-ms': number,
      'cpu-prof': { type: 'string' },
      'show-sql': { type: 'boolean', default: false },
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
  const int = (name: keyof typeof values, fallback: number, min: number, max = 1_000_000_000): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      fail(`--${name} must be an integer from ${min} to ${max}, got ${String(raw)}`);
    }
    return value;
  };
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgresql') fail(`--db must be sqlite or postgresql, got ${db}`);
  const databaseUrl = values['database-url'] ?? DEFAULT_POSTGRES_SERVER;
  if (values['database-url'] !== undefined && db !== 'postgresql')
    fail('--database-url needs --db postgresql');
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) fail('--database-url must be a postgresql:// URL');
  const optional = (name: keyof typeof values, min: number) =>
    values[name] === undefined ? null : int(name, 0, min);
  return {
    db: db as Options['db'],
    databaseUrl,
    concurrency: int('concurrency', 16, 1, 1000),
    // Engram refuses more than MAX_ITEMS_PER_CALL (500) messages per call.
    messagesPerCall: int('messages-per-call', 10, 1, 500),
    seconds: int('seconds', 10, 0),
    warmup: int('warmup', 2, 0),
    rate: int('rate', 200, 1),
    lagSeconds: int('lag-seconds', 20, 0),
    probeEvery: int('probe-every', 5, 1),
    entities: int('entities', 1000, 1),
    workers: optional('workers', 0),
    batchSize: optional('batch-size', 1),
    pollMs: optional('poll-ms', 1),
    cpuProf: values['cpu-prof'] ?? null,
    showSql: values['show-sql'] === true,
  };
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);
const round = (value: number | null, digits: number) =>
  value === null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The calls.

const RECORD = /* GraphQL */ `
  mutation Record($input: RecordConversationInput!) {
    recordConversation(input: $input) {
      __typename
      ... on RecordConversationSuccess { conversation { id } }
      ... on UserError { code message }
    }
  }
`;

const FACT_COUNT = /* GraphQL */ `
  query Facts($id: String!) { entity(externalId: $id) { facts(first: 1) { totalCount } } }
`;

const COMPLETED = /* GraphQL */ `
  subscription Completed($entity: String!) { augmentationCompleted(entity: $entity) { id factsFound } }
`;

/** Three applications share the entities (each entity always talks through the same one). */
const PROCESSES = ['chat-web', 'chat-mobile', 'support-bot'];

const entityId = (n: number) => `user-${String(n).padStart(6, '0')}`;

/** Entities that have been sent a call: a call to any other one creates its entity. */
const seenEntities = new Set<number>();

/**
 * A recordConversation body: a new session and conversation for a random entity, or for entity
 * number `entity`, or for the probe entity `probe` (whose first user message states a fact).
 */
function callBody(
  options: Options,
  random: () => number,
  { probe = null, entity }: { probe?: string | null; entity?: number } = {},
): string {
  const n = entity ?? 1 + Math.floor(random() * options.entities);
  if (probe === null) seenEntities.add(n);
  const messages = chatMessages(n, options.messagesPerCall, random, { atLeastOneStatement: probe !== null });
  return JSON.stringify({
    query: RECORD,
    variables: {
      input: { entity: probe ?? entityId(n), process: PROCESSES[n % PROCESSES.length], messages },
    },
  });
}

/** Why a recordConversation response is wrong, or null. */
function checkCall(status: number, text: string): string | null {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 300)}`;
  let payload: { data?: { recordConversation?: { __typename?: string } }; errors?: unknown[] };
  try {
    payload = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 300)}`;
  }
  if (payload.errors?.length) return `errors: ${JSON.stringify(payload.errors).slice(0, 500)}`;
  const typename = payload.data?.recordConversation?.__typename;
  return typename === 'RecordConversationSuccess' ? null : `unexpected result: ${text.slice(0, 300)}`;
}

// ---------------------------------------------------------------------------------------------
// The queue, read from the database by this process.

interface JobTimes {
  id: number;
  createdAt: Date;
  completedAt: Date | null;
  status: string;
}

class QueueReader {
  private constructor(private readonly db: Db) {}

  static async open(url: string): Promise<QueueReader> {
    // SQLite: a read-only connection beside the server's writer (WAL); PostgreSQL: two connections.
    return new QueueReader(await openDatabase({ url, readonly: url.startsWith('file:'), pool: { size: 2 } }));
  }

  async maxJobId(): Promise<number> {
    const { _max } = await this.db.augmentationJob.aggregate({ _max: { id: true } });
    return _max.id ?? 0;
  }

  async counts(): Promise<Record<string, number>> {
    const groups = await this.db.augmentationJob.groupBy({ by: ['status'], _count: { _all: true } });
    return Object.fromEntries(groups.map((group) => [group.status, group._count._all]));
  }

  /** Jobs with after < id <= upTo. */
  async jobs(after: number, upTo: number): Promise<JobTimes[]> {
    return this.db.augmentationJob.findMany({
      where: { id: { gt: after, lte: upTo } },
      select: { id: true, createdAt: true, completedAt: true, status: true },
      orderBy: { id: 'asc' },
    });
  }

  /**
   * Waits until no job is PENDING or RUNNING (progress every second); fails on a PARKED job.
   * When the jobs finished is read from their own completed_at, not from when this noticed.
   */
  async drain(label: string, timeoutMs = 15 * 60_000): Promise<void> {
    const started = performance.now();
    let lastReport = 0;
    for (;;) {
      const counts = await this.counts();
      const waiting = (counts.PENDING ?? 0) + (counts.RUNNING ?? 0);
      if (counts.PARKED) throw new Error(`${counts.PARKED} augmentation job(s) were parked (failed)`);
      if (waiting === 0) return;
      const elapsed = performance.now() - started;
      if (elapsed - lastReport >= 1000) {
        lastReport = elapsed;
        progress(
          `${label}: ${waiting} job(s) waiting, ${counts.DONE ?? 0} done (${(elapsed / 1000).toFixed(0)} s)`,
        );
      }
      if (elapsed > timeoutMs) throw new Error(`${label}: the queue did not drain in ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  }

  close(): Promise<void> {
    return this.db.$disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 1: throughput.

interface ThroughputResult {
  calls: number;
  /** Share of the calls whose entity did not exist yet (its first call creates it). */
  newEntityShare: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerMessage: number;
  /** Server CPU over the load and the drain after it, per message accepted in the load. */
  cpuUsPerMessageWithAugmentation: number;
  dbCpuUsPerMessage: number | null;
  serverCores: number;
  clientCores: number;
  jobsDuringLoad: number;
  augmentedJobsPerSecondDuringLoad: number;
  jobsAfterLoad: number;
  augmentedJobsPerSecondAfterLoad: number | null;
  augmentedMessagesPerSecond: number;
  drainSeconds: number;
}

interface Context {
  options: Options;
  server: ServerProcess;
  port: number;
  queue: QueueReader;
  dbCpu: PostgresCpu | null;
  random: () => number;
  /** False with --workers 0: jobs are enqueued but nobody runs them. */
  augmenting: boolean;
}

/**
 * Runs `work` with a keep-alive agent of its own, destroyed after it: a socket left idle while the
 * queue drains would be closed by the server (keep-alive timeout) just as a later phase reuses it.
 */
async function withTarget<T>(port: number, work: (target: { agent: Agent; port: number }) => Promise<T>) {
  const agent = new Agent({ keepAlive: true });
  try {
    return await work({ agent, port });
  } finally {
    agent.destroy();
  }
}

async function throughputPhase(context: Context): Promise<ThroughputResult> {
  const { options, server, queue, dbCpu } = context;
  const scenario: Scenario = {
    name: 'recordConversation',
    body: () => callBody(options, context.random),
    check: (status, text) => checkCall(status, text),
  };
  if (options.warmup > 0) {
    progress(`throughput: warming up for ${options.warmup} s at concurrency ${options.concurrency}`);
    const warm = await withTarget(context.port, (target) =>
      runPhase(target, scenario, { concurrency: options.concurrency, durationMs: options.warmup * 1000 }),
    );
    if (warm.failures)
      throw new Error(`warmup: ${warm.failures} failed call(s); first: ${warm.firstFailure}`);
    if (context.augmenting) await queue.drain('warmup drain');
  }

  progress(
    `throughput: ${options.seconds} s at concurrency ${options.concurrency}, ${options.messagesPerCall} messages per call`,
  );
  const idBefore = await queue.maxJobId();
  const cpuBefore = await server.cpuMicros();
  const dbBefore = dbCpu?.snapshot();
  const clientBefore = process.cpuUsage();
  const seenBefore = seenEntities.size;
  const loadStart = Date.now();
  const result = await withTarget(context.port, (target) =>
    runPhase(target, scenario, { concurrency: options.concurrency, durationMs: options.seconds * 1000 }),
  );
  const loadEnd = Date.now();
  const client = process.cpuUsage(clientBefore);
  const cpuLoad = (await server.cpuMicros()) - cpuBefore;
  const dbMicros = dbCpu && dbBefore ? dbCpu.microsSince(dbBefore) : null;
  if (result.failures) throw new Error(`${result.failures} failed call(s); first: ${result.firstFailure}`);
  const idAfter = await queue.maxJobId();

  if (context.augmenting) await queue.drain('throughput drain');
  const cpuTotal = (await server.cpuMicros()) - cpuBefore;
  const jobs = await queue.jobs(idBefore, idAfter);
  if (jobs.length !== result.requests) {
    throw new Error(`${result.requests} calls were acknowledged but ${jobs.length} jobs were enqueued`);
  }
  const loadSeconds = result.elapsedMs / 1000;
  const messages = result.requests * options.messagesPerCall;
  const newEntityShare = (seenEntities.size - seenBefore) / result.requests;
  // Without workers (--workers 0) the jobs stay queued: nothing to say about augmentation.
  const completed = jobs.map((job) => job.completedAt?.getTime() ?? Number.NaN);
  if (context.augmenting && completed.some(Number.isNaN)) {
    throw new Error('a job of the throughput phase did not complete');
  }
  const lastCompleted = context.augmenting ? Math.max(...completed) : Number.NaN;
  const during = context.augmenting ? completed.filter((at) => at <= loadEnd).length : 0;
  const after = context.augmenting ? jobs.length - during : 0;
  const drainMs = context.augmenting ? Math.max(0, lastCompleted - loadEnd) : Number.NaN;
  return {
    calls: result.requests,
    newEntityShare,
    messages,
    seconds: loadSeconds,
    messagesPerSecond: messages / loadSeconds,
    callsPerSecond: result.requests / loadSeconds,
    p50Ms: percentile(result.latenciesMs, 0.5),
    p99Ms: percentile(result.latenciesMs, 0.99),
    cpuUsPerMessage: cpuLoad / messages,
    cpuUsPerMessageWithAugmentation: context.augmenting ? cpuTotal / messages : Number.NaN,
    dbCpuUsPerMessage: dbMicros === null ? null : dbMicros / messages,
    serverCores: cpuLoad / (result.elapsedMs * 1000),
    clientCores: (client.user + client.system) / (result.elapsedMs * 1000),
    jobsDuringLoad: during,
    augmentedJobsPerSecondDuringLoad: context.augmenting ? during / loadSeconds : Number.NaN,
    jobsAfterLoad: after,
    augmentedJobsPerSecondAfterLoad: after > 0 && drainMs > 0 ? after / (drainMs / 1000) : null,
    augmentedMessagesPerSecond: messages / ((lastCompleted - loadStart) / 1000),
    drainSeconds: drainMs / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 2: augmentation lag at a paced rate.

interface LagResult {
  calls: number;
  messages: number;
  achievedRate: number;
  callP50Ms: number;
  callP99Ms: number;
  /** How late this generator sent its calls behind schedule (its own delay, should be ~0). */
  maxSendDelayMs: number;
  cpuUsPerMessage: number;
  serverCores: number;
  lagP50Ms: number;
  lagP95Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  jobs: number;
  clientLagP50Ms: number;
  clientLagP95Ms: number;
  clientLagP99Ms: number;
  clientLagMaxMs: number;
  probes: number;
}

async function lagPhase(context: Context): Promise<LagResult> {
  const { options, server, queue } = context;
  const intervalMs = (options.messagesPerCall / options.rate) * 1000;
  const calls = Math.max(1, Math.round((options.lagSeconds * 1000) / intervalMs));
  const probeCount = Math.ceil(calls / options.probeEvery);
  const run = Date.now().toString(36);
  const probeIds = Array.from({ length: probeCount }, (_, i) => `probe-${run}-${i}`);

  // Every probe entity is subscribed to before the first call, so no event can come too early.
  const completedAt = new Map<string, number>();
  const subscriptionErrors: string[] = [];
  const ws = createClient({
    url: `ws://127.0.0.1:${context.port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: BENCH_AUTHORIZATION },
    lazy: false,
  });
  const unsubscribes = probeIds.map((id) =>
    ws.subscribe(
      { query: COMPLETED, variables: { entity: id } },
      {
        next: (result) => {
          if (result.errors?.length) subscriptionErrors.push(JSON.stringify(result.errors).slice(0, 300));
          else if (!completedAt.has(id)) completedAt.set(id, performance.now());
        },
        error: (error) => subscriptionErrors.push(String(error)),
        complete: () => {},
      },
    ),
  );
  await new Promise<void>((resolve, reject) => {
    ws.on('connected', () => resolve());
    ws.on('error', (error) => reject(new Error(`subscription socket: ${String(error)}`)));
  });
  await sleep(1000);
  if (subscriptionErrors.length) throw new Error(`subscription failed: ${subscriptionErrors[0]}`);

  progress(
    `lag: ${calls} calls of ${options.messagesPerCall} messages at ${options.rate} messages/s (${(1000 / intervalMs).toFixed(1)} calls/s), every ${options.probeEvery}th a probe`,
  );
  const idBefore = await queue.maxJobId();
  const cpuBefore = await server.cpuMicros();
  const acked = new Map<string, number>();
  const latencies: number[] = [];
  const failures: string[] = [];
  let maxSendDelayMs = 0;
  const inFlight: Promise<void>[] = [];
  const agent = new Agent({ keepAlive: true });
  const target = { agent, port: context.port };
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    maxSendDelayMs = Math.max(maxSendDelayMs, performance.now() - due);
    const probe = i % options.probeEvery === 0 ? (probeIds[i / options.probeEvery] ?? null) : null;
    const body = callBody(options, context.random, { probe });
    const sent = performance.now();
    inFlight.push(
      postGraphql(target, body).then(
        ({ status, text }) => {
          const now = performance.now();
          latencies.push(now - sent);
          const problem = checkCall(status, text);
          if (problem) failures.push(problem);
          else if (probe) acked.set(probe, now);
        },
        (error: unknown) => {
          failures.push(`call failed: ${String(error)}`);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - start;
  agent.destroy();
  const cpuPaced = (await server.cpuMicros()) - cpuBefore;
  if (failures.length) throw new Error(`lag: ${failures.length} failed call(s); first: ${failures[0]}`);
  const idAfter = await queue.maxJobId();
  await queue.drain('lag drain');

  // The probes' events follow their commits; give stragglers a moment.
  const deadline = performance.now() + 10_000;
  while (completedAt.size < probeIds.length && performance.now() < deadline) await sleep(50);
  for (const unsubscribe of unsubscribes) unsubscribe();
  await ws.dispose();
  if (subscriptionErrors.length) throw new Error(`subscription failed: ${subscriptionErrors[0]}`);
  const missing = probeIds.filter((id) => !completedAt.has(id));
  if (missing.length) throw new Error(`no augmentationCompleted event for ${missing.length} probe(s)`);

  // What the events promise: the probes' facts are visible.
  await withTarget(context.port, async (target) => {
    for (const id of probeIds) {
      const body = JSON.stringify({ query: FACT_COUNT, variables: { id } });
      const { status, text } = await postGraphql(target, body);
      const count = (JSON.parse(text) as { data?: { entity?: { facts: { totalCount: number } } } }).data
        ?.entity?.facts.totalCount;
      if (status !== 200 || !count)
        throw new Error(`probe ${id} has no facts after its job completed: ${text}`);
    }
  });

  const jobs = await queue.jobs(idBefore, idAfter);
  if (jobs.length !== calls)
    throw new Error(`${calls} calls were acknowledged but ${jobs.length} jobs enqueued`);
  const lags = Float64Array.from(
    jobs.map((job) => (job.completedAt?.getTime() ?? Number.NaN) - job.createdAt.getTime()),
  ).sort();
  if (lags.some(Number.isNaN)) throw new Error('a job of the lag phase did not complete');
  const clientLags = Float64Array.from(
    probeIds.map((id) => (completedAt.get(id) as number) - (acked.get(id) as number)),
  ).sort();
  const sortedLatencies = Float64Array.from(latencies).sort();
  const messages = calls * options.messagesPerCall;
  return {
    calls,
    messages,
    achievedRate: messages / (elapsedMs / 1000),
    callP50Ms: percentile(sortedLatencies, 0.5),
    callP99Ms: percentile(sortedLatencies, 0.99),
    maxSendDelayMs,
    cpuUsPerMessage: cpuPaced / messages,
    serverCores: cpuPaced / (elapsedMs * 1000),
    lagP50Ms: percentile(lags, 0.5),
    lagP95Ms: percentile(lags, 0.95),
    lagP99Ms: percentile(lags, 0.99),
    lagMaxMs: lags[lags.length - 1]!,
    jobs: jobs.length,
    clientLagP50Ms: percentile(clientLags, 0.5),
    clientLagP95Ms: percentile(clientLags, 0.95),
    clientLagP99Ms: percentile(clientLags, 0.99),
    clientLagMaxMs: clientLags[clientLags.length - 1]!,
    probes: probeIds.length,
  };
}

// ---------------------------------------------------------------------------------------------

function printTable(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  out('');
  out(title);
  for (const [name, value] of rows) out(`  ${name.padEnd(width)}  ${value}`);
}

const fmt = (value: number | null, digits = 0) =>
  value === null || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const loadBefore = loadavg();
  progress(`load average before: ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
  const database: FreshDatabase = await createFreshDatabase(options.db, options.databaseUrl, progress);
  const cleanup = () => {
    database.drop().catch(() => {});
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  let server: ServerProcess | null = null;
  let queue: QueueReader | null = null;
  try {
    // Seeded, so two runs send the same calls.
    const random = seededRandom(42);

    // The first call creates its process too; the second one only its entity (same process);
    // the third finds both (the steady state: entities come back).
    const processes = PROCESSES.length;
    // Counted on an in-process app (query events cost CPU, so the measured server has none);
    // its jobs are enqueued but not run.
    const statements = await countStatements(
      database.url,
      [1, 1 + processes, 1 + processes].map((entity) => callBody(options, random, { entity })),
      (status, text) => checkCall(status, text),
      { augmentation: true },
    );
    const [, statementsNewEntity = 0, statementsPerCall = 0] = statements.perRequest;
    progress(
      `SQL statements per call of ${options.messagesPerCall} messages: ${statementsPerCall} (existing entity), ${statementsNewEntity} (new entity)`,
    );
    if (options.showSql) for (const sql of statements.last) out(`  ${sql}`);

    const serverEnv: Record<string, string> = { BENCH_AUGMENTATION: 'on' };
    if (options.workers !== null) serverEnv.AUGMENTATION_CONCURRENCY = String(options.workers);
    if (options.batchSize !== null) serverEnv.AUGMENTATION_BATCH_SIZE = String(options.batchSize);
    if (options.pollMs !== null) serverEnv.AUGMENTATION_POLL_MS = String(options.pollMs);
    const nodeFlags: string[] = [];
    if (options.cpuProf) {
      const dir = resolvePath(options.cpuProf);
      mkdirSync(dir, { recursive: true });
      nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
      progress(`the server writes a CPU profile to ${dir} when it stops`);
    }
    const started = await ServerProcess.start(database.url, { env: serverEnv, nodeFlags });
    server = started.server;
    progress(`server listening on 127.0.0.1:${started.port} (child process ${server.pid})`);
    queue = await QueueReader.open(database.url);
    if (options.workers !== 0) await queue.drain('statement-count jobs');
    const context: Context = {
      options,
      server,
      port: started.port,
      queue,
      dbCpu: options.db === 'postgresql' ? PostgresCpu.detect(database.url) : null,
      random,
      augmenting: options.workers !== 0,
    };

    const throughput = options.seconds > 0 ? await throughputPhase(context) : null;
    if (!context.augmenting && options.lagSeconds > 0) progress('lag: skipped, --workers 0 runs no jobs');
    const lag = options.lagSeconds > 0 && context.augmenting ? await lagPhase(context) : null;

    await queue.close();
    queue = null;
    const exitCode = await server.stop();
    server = null;
    if (exitCode !== 0) throw new Error(`server exited with ${exitCode} on stop`);
    const loadAfter = loadavg();
    progress(`load average after: ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`);

    const workers = options.workers ?? 2;
    out(
      `bench:ingest on ${options.db}, ${options.messagesPerCall} messages per call, ${workers} augmentation worker(s), local extractor, ${statementsPerCall} SQL statements per call (${statementsNewEntity} for a new entity)`,
    );
    if (throughput) {
      const t = throughput;
      printTable(`throughput (concurrency ${options.concurrency}, ${t.seconds.toFixed(1)} s)`, [
        ['calls acknowledged', `${fmt(t.calls)} (${fmt(100 * t.newEntityShare)}% to a new entity)`],
        ['messages/s accepted', fmt(t.messagesPerSecond)],
        ['calls/s', fmt(t.callsPerSecond, 1)],
        ['call p50 / p99 ms', `${fmt(t.p50Ms, 1)} / ${fmt(t.p99Ms, 1)}`],
        ['server CPU µs/message (load window)', fmt(t.cpuUsPerMessage)],
        ['server CPU µs/message (load + drain)', fmt(t.cpuUsPerMessageWithAugmentation)],
        ...(t.dbCpuUsPerMessage === null
          ? []
          : ([['PostgreSQL CPU µs/message (load window)', fmt(t.dbCpuUsPerMessage)]] as [string, string][])),
        ['server / client cores', `${fmt(t.serverCores, 2)} / ${fmt(t.clientCores, 2)}`],
        [
          'jobs augmented during load',
          `${fmt(t.jobsDuringLoad)} (${fmt(t.augmentedJobsPerSecondDuringLoad, 1)} jobs/s, ${fmt(t.augmentedJobsPerSecondDuringLoad * options.messagesPerCall)} messages/s)`,
        ],
        [
          'jobs augmented after load',
          `${fmt(t.jobsAfterLoad)} (${fmt(t.augmentedJobsPerSecondAfterLoad, 1)} jobs/s, ${fmt(t.augmentedJobsPerSecondAfterLoad === null ? null : t.augmentedJobsPerSecondAfterLoad * options.messagesPerCall)} messages/s)`,
        ],
        ['time to drain the queue after load', `${fmt(t.drainSeconds, 1)} s`],
        ['messages augmented/s, load start to drained', fmt(t.augmentedMessagesPerSecond)],
        [
          `goal ≥ ${fmt(GOAL_MESSAGES_PER_SECOND)} messages/s`,
          t.messagesPerSecond >= GOAL_MESSAGES_PER_SECOND ? 'met' : 'NOT met',
        ],
      ]);
    }
    if (lag) {
      const l = lag;
      printTable(`lag (paced at ${options.rate} messages/s)`, [
        ['calls / jobs', `${fmt(l.calls)} / ${fmt(l.jobs)}`],
        ['achieved messages/s', fmt(l.achievedRate, 1)],
        ['call p50 / p99 ms', `${fmt(l.callP50Ms, 1)} / ${fmt(l.callP99Ms, 1)}`],
        ['server CPU µs/message, server cores', `${fmt(l.cpuUsPerMessage)}, ${fmt(l.serverCores, 2)}`],
        [
          'job lag p50 / p95 / p99 / max ms',
          `${fmt(l.lagP50Ms, 1)} / ${fmt(l.lagP95Ms, 1)} / ${fmt(l.lagP99Ms, 1)} / ${fmt(l.lagMaxMs, 1)}`,
        ],
        [
          `client lag (ack → augmentationCompleted), ${l.probes} probes p50 / p95 / p99 / max ms`,
          `${fmt(l.clientLagP50Ms, 1)} / ${fmt(l.clientLagP95Ms, 1)} / ${fmt(l.clientLagP99Ms, 1)} / ${fmt(l.clientLagMaxMs, 1)}`,
        ],
        ['generator send delay max ms', fmt(l.maxSendDelayMs, 1)],
        [`goal lag p95 ≤ ${fmt(GOAL_LAG_P95_MS)} ms`, l.lagP95Ms <= GOAL_LAG_P95_MS ? 'met' : 'NOT met'],
      ]);
    }
    out('');
    out(
      `load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')} (2 cores shared with the load generator${options.db === 'postgresql' ? ' and PostgreSQL' : ''})`,
    );

    const t = throughput;
    const l = lag;
    out(
      JSON.stringify({
        bench: 'ingest',
        db: options.db,
        extractor: 'local',
        messages_per_call: options.messagesPerCall,
        concurrency: options.concurrency,
        seconds: options.seconds,
        entities: options.entities,
        workers,
        statements_per_call: statementsPerCall,
        statements_per_call_new_entity: statementsNewEntity,
        calls: t?.calls ?? null,
        new_entity_share: round(t?.newEntityShare ?? null, 3),
        messages: t?.messages ?? null,
        messages_per_second: round(t?.messagesPerSecond ?? null, 1),
        calls_per_second: round(t?.callsPerSecond ?? null, 1),
        p50_ms: round(t?.p50Ms ?? null, 2),
        p99_ms: round(t?.p99Ms ?? null, 2),
        cpu_us_per_message: round(t?.cpuUsPerMessage ?? null, 0),
        cpu_us_per_message_with_augmentation: round(t?.cpuUsPerMessageWithAugmentation ?? null, 0),
        ...(t?.dbCpuUsPerMessage != null ? { db_cpu_us_per_message: round(t.dbCpuUsPerMessage, 0) } : {}),
        server_cores: round(t?.serverCores ?? null, 2),
        augmented_jobs_per_second_during_load: round(t?.augmentedJobsPerSecondDuringLoad ?? null, 1),
        augmented_jobs_per_second_after_load: round(t?.augmentedJobsPerSecondAfterLoad ?? null, 1),
        augmented_messages_per_second_during_load: round(
          t ? t.augmentedJobsPerSecondDuringLoad * options.messagesPerCall : null,
          0,
        ),
        augmented_messages_per_second_after_load: round(
          t?.augmentedJobsPerSecondAfterLoad != null
            ? t.augmentedJobsPerSecondAfterLoad * options.messagesPerCall
            : null,
          0,
        ),
        augmented_messages_per_second: round(t?.augmentedMessagesPerSecond ?? null, 0),
        drain_seconds: round(t?.drainSeconds ?? null, 2),
        rate: options.rate,
        lag_seconds: options.lagSeconds,
        achieved_rate: round(l?.achievedRate ?? null, 1),
        lag_jobs: l?.jobs ?? null,
        lag_p50_ms: round(l?.lagP50Ms ?? null, 1),
        lag_p95_ms: round(l?.lagP95Ms ?? null, 1),
        lag_p99_ms: round(l?.lagP99Ms ?? null, 1),
        lag_max_ms: round(l?.lagMaxMs ?? null, 1),
        client_lag_method: 'augmentationCompleted subscription, from the call acknowledgement',
        client_lag_probes: l?.probes ?? null,
        client_lag_p50_ms: round(l?.clientLagP50Ms ?? null, 1),
        client_lag_p95_ms: round(l?.clientLagP95Ms ?? null, 1),
        client_lag_p99_ms: round(l?.clientLagP99Ms ?? null, 1),
        paced_call_p50_ms: round(l?.callP50Ms ?? null, 2),
        paced_call_p99_ms: round(l?.callP99Ms ?? null, 2),
        paced_cpu_us_per_message: round(l?.cpuUsPerMessage ?? null, 0),
        load_average: {
          before: loadBefore.map((v) => round(v, 2)),
          after: loadAfter.map((v) => round(v, 2)),
        },
        goal_met: {
          messages_per_second: t ? t.messagesPerSecond >= GOAL_MESSAGES_PER_SECOND : null,
          lag_p95: l ? l.lagP95Ms <= GOAL_LAG_P95_MS : null,
        },
      }),
    );
  } catch (error) {
    server?.kill();
    await queue?.close().catch(() => {});
    await database.drop().catch(() => {});
    throw error;
  }
  await database.drop();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ingest failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
