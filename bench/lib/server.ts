/**
 * The real Engram server, run in its own process by bench/read.ts so that its CPU time can be
 * measured apart from the load generator's. It is driven over the IPC channel that
 * child_process.fork opens, never over HTTP, so the measurement adds no route to the server.
 *
 * Messages in:  { type: 'cpu' } | { type: 'stop' }
 * Messages out: { type: 'ready', port } | { type: 'cpu', usage } | { type: 'stopped' }
 */
import { buildApp } from '../../src/app.ts';
import { openDatabase, openReader } from '../../src/db/client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { benchEnv } from './env.ts';

export type ServerRequest = { type: 'cpu' } | { type: 'stop' };
export type ServerReply =
  | { type: 'ready'; port: number }
  | { type: 'cpu'; usage: NodeJS.CpuUsage }
  | { type: 'stopped' };

function reply(message: ServerReply): void {
  process.send?.(message);
}

const databaseUrl = process.env.BENCH_DATABASE_URL;
if (!process.send || !databaseUrl) {
  process.stderr.write(
    'bench/lib/server.ts is started by bench/read.ts (needs IPC and BENCH_DATABASE_URL)\n',
  );
  process.exit(2);
}

const env = benchEnv(databaseUrl);
const logger = createLogger(env);
const db = await openDatabase({ url: env.DATABASE_URL });
const reader = await openReader(db, { url: env.DATABASE_URL });
const app = buildApp({ env, db, reader, logger });
const port = await app.start(0, '127.0.0.1');

let stopping = false;
process.on('message', (message: ServerRequest) => {
  if (message.type === 'cpu') {
    // user + system time of the whole process, including libuv and V8 helper threads.
    reply({ type: 'cpu', usage: process.cpuUsage() });
  } else if (message.type === 'stop' && !stopping) {
    stopping = true;
    void (async () => {
      await app.stop();
      await db.$disconnect();
      if (reader !== db) await reader.$disconnect();
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
