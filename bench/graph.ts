/**
 * `npm run bench:graph`: graph traversal over GraphQL on a generated graph of about 1M triples.
 *
 * Builds (once, then reuses) a database holding a power-law graph (lib/graph-data.ts): 1M triples
 * over 200k names in one entity, and 1,000 entities of 1,000 triples each. Starts Engram in its
 * own process (bench/lib/server.ts, production settings) and measures, one request at a time:
 *   - neighbourhoods of depth 1, 2 and 3 (`first: 50`), shortest paths (`maxDepth: 6`) and
 *     `nodes(first: 10, orderBy: DEGREE)` in the one-entity graph; a 2-hop neighbourhood and a
 *     path in a random entity of the many;
 *   - each over GraphQL (p50/p99, Engram's CPU and the database server's CPU per request), the
 *     same call to Engram's graph code in this process (no HTTP or GraphQL: the SQL's share), and
 *     the naive baseline (lib/graph-naive.ts: one statement per hop over the whole frontier, a
 *     path searched from one end) on the same inputs, in the same run.
 * Prints a table, the goals (2-hop p50 <= 5 ms and path p50 <= 30 ms over GraphQL on PostgreSQL,
 * at least 5x the naive baseline) and, last, one JSON line.
 */
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type Db, openDatabase } from '../src/db/client.ts';
import { exploreNeighborhood } from '../src/graph/neighborhood.ts';
import { countNodes, listNodes, nodeInfo } from '../src/graph/nodes.ts';
import { shortestPath } from '../src/graph/path.ts';
import {
  DEFAULT_GRAPH_SIZES,
  degreeSummary,
  type GraphData,
  type GraphSizes,
  generateGraph,
  nodeName,
} from './lib/graph-data.ts';
import { naiveNeighborhood, naivePathLength } from './lib/graph-naive.ts';
import { defaultGraphDatabaseUrl, type GraphDb, prepareGraphDatabase } from './lib/graph-seed.ts';
import { percentile, postGraphql } from './lib/load.ts';
import { PostgresCpu } from './lib/postgres-cpu.ts';
import { seededRandom } from './lib/random.ts';
import { ServerProcess } from './lib/server-process.ts';

const USAGE = `Usage: npm run bench:graph -- [flags]

  --db <sqlite|postgresql|mysql>  database (default sqlite); built on first use, then reused
  --database-url <url>            where (defaults: bench/.data/graph-*.db,
                                  postgresql://postgres@127.0.0.1:5432/engram_bench_graph,
                                  mysql://root@127.0.0.1:3306/engram_bench_graph)
  --names <n>                     names of the one-entity graph (default 200000)
  --triples <n>                   triples of the one-entity graph (default 1000000)
  --entities <n>                  entities of the spread-out graph (default 1000)
  --triples-per-entity <n>        their triples each (default 1000)
  --seconds <n>                   measured seconds per scenario and way (default 8)
  --warmup <n>                    warmup seconds per scenario over GraphQL (default 2)
  --only <names>                  comma-separated scenarios to run (default all)
  --no-naive                      skip the naive baseline
  --fan-out <n>                   the server's GRAPH_MAX_FANOUT (default: Engram's, 10000)
  --cpu-prof <dir>                write a V8 CPU profile of Engram's server to <dir> (it costs CPU
                                  itself: do not report figures from such a run)
`;

interface Options {
  db: GraphDb;
  databaseUrl: string;
  sizes: GraphSizes;
  seconds: number;
  warmup: number;
  only: Set<string> | null;
  naive: boolean;
  cpuProf: string | null;
  /** GRAPH_MAX_FANOUT of the server, and of the direct calls. */
  fanOut: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      db: { type: 'string', default: 'sqlite' },
      'database-url': { type: 'string' },
      names: { type: 'string' },
      triples: { type: 'string' },
      entities: { type: 'string' },
      'triples-per-entity': { type: 'string' },
      seconds: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      only: { type: 'string' },
      'no-naive': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'fan-out': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n${USAGE}`);
    process.exit(2);
  };
  const int = (name: keyof typeof values, fallback: number, min: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) fail(`--${name} must be a whole number >= ${min}`);
    return value;
  };
  if (!['sqlite', 'postgresql', 'mysql'].includes(values.db as string))
    fail('--db must be sqlite, postgresql or mysql');
  const db = values.db as GraphDb;
  const sizes: GraphSizes = {
    names: int('names', DEFAULT_GRAPH_SIZES.names, 10),
    triples: int('triples', DEFAULT_GRAPH_SIZES.triples, 10),
    entities: int('entities', DEFAULT_GRAPH_SIZES.entities, 1),
    triplesPerEntity: int('triples-per-entity', DEFAULT_GRAPH_SIZES.triplesPerEntity, 10),
  };
  if (sizes.triples < sizes.names) fail('--triples must be at least --names (every name gets a triple)');
  return {
    db,
    databaseUrl: (values['database-url'] as string | undefined) ?? defaultGraphDatabaseUrl(db, sizes),
    sizes,
    seconds: int('seconds', 8, 1),
    warmup: int('warmup', 2, 0),
    only: values.only ? new Set((values.only as string).split(',').map((name) => name.trim())) : null,
    naive: !values['no-naive'],
    cpuProf: (values['cpu-prof'] as string | undefined) ?? null,
    fanOut: int('fan-out', 10_000, 1),
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** One measured call: its inputs, as GraphQL variables and as arguments of the direct calls. */
interface Input {
  entity: string;
  entityId: number;
  /** The start, or the path's first end. */
  a: string;
  /** The path's other end. */
  b: string;
}

interface Scenario {
  name: string;
  graph: 'one' | 'many';
  document: string;
  /** What the answer holds, for the checks and the report: nodes or path length. */
  read: (data: unknown) => { size: number | null; truncated: boolean };
  direct: (db: Db, input: Input) => Promise<unknown>;
  naive: ((db: Db, input: Input) => Promise<unknown>) | null;
}

const FIRST = 50;
const PATH_DEPTH = 6;
/** GRAPH_MAX_FANOUT for the direct calls, as the server is given (--fan-out). */
let fanOut = 10_000;

type Json = Record<string, unknown>;
const graphOf = (data: unknown) => ((data as Json).entity as Json | null)?.graph as Json;

/**
 * The floor of a graph request over GraphQL: one node's name and degree (one indexed read of the
 * stored degrees). What the other scenarios take beyond it is their traversal and their answer.
 */
function node(graph: 'one' | 'many'): Scenario {
  return {
    name: `${graph}:node`,
    graph,
    document: `query($e: String!, $a: String!) { entity(externalId: $e) { graph {
      node(name: $a) { name degree } } } }`,
    read: (data) => ({ size: graphOf(data).node ? 1 : null, truncated: false }),
    direct: (db, input) => nodeInfo(db, { entityId: input.entityId, asOf: null }, [input.a]),
    naive: null,
  };
}

function neighborhood(depth: number, graph: 'one' | 'many'): Scenario {
  return {
    name: `${graph}:neighborhood-${depth}`,
    graph,
    document: `query($e: String!, $a: String!) { entity(externalId: $e) { graph {
      neighborhood(of: $a, depth: ${depth}, first: ${FIRST}) { truncated nodes { name degree }
        triples { subject { name } predicate { name } object { name } } } } } }`,
    read: (data) => {
      const found = graphOf(data).neighborhood as { truncated: boolean; nodes: unknown[] } | null;
      return { size: found ? found.nodes.length : null, truncated: found?.truncated ?? false };
    },
    direct: (db, input) =>
      exploreNeighborhood(
        db,
        { entityId: input.entityId, asOf: null },
        [input.a],
        { direction: 'BOTH', predicates: null },
        { depth, maxNodes: FIRST, fanOut },
      ),
    naive: (db, input) => naiveNeighborhood(db, input.entityId, input.a, depth, FIRST),
  };
}

function path(graph: 'one' | 'many'): Scenario {
  return {
    name: `${graph}:path`,
    graph,
    document: `query($e: String!, $a: String!, $b: String!) { entity(externalId: $e) { graph {
      path(from: $a, to: $b, maxDepth: ${PATH_DEPTH}) { length
        triples { subject { name } predicate { name } object { name } } } } } }`,
    read: (data) => {
      const found = graphOf(data).path as { length: number } | null;
      return { size: found ? found.length : null, truncated: false };
    },
    direct: (db, input) =>
      shortestPath(
        db,
        { entityId: input.entityId, asOf: null },
        input.a,
        input.b,
        { direction: 'BOTH', predicates: null },
        { maxDepth: PATH_DEPTH, fanOut },
      ),
    naive: (db, input) => naivePathLength(db, input.entityId, input.a, input.b, PATH_DEPTH),
  };
}

function hubs(graph: 'one' | 'many'): Scenario {
  return {
    name: `${graph}:nodes-by-degree`,
    graph,
    document: `query($e: String!) { entity(externalId: $e) { graph {
      nodes(first: 10, orderBy: DEGREE) { totalCount edges { node { name degree } } } } } }`,
    read: (data) => {
      const nodes = graphOf(data).nodes as { edges: unknown[] };
      return { size: nodes.edges.length, truncated: false };
    },
    direct: async (db, input) => {
      const scope = { entityId: input.entityId, asOf: null };
      return Promise.all([
        listNodes(db, scope, { order: 'DEGREE', search: null, offset: 0, limit: 10 }),
        countNodes(db, scope, null),
      ]);
    },
    // No naive form: a list of hubs is one GROUP BY either way.
    naive: null,
  };
}

const SCENARIOS: Scenario[] = [
  node('one'),
  neighborhood(1, 'one'),
  neighborhood(2, 'one'),
  neighborhood(3, 'one'),
  path('one'),
  hubs('one'),
  neighborhood(2, 'many'),
  path('many'),
];

/** The names with current triples, per entity index (0: the one-entity graph). */
function currentNames(data: GraphData): { one: string[]; many: string[][] } {
  const one = new Set<number>();
  const many = data.entities.slice(1).map(() => new Set<number>());
  for (let i = 0; i < data.entity.length; i += 1) {
    if (data.superseded[i]) continue;
    const entity = data.entity[i] as number;
    const set = entity === 0 ? one : (many[entity - 1] as Set<number>);
    set.add(data.subject[i] as number);
    set.add(data.object[i] as number);
  }
  return { one: [...one].map(nodeName), many: many.map((set) => [...set].map(nodeName)) };
}

/** A fixed, endless list of inputs for a scenario: the same in every way it is measured. */
function inputsFor(
  scenario: Scenario,
  names: { one: string[]; many: string[][] },
  entities: { externalId: string; id: number }[],
  count: number,
): Input[] {
  const rng = seededRandom(scenario.name.length * 7919 + scenario.name.charCodeAt(scenario.name.length - 1));
  const pick = <T>(list: readonly T[]) => list[Math.floor(rng() * list.length)] as T;
  return Array.from({ length: count }, () => {
    const e = scenario.graph === 'one' ? 0 : 1 + Math.floor(rng() * names.many.length);
    const pool = e === 0 ? names.one : (names.many[e - 1] as string[]);
    const entity = entities[e] as { externalId: string; id: number };
    return { entity: entity.externalId, entityId: entity.id, a: pick(pool), b: pick(pool) };
  });
}

interface Figures {
  requests: number;
  p50: number;
  p99: number;
  /** Milliseconds of this Node process's (or Engram's) CPU per request. */
  cpuMs: number;
  /** Milliseconds of the database server's CPU per request (PostgreSQL and MariaDB). */
  dbCpuMs: number | null;
  /** What each input gave, by input index (for the agreement check). */
  sizes: Map<number, number | null>;
  truncated: number;
}

function figures(
  latencies: number[],
  cpuMicros: number,
  dbMicros: number | null,
  sizes: Map<number, number | null>,
  truncated: number,
): Figures {
  const sorted = Float64Array.from(latencies).sort();
  const n = latencies.length;
  return {
    requests: n,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    cpuMs: cpuMicros / 1000 / Math.max(n, 1),
    dbCpuMs: dbMicros === null ? null : dbMicros / 1000 / Math.max(n, 1),
    sizes,
    truncated,
  };
}

/** Runs `call` over the inputs in order, one at a time, for `seconds` (at least once). */
async function timed(
  inputs: Input[],
  seconds: number,
  call: (input: Input, index: number) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  for (let i = 0; i < inputs.length && (i === 0 || performance.now() < deadline); i += 1) {
    const started = performance.now();
    await call(inputs[i] as Input, i);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

const round = (value: number | null, digits = 2) =>
  value === null || Number.isNaN(value) ? null : Number(value.toFixed(digits));

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  fanOut = options.fanOut;
  const loadStart = loadavg()[0] ?? 0;
  log(
    `bench/graph on ${options.db}; load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  const started = performance.now();
  const data = generateGraph(options.sizes);
  const degrees = degreeSummary(data);
  log(
    `graph: ${data.entity.length.toLocaleString('en-US')} triples, one entity of ${options.sizes.names.toLocaleString('en-US')} names (max degree ${degrees.maxDegree}, median ${degrees.medianDegree}, ${degrees.hubs} names with >= 1000 triples), generated in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const prepared = await prepareGraphDatabase(
    options.db,
    options.databaseUrl,
    options.sizes,
    () => data,
    log,
  );
  const names = currentNames(data);

  const db = await openDatabase({ url: options.databaseUrl });
  const rows = await db.entity.findMany({ select: { id: true, externalId: true }, orderBy: { id: 'asc' } });
  const byExternal = new Map(rows.map((row) => [row.externalId, row.id]));
  const entities = data.entities.map((externalId) => {
    const id = byExternal.get(externalId);
    if (id === undefined) throw new Error(`entity ${externalId} missing from the database`);
    return { externalId, id };
  });

  const dbCpu = options.db === 'sqlite' ? null : PostgresCpu.detect(options.databaseUrl, options.db);
  const { server, port } = await ServerProcess.start(options.databaseUrl, {
    nodeFlags: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [],
    env: { GRAPH_MAX_FANOUT: String(options.fanOut) },
  });
  const target = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), port };
  // A socket left idle through the naive phase may be closed by the server as it is reused: each
  // scenario starts on a fresh one.
  const freshSocket = () => {
    target.agent.destroy();
    target.agent = new Agent({ keepAlive: true, maxSockets: 1 });
  };
  const results: Json[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (options.only && !options.only.has(scenario.name)) continue;
      try {
        results.push(await measure(scenario));
      } catch (error) {
        // One scenario beyond the server's limits (REQUEST_TIMEOUT) is a figure too; the rest still run.
        const message = error instanceof Error ? error.message : String(error);
        log(`  ${scenario.name} failed: ${message.slice(0, 300)}`);
        results.push({ scenario: scenario.name, error: message.slice(0, 300) });
      }
    }
  } finally {
    await server.stop().catch(() => server.kill());
    target.agent.destroy();
    await db.$disconnect();
  }

  async function measure(scenario: Scenario): Promise<Json> {
    const inputs = inputsFor(scenario, names, entities, 100_000);
    const ask = async (input: Input) => {
      const { status, text } = await postGraphql(
        target,
        JSON.stringify({
          query: scenario.document,
          variables: { e: input.entity, a: input.a, b: input.b },
        }),
      );
      const body = JSON.parse(text) as { data?: unknown; errors?: unknown };
      if (status !== 200 || body.errors || !body.data)
        throw new Error(`${scenario.name}: HTTP ${status}: ${text.slice(0, 500)}`);
      return scenario.read(body.data);
    };

    freshSocket();
    log(`${scenario.name}: warmup ${options.warmup} s`);
    await timed(inputs.slice(50_000), options.warmup, async (input) => void (await ask(input)));

    // Over GraphQL.
    const sizes = new Map<number, number | null>();
    let truncated = 0;
    let cpuBefore = await server.cpuMicros();
    let dbBefore = dbCpu?.snapshot();
    let latencies = await timed(inputs, options.seconds, async (input, i) => {
      const answer = await ask(input);
      sizes.set(i, answer.size);
      if (answer.truncated) truncated += 1;
    });
    const graphql = figures(
      latencies,
      (await server.cpuMicros()) - cpuBefore,
      dbCpu && dbBefore ? dbCpu.microsSince(dbBefore) : null,
      sizes,
      truncated,
    );
    log(`  graphql: ${graphql.requests} requests, p50 ${graphql.p50.toFixed(2)} ms`);

    // Engram's graph code in this process: the SQL's share of the above.
    cpuBefore = process.cpuUsage().user + process.cpuUsage().system;
    dbBefore = dbCpu?.snapshot();
    latencies = await timed(
      inputs,
      options.seconds,
      async (input) => void (await scenario.direct(db, input)),
    );
    const direct = figures(
      latencies,
      process.cpuUsage().user + process.cpuUsage().system - cpuBefore,
      dbCpu && dbBefore ? dbCpu.microsSince(dbBefore) : null,
      new Map(),
      0,
    );
    log(`  direct:  ${direct.requests} calls, p50 ${direct.p50.toFixed(2)} ms`);

    // The naive baseline on the same inputs.
    let naive: Figures | null = null;
    let agree = 0;
    let compared = 0;
    if (options.naive && scenario.naive) {
      const naiveSizes = new Map<number, number | null>();
      const naiveCall = scenario.naive;
      cpuBefore = process.cpuUsage().user + process.cpuUsage().system;
      dbBefore = dbCpu?.snapshot();
      latencies = await timed(inputs, options.seconds, async (input, i) => {
        const answer = (await naiveCall(db, input)) as { names?: string[]; length?: number | null };
        naiveSizes.set(i, answer.names ? answer.names.length : (answer.length ?? null));
      });
      naive = figures(
        latencies,
        process.cpuUsage().user + process.cpuUsage().system - cpuBefore,
        dbCpu && dbBefore ? dbCpu.microsSince(dbBefore) : null,
        naiveSizes,
        0,
      );
      // Untruncated neighbourhoods must hold as many names; paths must be as long.
      for (const [i, size] of naiveSizes) {
        if (!graphql.sizes.has(i)) continue;
        compared += 1;
        if (graphql.sizes.get(i) === size) agree += 1;
      }
      log(
        `  naive:   ${naive.requests} calls, p50 ${naive.p50.toFixed(2)} ms (${agree}/${compared} answers agree)`,
      );
    }
    const lengths = [...graphql.sizes.values()].filter((size): size is number => size !== null);
    return {
      scenario: scenario.name,
      graphql: summary(graphql),
      direct: summary(direct),
      naive: naive ? summary(naive) : null,
      speedup_p50: naive ? round(naive.p50 / graphql.p50, 1) : null,
      truncated_share: round(graphql.truncated / Math.max(graphql.requests, 1), 3),
      null_answers: graphql.requests - lengths.length,
      mean_answer: round(lengths.reduce((a, b) => a + b, 0) / Math.max(lengths.length, 1), 2),
      naive_agreement: naive ? `${agree}/${compared}` : null,
    };
  }

  printTable(results);
  const get = (name: string) => results.find((result) => result.scenario === name);
  const p50 = (name: string) =>
    ((get(name)?.graphql as Json | undefined)?.p50_ms as number | undefined) ?? null;
  const speedup = (name: string) => (get(name)?.speedup_p50 as number | null | undefined) ?? null;
  const goals = {
    neighborhood_2_p50_ms: p50('one:neighborhood-2'),
    neighborhood_2_goal_ms: 5,
    path_p50_ms: p50('one:path'),
    path_goal_ms: 30,
    neighborhood_2_speedup: speedup('one:neighborhood-2'),
    path_speedup: speedup('one:path'),
    speedup_goal: 5,
  };
  log(
    `goals (${options.db}; the issue sets them on PostgreSQL): 2-hop p50 ${goals.neighborhood_2_p50_ms} ms (<= 5), path p50 ${goals.path_p50_ms} ms (<= 30), naive/Engram ${goals.neighborhood_2_speedup}x and ${goals.path_speedup}x (>= 5)`,
  );
  const summaryLine = {
    bench: 'graph',
    db: options.db,
    database: prepared.label,
    seed_seconds: round(prepared.seedSeconds, 1),
    triples: data.entity.length,
    names: options.sizes.names,
    entities: data.entities.length,
    max_degree: degrees.maxDegree,
    median_degree: degrees.medianDegree,
    seconds_per_way: options.seconds,
    fan_out: options.fanOut,
    concurrency: 1,
    load_avg_start_end: [round(loadStart), round(loadavg()[0] ?? 0)],
    goals,
    scenarios: results,
  };
  process.stdout.write(`${JSON.stringify(summaryLine)}\n`);
}

function summary(f: Figures): Json {
  return {
    requests: f.requests,
    p50_ms: round(f.p50),
    p99_ms: round(f.p99),
    cpu_ms_per_request: round(f.cpuMs, 3),
    db_cpu_ms_per_request: round(f.dbCpuMs, 3),
  };
}

function printTable(results: Json[]): void {
  const pad = (value: unknown, width: number) => String(value ?? '-').padStart(width);
  const lines = [
    `${'scenario'.padEnd(24)} ${pad('way', 8)} ${pad('n', 6)} ${pad('p50 ms', 9)} ${pad('p99 ms', 9)} ${pad('cpu ms', 8)} ${pad('db cpu', 8)}`,
  ];
  for (const result of results) {
    if (result.error) {
      lines.push(`${String(result.scenario).padEnd(24)} failed: ${result.error}`);
      continue;
    }
    for (const way of ['graphql', 'direct', 'naive'] as const) {
      const f = result[way] as Json | null;
      if (!f) continue;
      lines.push(
        `${String(way === 'graphql' ? result.scenario : '').padEnd(24)} ${pad(way, 8)} ${pad(f.requests, 6)} ${pad(f.p50_ms, 9)} ${pad(f.p99_ms, 9)} ${pad(f.cpu_ms_per_request, 8)} ${pad(f.db_cpu_ms_per_request, 8)}`,
      );
    }
    lines.push(
      `${''.padEnd(24)} speedup ${result.speedup_p50 ?? '-'}x, truncated ${result.truncated_share}, null ${result.null_answers}, mean answer ${result.mean_answer}, agree ${result.naive_agreement ?? '-'}`,
    );
  }
  log(lines.join('\n'));
}

await main();
