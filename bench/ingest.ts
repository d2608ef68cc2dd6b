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
 *
 * This file holds the run (database, server, statement count, the phases in order); the pieces
 * are in bench/lib/: ingest-options.ts (flags), ingest-calls.ts (the GraphQL it sends),
 * queue-reader.ts (the job queue read from the database), ingest-throughput.ts and ingest-lag.ts
 * (the two phases), ingest-report.ts (tables and the JSON line).
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { createFreshDatabase, type FreshDatabase } from './lib/fresh-database.ts';
import { callBody, checkCall, PROCESSES } from './lib/ingest-calls.ts';
import { lagPhase } from './lib/ingest-lag.ts';
import { type MirrorLag, type MirrorTarget, mirrorLag, startMirrorTarget } from './lib/ingest-mirror.ts';
import { parseIngestOptions } from './lib/ingest-options.ts';
import { printIngestReport } from './lib/ingest-report.ts';
import { type IngestContext, throughputPhase } from './lib/ingest-throughput.ts';
import { PostgresCpu } from './lib/postgres-cpu.ts';
import { QueueReader } from './lib/queue-reader.ts';
import { seededRandom } from './lib/random.ts';
import { ServerProcess } from './lib/server-process.ts';
import { countStatements } from './lib/statements.ts';
import { out, progress } from './lib/stdio.ts';

async function main(): Promise<void> {
  const options = parseIngestOptions(process.argv.slice(2));
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
  let mirror: MirrorTarget | null = null;
  try {
    // Seeded, so two runs send the same calls.
    const random = seededRandom(42);

    // The first call creates its process too; the second one only its entity (same process);
    // the third finds both (the steady state: entities come back).
    const processes = PROCESSES.length;
    // Counted on an in-process app (query events cost CPU, so the measured server has none);
    // its jobs are enqueued but not run. With the search index in memory, as the server has one,
    // so each message's index entry and change row are counted.
    const statements = await countStatements(
      database.url,
      [1, 1 + processes, 1 + processes].map((entity) => callBody(options, random, { entity })),
      (status, text) => checkCall(status, text),
      {
        augmentation: true,
        env: {
          VECTOR_INDEX: 'on',
          VECTOR_INDEX_PATH: 'memory',
          ...(options.messageIndex ? { MESSAGE_INDEX: options.messageIndex } : {}),
        },
      },
    );
    const [, statementsNewEntity = 0, statementsPerCall = 0] = statements.perRequest;
    progress(
      `SQL statements per call of ${options.messagesPerCall} messages: ${statementsPerCall} (existing entity), ${statementsNewEntity} (new entity)`,
    );
    if (options.showSql) for (const sql of statements.last) out(`  ${sql}`);

    const serverEnv: Record<string, string> = { BENCH_AUGMENTATION: 'on' };
    if (options.mirror) {
      mirror = await startMirrorTarget();
      Object.assign(serverEnv, mirror.env);
      progress(`mirroring the graph into the Bolt test server at ${mirror.env.NEO4J_URL}`);
    }
    if (options.workers !== null) serverEnv.AUGMENTATION_CONCURRENCY = String(options.workers);
    if (options.batchSize !== null) serverEnv.AUGMENTATION_BATCH_SIZE = String(options.batchSize);
    if (options.pollMs !== null) serverEnv.AUGMENTATION_POLL_MS = String(options.pollMs);
    if (options.messageIndex !== null) serverEnv.MESSAGE_INDEX = options.messageIndex;
    progress(`message index ${options.messageIndex ?? 'context (default)'}`);
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
    const context: IngestContext = {
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
    const lagStarted = new Date();
    const lag = options.lagSeconds > 0 && context.augmenting ? await lagPhase(context) : null;
    let mirrored: MirrorLag | null = null;
    if (mirror && lag) {
      mirrored = await mirrorLag(database.url, mirror.model, lagStarted);
      progress(
        `mirror lag over ${mirrored.changes} changes: p50 ${mirrored.p50Ms.toFixed(0)} ms, p95 ${mirrored.p95Ms.toFixed(0)} ms`,
      );
    }

    await queue.close();
    queue = null;
    const exitCode = await server.stop();
    server = null;
    await mirror?.stop();
    mirror = null;
    if (exitCode !== 0) throw new Error(`server exited with ${exitCode} on stop`);
    const loadAfter = loadavg();
    progress(`load average after: ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`);

    printIngestReport({
      options,
      statementsPerCall,
      statementsNewEntity,
      throughput,
      lag,
      mirror: mirrored,
      loadBefore,
      loadAfter,
    });
  } catch (error) {
    server?.kill();
    await mirror?.stop().catch(() => {});
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
