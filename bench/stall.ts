/**
 * `npm run bench:stall`: how long a heavy query that passes the cost limit delays everyone else.
 *
 * Seeds one entity with sessions × conversations × messages, starts Engram in its own process
 * (bench/lib/server.ts, production settings), then measures the latency of `{ __typename }` sent
 * one at a time (a probe every --probe-gap ms):
 *   1. baseline: nothing else running;
 *   2. heavy: --clients clients each loop the heaviest allowed query, the largest page sizes whose
 *      estimate stays under MAX_QUERY_NODES (src/http/query-cost.ts), in the same run.
 * Prints p50/p95/p99/max of both, the heavy query's latency and response size, the server's CPU
 * per request and the load average.
 */
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Kind, parse } from 'graphql';
import { parseEnv } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/client.ts';
import { estimateOperationCost } from '../src/http/query-cost.ts';
import { schema } from '../src/schema/index.ts';
import { createFreshDatabase } from './lib/fresh-database.ts';
import { percentile, postGraphql } from './lib/load.ts';
import { DEFAULT_POSTGRES_URL } from './lib/options.ts';
import { ServerProcess } from './lib/server-process.ts';

const USAGE = `Usage: npm run bench:stall -- [flags]

  --db <sqlite|postgresql>   database (default sqlite, a temporary file)
  --database-url <url>       PostgreSQL server (a fresh database is created and dropped;
                             default ${DEFAULT_POSTGRES_URL})
  --max-nodes <n>            the server's MAX_QUERY_NODES (default: Engram's default)
  --clients <n>              clients looping the heavy query (default 3)
  --seconds <n>              measured seconds per phase (default 10)
  --probe-gap <ms>           pause between two { __typename } probes (default 20)
  --sessions <n>             sessions seeded (default 50)
  --conversations <n>        conversations per session (default 10)
  --messages <n>             messages per conversation (default 100)
`;

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      db: { type: 'string', default: 'sqlite' },
      'database-url': { type: 'string', default: DEFAULT_POSTGRES_URL },
      'max-nodes': { type: 'string' },
      clients: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '10' },
      'probe-gap': { type: 'string', default: '20' },
      sessions: { type: 'string', default: '50' },
      conversations: { type: 'string', default: '10' },
      messages: { type: 'string', default: '100' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 0) {
      process.stderr.write(`--${name} must be a whole number\n${USAGE}`);
      process.exit(2);
    }
    return value;
  };
  if (values.db !== 'sqlite' && values.db !== 'postgresql') {
    process.stderr.write(`--db must be sqlite or postgresql\n${USAGE}`);
    process.exit(2);
  }
  return {
    db: values.db as 'sqlite' | 'postgresql',
    databaseUrl: values['database-url'] as string,
    maxNodes: values['max-nodes'] === undefined ? parseEnv({}).MAX_QUERY_NODES : int('max-nodes'),
    clients: int('clients'),
    seconds: int('seconds'),
    probeGapMs: int('probe-gap'),
    sessions: int('sessions'),
    conversations: int('conversations'),
    messages: int('messages'),
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

const HEAVY = `query Heavy($s: Int, $c: Int, $m: Int) { entity(externalId: "heavy") {
  sessions(first: $s) { totalCount edges { node { uuid conversations(first: $c) { totalCount edges { node {
  summary messages(first: $m) { totalCount edges { cursor node { id role content createdAt } } } } } } } } } } }`;

/** The largest message page (with every session and conversation page full) under the limit. */
function heaviestAllowed(maxNodes: number, sessions: number, conversations: number, maxPageSize: number) {
  const operation = parse(HEAVY).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) throw new Error('no operation');
  const s = Math.min(sessions, maxPageSize);
  const c = Math.min(conversations, maxPageSize);
  for (let m = maxPageSize; m >= 1; m--) {
    const variables = { s, c, m };
    const nodes = estimateOperationCost(schema, operation, new Map(), variables, { maxNodes, maxPageSize });
    if (nodes <= maxNodes) return { variables, nodes };
  }
  throw new Error(`even one message per conversation is over ${maxNodes} nodes: seed fewer sessions`);
}

async function seed(url: string, options: ReturnType<typeof parseOptions>): Promise<number> {
  const db = await openDatabase({ url });
  try {
    const entity = await db.entity.create({ data: { externalId: 'heavy' } });
    const process_ = await db.process.create({ data: { externalId: 'bot' } });
    await db.session.createMany({
      data: Array.from({ length: options.sessions }, (_, s) => ({
        uuid: `heavy-${s}`,
        entityId: entity.id,
        processId: process_.id,
      })),
    });
    const sessions = await db.session.findMany({ select: { id: true } });
    await db.conversation.createMany({
      data: sessions.flatMap((session) =>
        Array.from({ length: options.conversations }, (_, c) => ({
          sessionId: session.id,
          summary: `summary ${c}`,
        })),
      ),
    });
    const conversations = await db.conversation.findMany({ select: { id: true } });
    let messages = 0;
    const content = 'The user said something about their week, their plans and their tea. '.repeat(2);
    for (let at = 0; at < conversations.length; at += 50) {
      const data = conversations.slice(at, at + 50).flatMap((conversation) =>
        Array.from({ length: options.messages }, (_, m) => ({
          conversationId: conversation.id,
          role: m % 2 ? ('ASSISTANT' as const) : ('USER' as const),
          content: `${m}: ${content}`,
        })),
      );
      messages += (await db.conversationMessage.createMany({ data })).count;
    }
    return messages;
  } finally {
    await db.$disconnect();
  }
}

interface Probe {
  latencies: Float64Array;
}

async function probe(port: number, durationMs: number, gapMs: number): Promise<Probe> {
  const target = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), port };
  const body = JSON.stringify({ query: '{ __typename }' });
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const sent = performance.now();
    const { status, text } = await postGraphql(target, body);
    latencies.push(performance.now() - sent);
    if (status !== 200 || !text.includes('"Query"')) throw new Error(`probe failed: ${status} ${text}`);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  target.agent.destroy();
  return { latencies: Float64Array.from(latencies).sort() };
}

const ms = (value: number) => (value < 10 ? value.toFixed(1) : Math.round(value).toString());
const row = (name: string, sorted: Float64Array) =>
  `| ${name} | ${sorted.length} | ${ms(percentile(sorted, 0.5))} | ${ms(percentile(sorted, 0.95))} | ${ms(percentile(sorted, 0.99))} | ${ms(sorted[sorted.length - 1] ?? Number.NaN)} |`;

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const loadBefore = loadavg();
  log(`load average before: ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
  const database = await createFreshDatabase(options.db, options.databaseUrl, log);
  let server: ServerProcess | null = null;
  try {
    const started = performance.now();
    const messages = await seed(database.url, options);
    log(`seeded ${messages} messages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const maxPageSize = parseEnv({}).MAX_PAGE_SIZE;
    const heavy = heaviestAllowed(options.maxNodes, options.sessions, options.conversations, maxPageSize);
    log(
      `heavy query: pages ${JSON.stringify(heavy.variables)}, estimate ${heavy.nodes} of ${options.maxNodes} nodes`,
    );
    const started_ = await ServerProcess.start(database.url, {
      env: { MAX_QUERY_NODES: String(options.maxNodes) },
    });
    server = started_.server;
    const port = started_.port;
    const durationMs = options.seconds * 1000;

    // Warm up both paths (JIT, prepared statements, caches).
    const heavyBody = JSON.stringify({ query: HEAVY, variables: heavy.variables });
    const heavyTarget = { agent: new Agent({ keepAlive: true }), port };
    const check = await postGraphql(heavyTarget, heavyBody);
    if (check.status !== 200 || check.text.startsWith('{"errors"')) {
      throw new Error(`heavy query failed: ${check.status} ${check.text.slice(0, 500)}`);
    }
    await probe(port, 1000, options.probeGapMs);

    const cpu0 = await server.cpuMicros();
    const baseline = await probe(port, durationMs, options.probeGapMs);
    const cpu1 = await server.cpuMicros();

    let stop = false;
    const heavyLatencies: number[] = [];
    let bytes = 0;
    let heavyErrors = 0;
    const client = async () => {
      while (!stop) {
        const sent = performance.now();
        const { status, text } = await postGraphql(heavyTarget, heavyBody);
        heavyLatencies.push(performance.now() - sent);
        bytes = Buffer.byteLength(text);
        if (status !== 200 || text.startsWith('{"errors"')) heavyErrors += 1;
      }
    };
    const clients = Array.from({ length: options.clients }, client);
    const loaded = await probe(port, durationMs, options.probeGapMs);
    stop = true;
    await Promise.all(clients);
    const cpu2 = await server.cpuMicros();
    heavyTarget.agent.destroy();
    const heavySorted = Float64Array.from(heavyLatencies).sort();
    const loadAfter = loadavg();
    log(`load average after: ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`);

    const lines = [
      `## bench:stall — ${options.db}, MAX_QUERY_NODES ${options.maxNodes}, ${options.clients} heavy clients, ${options.seconds} s per phase`,
      '',
      `heavy query: ${JSON.stringify(heavy.variables)} pages (estimate ${heavy.nodes} nodes), response ${(bytes / 1e6).toFixed(2)} MB, ${heavyLatencies.length} done, ${heavyErrors} errors`,
      '',
      '| `{ __typename }` latency, ms | requests | p50 | p95 | p99 | max |',
      '|---|---|---|---|---|---|',
      row('baseline (no load)', baseline.latencies),
      row(`with ${options.clients} heavy clients`, loaded.latencies),
      row('the heavy query itself', heavySorted),
      '',
      `server CPU: ${Math.round((cpu1 - cpu0) / baseline.latencies.length)} µs per { __typename } (baseline); ${(
        (cpu2 - cpu1 - (loaded.latencies.length * (cpu1 - cpu0)) / baseline.latencies.length) /
          1000 /
          Math.max(1, heavyLatencies.length)
      ).toFixed(0)} ms per heavy query`,
      `load average: before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (server) await server.stop().catch(() => server?.kill());
    await database.drop();
  }
}

await main();
