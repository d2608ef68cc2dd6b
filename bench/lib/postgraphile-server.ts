/**
 * PostGraphile v5 over the same PostgreSQL database, run by bench/read.ts (--compare postgraphile)
 * as a peer to measure Engram against. It lives only here, in the benchmark: Engram never
 * depends on it. Same IPC protocol and CPU accounting as bench/lib/server.ts.
 *
 * Messages in:  { type: 'cpu' } | { type: 'stop' }
 * Messages out: { type: 'ready', port } | { type: 'cpu', usage } | { type: 'stopped' }
 *
 * Amber preset plus @graphile/simplify-inflection (the recommended v5 setup), GraphiQL (Ruru),
 * watch mode and explain off, served by grafserv's node:http adaptor on 127.0.0.1.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerReply, ServerRequest } from './server.ts';

// PostGraphile v5 targets Node 22 and calls Promise.withResolvers (ES2024), which Node 20 lacks.
// It is only called at request time, but the polyfill still runs before the libraries are even
// loaded (with import() below, as static imports would be evaluated first).
const promise = Promise as unknown as { withResolvers?: unknown };
if (typeof promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

function reply(message: ServerReply): void {
  process.send?.(message);
}

const databaseUrl = process.env.BENCH_DATABASE_URL;
if (!process.send || !databaseUrl) {
  process.stderr.write(
    'bench/lib/postgraphile-server.ts is started by bench/read.ts (needs IPC and BENCH_DATABASE_URL)\n',
  );
  process.exit(2);
}

const [{ postgraphile }, { PostGraphileAmberPreset }, { makePgService }, { grafserv }, utils, simplify] =
  await Promise.all([
    import('postgraphile'),
    import('postgraphile/presets/amber'),
    import('postgraphile/adaptors/pg'),
    import('postgraphile/grafserv/node'),
    import('postgraphile/utils'),
    import('@graphile/simplify-inflection'),
  ]);

/** Engram's default pool size (src/db/client.ts DEFAULT_POOL), so both sides get the same connections. */
const POOL_SIZE = 10;

/**
 * Prisma creates `entity_external_id_key` as a unique index, not a unique constraint, and
 * PostGraphile only builds `...By...` lookups for constraints: this smart tag declares the
 * (existing, indexed) unique key so that `entityByExternalId` exists, without touching the database.
 */
const uniqueExternalId = utils.jsonPgSmartTags({
  version: 1,
  config: { class: { entity: { tags: { unique: 'external_id' } } } },
});

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset, simplify.PgSimplifyInflectionPreset],
  plugins: [uniqueExternalId],
  pgServices: [
    makePgService({ connectionString: databaseUrl, schemas: ['public'], poolConfig: { max: POOL_SIZE } }),
  ],
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false, websockets: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (error) => {
  process.stderr.write(`postgraphile server error: ${String(error)}\n`);
  process.exit(1);
});
await serv.addTo(server, false);
// Build the schema (introspection) before saying ready, so no request pays for it.
await pgl.getSchema();
const port = await new Promise<number>((resolve) => {
  server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
});

let stopping = false;
process.on('message', (message: ServerRequest) => {
  if (message.type === 'cpu') {
    reply({ type: 'cpu', usage: process.cpuUsage() });
  } else if (message.type === 'stop' && !stopping) {
    stopping = true;
    void (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      // Releases grafserv too (releasing grafserv first is an error).
      await pgl.release();
      reply({ type: 'stopped' });
      process.disconnect();
    })().catch((error: unknown) => {
      process.stderr.write(`postgraphile server failed to stop: ${String(error)}\n`);
      process.exit(1);
    });
  }
});
process.on('disconnect', () => {
  if (!stopping) process.exit(1);
});

reply({ type: 'ready', port });
