/**
 * The real Engram server, run in its own process by bench/read.ts so that its CPU time can be
 * measured apart from the load generator's. It is driven over the IPC channel that
 * child_process.fork opens, never over HTTP, so the measurement adds no route to the server.
 *
 * Messages in:  { type: 'cpu' } | { type: 'published', contents } | { type: 'stop' }
 * Messages out: { type: 'ready', port } | { type: 'cpu', usage } | { type: 'published', times } |
 *               { type: 'stopped' }
 *
 * With BENCH_PUBLISH_TIMES=on (bench/live.ts) it notes when each fact-changed event is published
 * and answers `published` with those times, by fact content.
 *
 * With BENCH_AUGMENTATION=on (bench/ingest.ts) it also augments, as `engram serve` does: the
 * local extractor with in-process workers (AUGMENTATION_CONCURRENCY, AUGMENTATION_BATCH_SIZE and
 * AUGMENTATION_POLL_MS are taken from this process's environment when set), no embedding model
 * and an in-memory vector index kept in sync. Without it (bench/read.ts) nothing changes.
 */
import { buildApp } from '../../src/app.ts';
import { configFromEnv } from '../../src/config/config.ts';
import { createEngram } from '../../src/engram.ts';
import { AUGMENTATION_SETTINGS, benchAugmentationEnv, benchEnv } from './env.ts';

export type ServerRequest = { type: 'cpu' } | { type: 'stop' } | { type: 'published'; contents: string[] };
export type ServerReply =
  | { type: 'ready'; port: number }
  | { type: 'cpu'; usage: NodeJS.CpuUsage }
  | { type: 'published'; times: (number | null)[] }
  | { type: 'stopped' };

function reply(message: ServerReply): void {
  process.send?.(message);
}

const databaseUrl = process.env.BENCH_DATABASE_URL;
if (!process.send || !databaseUrl) {
  process.stderr.write(
    'bench/lib/server.ts is started by bench/read.ts or bench/ingest.ts (needs IPC and BENCH_DATABASE_URL)\n',
  );
  process.exit(2);
}

const augmenting = process.env.BENCH_AUGMENTATION === 'on';
const env = augmenting
  ? benchAugmentationEnv(
      databaseUrl,
      Object.fromEntries(AUGMENTATION_SETTINGS.map((name) => [name, process.env[name]])),
    )
  : benchEnv(databaseUrl);
// The benchmark migrated and seeded the database. bench/read measures reads only: no search
// index, no embeddings, no augmentation run beside the measured requests.
const config = configFromEnv({
  ...env,
  MIGRATE_ON_START: false,
  ...(augmenting ? {} : { VECTOR_INDEX: 'off', EMBEDDING_PROVIDER: 'none', AUGMENTATION: 'off' }),
});
const engram = await createEngram(config);
await engram.start({ wait: true });
// bench/live: when each fact-changed event entered the event bus (wall clock, shared by every
// process of the machine), by the fact's content, until the benchmark asks for it.
const publishedAt = new Map<string, number>();
if (process.env.BENCH_PUBLISH_TIMES === 'on') {
  const publish = engram.events.publish as (...args: unknown[]) => void;
  engram.events.publish = ((...args: unknown[]) => {
    const payload = args.at(-1) as { fact?: { content?: unknown } } | undefined;
    if (args[0] === 'fact-changed' && typeof payload?.fact?.content === 'string')
      publishedAt.set(payload.fact.content, performance.timeOrigin + performance.now());
    publish(...args);
  }) as typeof engram.events.publish;
}
const app = buildApp(engram);
const port = await app.start(0, '127.0.0.1');

let stopping = false;
process.on('message', (message: ServerRequest) => {
  if (message.type === 'cpu') {
    // user + system time of the whole process, including libuv and V8 helper threads.
    reply({ type: 'cpu', usage: process.cpuUsage() });
  } else if (message.type === 'published') {
    reply({
      type: 'published',
      times: message.contents.map((content) => {
        const at = publishedAt.get(content) ?? null;
        publishedAt.delete(content);
        return at;
      }),
    });
  } else if (message.type === 'stop' && !stopping) {
    stopping = true;
    void (async () => {
      await app.stop();
      await engram.stop();
      reply({ type: 'stopped' });
      // Dropping the channel is the last handle: the process then exits on its own, with 0.
      process.disconnect();
    })().catch((error: unknown) => {
      process.stderr.write(`bench server failed to stop: ${String(error)}\n`);
      process.exit(1);
    });
  }
});
// Without the parent there is nobody to measure for; never linger as an orphan.
process.on('disconnect', () => {
  if (!stopping) process.exit(1);
});

reply({ type: 'ready', port });
