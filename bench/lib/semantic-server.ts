/**
 * Engram with its vector index, in its own process, for bench/vector.ts's GraphQL phase: it loads
 * the index snapshot the benchmark wrote (VECTOR_INDEX_PATH) instead of embedding anything.
 *
 * Messages in:  { type: 'stop' }
 * Messages out: { type: 'ready', port, loadMs } | { type: 'stopped' }
 */

import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createEngram } from '../../src/engram.ts';
import { BENCH_API_KEY, BENCH_UNLIMITED } from './env.ts';

const { BENCH_DATABASE_URL: databaseUrl, BENCH_INDEX_DIR: dir, BENCH_DIMS: dims } = process.env;
if (!process.send || !databaseUrl || !dir || !dims) {
  process.stderr.write('bench/lib/semantic-server.ts is started by bench/vector.ts\n');
  process.exit(2);
}
const config = loadConfig({
  NODE_ENV: 'production',
  API_KEYS: BENCH_API_KEY,
  LOG_LEVEL: 'warn',
  DATABASE_URL: databaseUrl,
  GRAPHIQL: 'false',
  EMBEDDING_PROVIDER: 'none',
  AUGMENTATION: 'off',
  MIGRATE_ON_START: 'false',
  ...BENCH_UNLIMITED,
  VECTOR_INDEX_PATH: dir,
  VECTOR_DIMENSIONS: dims,
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('VECTOR_HNSW_'))),
});
const engram = await createEngram(config);
const started = Date.now();
await engram.start({ wait: true });
const loadMs = Date.now() - started;
const app = buildApp(engram);
const port = await app.start(0, '127.0.0.1');
process.send({ type: 'ready', port, loadMs });

process.on('message', (message: { type: string }) => {
  if (message.type !== 'stop') return;
  void (async () => {
    await app.stop();
    // The snapshot stays as the benchmark wrote it: nothing changed, nothing to save.
    await engram.stop();
    process.send?.({ type: 'stopped' });
    process.disconnect();
  })();
});
process.on('disconnect', () => process.exit(0));
