/**
 * What metrics cost per request: two Engrams in this process on one SQLite file, one with
 * METRICS=on and one with METRICS=off, answer the same GraphQL requests through yoga (no sockets,
 * so no client or kernel time is counted) in alternating rounds, so drift in the machine's load
 * hits both alike. Prints the median CPU µs per request of each and the difference.
 *
 *   npm run bench:metrics -- [--rounds 20] [--requests 300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { configFromEnv } from '../src/config/config.ts';
import { parseEnv } from '../src/config/environment.ts';
import { createEngram } from '../src/engram.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '20' }, requests: { type: 'string', default: '300' } },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const dir = mkdtempSync(join(tmpdir(), 'engram-bench-metrics-'));
const databaseUrl = `file:${join(dir, 'engram.db')}`;

async function start(metrics: 'on' | 'off') {
  const env = parseEnv({
    NODE_ENV: 'production',
    API_KEYS: 'bench-key',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    EMBEDDING_PROVIDER: 'none',
    VECTOR_INDEX: 'off',
    AUGMENTATION: 'off',
    RATE_LIMIT_PER_ADDRESS: '0',
    RATE_LIMIT_PER_KEY: '0',
    METRICS: metrics,
  });
  const engram = await createEngram(configFromEnv(env));
  await engram.start({ wait: true });
  return { engram, app: buildApp(engram) };
}

const PAGE = `query Page($id: String!) {
  entity(externalId: $id) { id externalId facts(first: 20) { totalCount edges { node { id content } } } }
}`;
const REMEMBER = `mutation Remember($input: RememberFactInput!) { rememberFact(input: $input) { __typename } }`;

const on = await start('on');
const off = await start('off');
const post = (server: typeof on, query: string, variables: Record<string, unknown> = {}) =>
  server.app.yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' },
    body: JSON.stringify({ query, variables }),
  });
for (let i = 0; i < 20; i++) {
  await (
    await post(off, REMEMBER, { input: { entity: 'bench-entity', content: `Fact ${i}`, category: 'FACT' } })
  ).text();
}

const scenarios = {
  '{ __typename }': (server: typeof on) => post(server, '{ __typename }'),
  'entity page (2 SQL statements)': (server: typeof on) => post(server, PAGE, { id: 'bench-entity' }),
};

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
const results: Record<string, { on: number; off: number }> = {};
for (const [name, run] of Object.entries(scenarios)) {
  const samples = { on: [] as number[], off: [] as number[] };
  for (let round = -2; round < rounds; round++) {
    for (const [label, server] of [
      ['on', on],
      ['off', off],
    ] as const) {
      const cpu = process.cpuUsage();
      for (let i = 0; i < requests; i++) await (await run(server)).text();
      const used = process.cpuUsage(cpu);
      // The first two rounds warm up the JIT and the parse cache.
      if (round >= 0) samples[label].push((used.user + used.system) / requests);
    }
  }
  results[name] = { on: median(samples.on), off: median(samples.off) };
}

process.stdout.write(
  '\nscenario                         metrics on µs/req  metrics off µs/req  difference\n',
);
for (const [name, { on: withMetrics, off: without }] of Object.entries(results)) {
  process.stdout.write(
    `${name.padEnd(32)} ${withMetrics.toFixed(0).padStart(17)} ${without.toFixed(0).padStart(19)}  ${(withMetrics - without).toFixed(0).padStart(5)} µs (${(((withMetrics - without) / without) * 100).toFixed(1)}%)\n`,
  );
}
process.stdout.write(`${JSON.stringify({ bench: 'metrics', rounds, requests, results })}\n`);
await on.engram.stop();
await off.engram.stop();
rmSync(dir, { recursive: true, force: true });
