/**
 * What a call costs through MCP (stateless Streamable HTTP at /mcp: a server and a transport per
 * request) next to the same work through /graphql: a real server on a free port with an API key,
 * one entity with facts, calls one at a time over HTTP from this process. Prints calls per second
 * and the CPU µs per call of this process (server and client together), median of the rounds,
 * alternating the two endpoints so drift in the machine's load hits both alike.
 *
 *   npm run bench:mcp -- [--rounds 7] [--calls 200] [--facts 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { configFromEnv } from '../src/config/config.ts';
import { parseEnv } from '../src/config/environment.ts';
import { createEngram } from '../src/engram.ts';
import { rememberFact } from '../src/services/facts.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    calls: { type: 'string', default: '200' },
    facts: { type: 'string', default: '200' },
  },
});
const rounds = Number(values.rounds);
const calls = Number(values.calls);
const dir = mkdtempSync(join(tmpdir(), 'engram-bench-mcp-'));
const env = parseEnv({
  NODE_ENV: 'production',
  API_KEYS: 'bench-key',
  LOG_LEVEL: 'silent',
  DATABASE_URL: `file:${join(dir, 'engram.db')}`,
  EMBEDDING_PROVIDER: 'none',
  VECTOR_INDEX_PATH: 'memory',
  AUGMENTATION: 'off',
  RATE_LIMIT_PER_ADDRESS: '0',
  RATE_LIMIT_PER_KEY: '0',
  METRICS: 'off',
});
const engram = await createEngram(configFromEnv(env));
await engram.start({ wait: true });
const app = buildApp(engram);
const port = await app.start(0, '127.0.0.1');
const actor = { principal: { kind: 'key', role: 'admin', name: 'bench' } as const, address: null };
const topics = ['cello', 'Lisbon', 'olives', 'running', 'chess', 'Rust', 'jazz', 'tea'];
for (let i = 0; i < Number(values.facts); i++) {
  await rememberFact(engram.services, actor, {
    entity: 'bench-entity',
    content: `Fact ${i} about ${topics[i % topics.length]} and more`,
  });
}

const headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: 'Bearer bench-key',
};
const post = async (path: string, body: unknown) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"isError":true') || text.includes('"errors"'))
    throw new Error(`${path}: ${response.status} ${text.slice(0, 200)}`);
};

const RECALL = `query Recall($entity: String!, $query: String!) {
  recall(entity: $entity, query: $query, first: 5) { score fact { id content category mentionCount } }
}`;
const cases: Record<string, () => Promise<void>> = {
  'graphql { __typename }': () => post('/graphql', { query: '{ __typename }' }),
  'mcp tools/list': () => post('/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  'graphql recall': () =>
    post('/graphql', { query: RECALL, variables: { entity: 'bench-entity', query: 'cello' } }),
  'mcp recall': () =>
    post('/mcp', {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'recall', arguments: { entity: 'bench-entity', query: 'cello', first: 5 } },
    }),
};

const samples = new Map<string, { perSecond: number; cpuMicros: number }[]>();
for (const run of Object.values(cases)) for (let i = 0; i < 20; i++) await run();
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < calls; i++) await run();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const list = samples.get(name) ?? [];
    list.push({ perSecond: calls / seconds, cpuMicros: (used.user + used.system) / calls });
    samples.set(name, list);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
process.stdout.write(
  `${calls} calls x ${rounds} rounds, one at a time, ${values.facts} facts; CPU of server and client together\n`,
);
for (const [name, list] of samples) {
  const perSecond = median(list.map((sample) => sample.perSecond));
  const cpu = median(list.map((sample) => sample.cpuMicros));
  process.stdout.write(
    `${name.padEnd(24)} ${perSecond.toFixed(0).padStart(6)} calls/s  ${cpu.toFixed(0).padStart(6)} µs CPU/call\n`,
  );
}
await app.stop();
await engram.stop();
rmSync(dir, { recursive: true, force: true });
