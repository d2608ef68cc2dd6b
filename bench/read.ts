/**
 * Read benchmark: how much does the "entity memory page" cost compared with a trivial query?
 *
 *   npm run bench:read -- [--db sqlite|postgresql] [--database-url <url>] [--compare postgraphile]
 *                         [--entities 10000] [--facts-per-entity 20] [--concurrency 16]
 *                         [--seconds 10] [--warmup 2] [--fresh] [--show-sql]
 *
 * Seeds a SQLite database under bench/.data/ (or, with --db postgresql, a PostgreSQL database;
 * either is reused while its sizes match), runs the real server in a child process, loads it
 * over keep-alive HTTP from this process, and prints a table followed by one JSON line (always
 * the last line of stdout). With --compare postgraphile, PostGraphile v5 serves the same tables
 * from a second child process; both are checked to answer the same pages, then measured one
 * after the other (never both under load at once).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ComparablePage,
  firstDifference,
  normalizePage,
  POSTGRAPHILE_PAGE_QUERY,
} from './lib/compare.ts';
import { issueEntityTokens, tokenAuthorization } from './lib/entity-tokens.ts';
import { type PhaseResult, percentile, postGraphql, runPhase, type Scenario } from './lib/load.ts';
import { type BenchOptions, parseOptions } from './lib/options.ts';
import { PostgresCpu } from './lib/postgres-cpu.ts';
import { entityExternalId, prepareDatabase, type TableCounts } from './lib/seed.ts';
import { preparePostgresDatabase } from './lib/seed-postgres.ts';
import { ServerProcess } from './lib/server-process.ts';
import { countStatements } from './lib/statements.ts';

const PAGE_QUERY = /* GraphQL */ `
  query Page($id: String!) {
    entity(externalId: $id) {
      id
      externalId
      createdAt
      facts(first: 20, orderBy: RECENT) {
        totalCount
        edges { node { id content category mentionCount lastMentionedAt } }
      }
      triples(first: 20, includeHistory: true) {
        totalCount
        edges { node { id subject { name } predicate { name } object { name } mentionCount } }
      }
      sessions(first: 5) {
        totalCount
        edges {
          node {
            id
            createdAt
            conversations(first: 3) {
              totalCount
              edges { node { id messages(first: 1) { totalCount } } }
            }
          }
        }
      }
    }
  }
`;

interface Connection<T = unknown> {
  totalCount: number;
  edges: { node: T }[];
}

interface PageData {
  entity: {
    externalId: string;
    facts: Connection;
    triples: Connection;
    sessions: Connection<{ conversations: Connection<{ messages: { totalCount: number } }> }>;
  } | null;
}

interface Measurement {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  cpu_us_per_req: number;
  /** CPU of the local PostgreSQL server per request (null for SQLite or a remote database). */
  db_cpu_us_per_req: number | null;
  /** Server CPU time over wall time: 1.0 is one core busy the whole window. */
  serverCores: number;
  /** The same for this process, the load generator, which competes for the same cores. */
  clientCores: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** A GraphQL response body, or a description of why it is not one. */
function parseResponse<T>(status: number, text: string): { data: T } | string {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 300)}`;
  let payload: { data?: T; errors?: unknown[] };
  try {
    payload = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 300)}`;
  }
  if (payload.errors?.length) return `errors: ${JSON.stringify(payload.errors).slice(0, 500)}`;
  if (!payload.data) return 'no data';
  return { data: payload.data };
}

/** The baseline and page scenarios for one server; `pageQuery` must answer in {@link PageData}'s shape. */
function scenarios(options: BenchOptions, pageQuery = PAGE_QUERY): [Scenario, Scenario] {
  const baseline: Scenario = {
    name: 'baseline',
    body: () => '{"query":"{ __typename }"}',
    check: (status, text) => {
      const parsed = parseResponse<{ __typename: string }>(status, text);
      if (typeof parsed === 'string') return parsed;
      return parsed.data.__typename === 'Query' ? null : `unexpected data: ${text.slice(0, 200)}`;
    },
  };

  // The seed gives every entity exactly these counts, so each page can be checked in full.
  const expected = {
    facts: options.factsPerEntity,
    triples: options.triplesPerEntity,
    sessions: options.sessionsPerEntity,
  };
  const page: Scenario = {
    name: 'page',
    body: () =>
      JSON.stringify({
        query: pageQuery,
        variables: { id: entityExternalId(1 + Math.floor(Math.random() * options.entities)) },
      }),
    check: (status, text, body) => {
      const parsed = parseResponse<PageData>(status, text);
      if (typeof parsed === 'string') return parsed;
      const id = (JSON.parse(body) as { variables: { id: string } }).variables.id;
      const entity = parsed.data.entity;
      if (!entity) return `entity ${id} is null`;
      if (entity.externalId !== id) return `asked for ${id}, got ${entity.externalId}`;
      for (const [field, first] of [
        ['facts', 20],
        ['triples', 20],
        ['sessions', 5],
      ] as const) {
        const connection = entity[field];
        const want = Math.min(first, expected[field]);
        if (connection.totalCount !== expected[field] || connection.edges.length !== want) {
          return `${id}.${field}: totalCount ${connection.totalCount}, ${connection.edges.length} edges; expected ${expected[field]} and ${want}`;
        }
      }
      for (const { node } of entity.sessions.edges) {
        const conversations = node.conversations;
        if (conversations.totalCount < 1 || conversations.edges.length < 1)
          return `${id}: a session has no conversations`;
        if (conversations.edges.some((edge) => edge.node.messages.totalCount < 1)) {
          return `${id}: a conversation has no messages`;
        }
      }
      return null;
    },
  };
  return [baseline, page];
}

async function measure(
  server: ServerProcess,
  target: { agent: Agent; port: number },
  scenario: Scenario,
  options: { concurrency: number; seconds: number; warmup: number },
  database: PostgresCpu | null = null,
): Promise<Measurement> {
  const fail = (phase: string, result: PhaseResult) =>
    new Error(
      `${scenario.name} ${phase}: ${result.failures} failed request(s); first: ${result.firstFailure}`,
    );

  // One request first, so a broken query fails with its own error rather than 16 at once.
  const body = scenario.body();
  const first = await postGraphql(target, body, scenario.authorization?.(body));
  const problem = scenario.check(first.status, first.text, body);
  if (problem) throw new Error(`${scenario.name}: ${problem}`);

  if (options.warmup > 0) {
    log(`${scenario.name}: warming up for ${options.warmup} s`);
    const warm = await runPhase(target, scenario, {
      concurrency: options.concurrency,
      durationMs: options.warmup * 1000,
    });
    if (warm.failures) throw fail('warmup', warm);
  }

  // Phases start and end with nothing in flight, so the CPU delta belongs to exactly these requests.
  log(`${scenario.name}: measuring for ${options.seconds} s at concurrency ${options.concurrency}`);
  const serverBefore = await server.cpuMicros();
  const databaseBefore = database?.snapshot();
  const clientBefore = process.cpuUsage();
  const result = await runPhase(target, scenario, {
    concurrency: options.concurrency,
    durationMs: options.seconds * 1000,
  });
  const client = process.cpuUsage(clientBefore);
  const databaseMicros = database && databaseBefore ? database.microsSince(databaseBefore) : null;
  if (result.failures) throw fail('run', result);
  const serverMicros = (await server.cpuMicros()) - serverBefore;

  const wallMicros = result.elapsedMs * 1000;
  return {
    requests: result.requests,
    rps: result.requests / (result.elapsedMs / 1000),
    p50_ms: percentile(result.latenciesMs, 0.5),
    p99_ms: percentile(result.latenciesMs, 0.99),
    cpu_us_per_req: serverMicros / result.requests,
    db_cpu_us_per_req: databaseMicros === null ? null : databaseMicros / result.requests,
    serverCores: serverMicros / wallMicros,
    clientCores: (client.user + client.system) / wallMicros,
  };
}

function printTable(rows: [string, Measurement][]): void {
  // The database column only when there is a database process to measure (not for SQLite).
  const withDb = rows.some(([, m]) => m.db_cpu_us_per_req !== null);
  const header = [
    'scenario',
    'requests',
    'req/s',
    'p50 ms',
    'p99 ms',
    'server CPU µs/req',
    ...(withDb ? ['db CPU µs/req'] : []),
    'server cores',
    'client cores',
  ];
  const lines = rows.map(([name, m]) => [
    name,
    m.requests.toLocaleString('en-US'),
    m.rps.toFixed(1),
    m.p50_ms.toFixed(2),
    m.p99_ms.toFixed(2),
    m.cpu_us_per_req.toFixed(0),
    ...(withDb ? [m.db_cpu_us_per_req === null ? '-' : m.db_cpu_us_per_req.toFixed(0)] : []),
    m.serverCores.toFixed(2),
    m.clientCores.toFixed(2),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  log('');
  log(format(header));
  log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const line of lines) log(format(line));
}

/** A migrated, seeded database of either kind. */
interface BenchDatabase {
  url: string;
  counts: TableCounts;
  seedSeconds: number | null;
}

async function openBenchDatabase(options: BenchOptions): Promise<BenchDatabase> {
  if (options.db === 'postgresql') {
    return preparePostgresDatabase({ url: options.databaseUrl, sizes: options, fresh: options.fresh, log });
  }
  return prepareDatabase({
    dataDir: fileURLToPath(new URL('./.data/', import.meta.url)),
    sizes: options,
    fresh: options.fresh,
    log,
  });
}

/** Distinct random entity numbers (all of them when there are fewer). */
function sampleEntities(entities: number, count: number): number[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(count, entities)) picked.add(1 + Math.floor(Math.random() * entities));
  return [...picked];
}

/**
 * Asks both servers for the same pages and fails unless they answer the same rows in the same
 * order with the same totals (ids and timestamps compared after decoding each server's encoding).
 */
async function checkEquivalence(
  engram: { target: { agent: Agent; port: number }; page: Scenario },
  postgraphile: { target: { agent: Agent; port: number }; page: Scenario },
  entities: number[],
): Promise<void> {
  for (const entity of entities) {
    const variables = { id: entityExternalId(entity) };
    const answers: unknown[] = [];
    for (const [name, side, query] of [
      ['Engram', engram, PAGE_QUERY],
      ['PostGraphile', postgraphile, POSTGRAPHILE_PAGE_QUERY],
    ] as const) {
      const body = JSON.stringify({ query, variables });
      const response = await postGraphql(side.target, body);
      const problem = side.page.check(response.status, response.text, body);
      if (problem) throw new Error(`equivalence check, ${name}: ${problem}`);
      answers.push(normalizePage((JSON.parse(response.text) as { data: ComparablePage }).data));
    }
    const difference = firstDifference(answers[0], answers[1]);
    if (difference) {
      throw new Error(`Engram and PostGraphile answer ${variables.id} differently at ${difference}`);
    }
  }
}

const summary = (m: Measurement) => ({
  requests: m.requests,
  rps: round(m.rps, 1),
  p50_ms: round(m.p50_ms, 2),
  p99_ms: round(m.p99_ms, 2),
  cpu_us_per_req: round(m.cpu_us_per_req, 0),
  ...(m.db_cpu_us_per_req === null ? {} : { db_cpu_us_per_req: round(m.db_cpu_us_per_req, 0) }),
});

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const database = await openBenchDatabase(options);
  const counts = Object.entries(database.counts)
    .map(([table, rows]) => `${table}=${rows.toLocaleString('en-US')}`)
    .join(' ');
  log(`rows: ${counts}`);

  const [baseline, page] = scenarios(options);

  if (options.compare === 'postgraphile') {
    const statementsPerPage = await countPageStatements(options, database, page);
    await comparePostgraphile(options, database, statementsPerPage);
    return;
  }

  // The server child, and the in-process app counting statements, inherit the secret.
  if (options.as === 'entity-token') process.env.ENTITY_TOKEN_SECRET ??= randomBytes(32).toString('hex');
  const dbCpu = options.db === 'postgresql' ? PostgresCpu.detect(database.url) : null;
  const { server, port } = await ServerProcess.start(database.url, { nodeFlags: profileFlags(options) });
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const target = { agent, port };
  log(`server listening on 127.0.0.1:${port} (child process)`);

  let b: Measurement;
  let p: Measurement;
  let statementsPerPage: number;
  try {
    if (options.as === 'entity-token') {
      const started = performance.now();
      const tokens = await issueEntityTokens(target, options.entities, options.concurrency);
      log(`issued ${tokens.size} entity tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      // Each request carries the token of the entity it reads; the baseline the first entity's.
      page.authorization = tokenAuthorization(tokens);
      const firstToken = `Bearer ${tokens.get(entityExternalId(1))}`;
      baseline.authorization = () => firstToken;
    }
    statementsPerPage = await countPageStatements(options, database, page);
    b = await measure(server, target, baseline, options, dbCpu);
    p = await measure(server, target, page, options, dbCpu);
  } catch (error) {
    agent.destroy();
    server.kill();
    throw error;
  }
  agent.destroy();
  const exitCode = await server.stop();
  if (exitCode !== 0) throw new Error(`server exited with ${exitCode} on stop`);

  printTable([
    ['baseline', b],
    ['page', p],
  ]);
  const ratioRps = p.rps / b.rps;
  const ratioCpu = p.cpu_us_per_req / b.cpu_us_per_req;
  log('');
  log(
    `page / baseline: ${ratioRps.toFixed(3)}x the throughput, ${ratioCpu.toFixed(1)}x the server CPU per request`,
  );
  if (database.seedSeconds !== null) log(`seeding took ${database.seedSeconds.toFixed(1)} s`);

  log(
    JSON.stringify({
      bench: 'read',
      db: options.db,
      as: options.as,
      entities: database.counts.entity,
      facts: database.counts.entity_fact,
      triples: database.counts.knowledge_graph,
      sessions: database.counts.session,
      concurrency: options.concurrency,
      seconds: options.seconds,
      statements_per_page: statementsPerPage,
      baseline: summary(b),
      page: summary(p),
      ratio_rps: round(ratioRps, 4),
      ratio_cpu: round(ratioCpu, 2),
    }),
  );
}

/**
 * Counts the SQL statements of five random page requests, sent as the measured ones are (with
 * their tokens under --as entity-token). Counted in this process on a separate connection, so the
 * measured server runs without query events.
 */
async function countPageStatements(
  options: BenchOptions,
  database: BenchDatabase,
  page: Scenario,
): Promise<number> {
  const statements = await countStatements(
    database.url,
    Array.from({ length: 5 }, () => page.body()),
    page.check,
    { authorization: page.authorization },
  );
  log(`SQL statements per page request: ${statements.perRequest.join(', ')} (5 random entities)`);
  if (options.showSql) for (const sql of statements.sample) log(`  ${sql}`);
  return Math.max(...statements.perRequest);
}

/** Node flags that make Engram's server child write a CPU profile on exit (--cpu-prof). */
function profileFlags(options: BenchOptions): string[] {
  if (!options.cpuProf) return [];
  const dir = resolvePath(options.cpuProf);
  mkdirSync(dir, { recursive: true });
  log(`CPU profile of Engram's server: ${dir}`);
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** How many entities both servers must answer identically before anything is measured. */
const EQUIVALENCE_SAMPLE = 20;

/**
 * Engram and PostGraphile side by side on the same PostgreSQL database: both servers run (each
 * in its own process), are checked for identical answers, then are loaded one at a time, so a
 * server under load never shares the cores with the other one's work.
 */
async function comparePostgraphile(
  options: BenchOptions,
  database: BenchDatabase,
  statementsPerPage: number,
): Promise<void> {
  const [engramBaseline, engramPage] = scenarios(options);
  const [graphileBaseline, graphilePage] = scenarios(options, POSTGRAPHILE_PAGE_QUERY);
  const started: ServerProcess[] = [];
  const agents: Agent[] = [];
  const connect = async (
    script: 'server' | 'postgraphile-server',
    name: string,
    env?: Record<string, string>,
  ) => {
    const nodeFlags = script === 'server' && !env ? profileFlags(options) : [];
    const { server, port } = await ServerProcess.start(database.url, { script, nodeFlags, env });
    started.push(server);
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    agents.push(agent);
    log(`${name} listening on 127.0.0.1:${port} (child process)`);
    return { server, target: { agent, port } };
  };

  const results: Record<'eb' | 'gb' | 'ep' | 'gp' | 'rp', Measurement> = {} as never;
  try {
    const engram = await connect('server', 'Engram');
    const graphile = await connect('postgraphile-server', 'PostGraphile');
    // The same Engram without planned reads: every field through the resolvers and Prisma.
    const resolvers = await connect('server', 'Engram with PLANNED_READS=false', { PLANNED_READS: 'false' });

    const sample = sampleEntities(options.entities, EQUIVALENCE_SAMPLE);
    await checkEquivalence(
      { target: engram.target, page: engramPage },
      { target: graphile.target, page: graphilePage },
      sample,
    );
    await checkEquivalence(
      { target: resolvers.target, page: engramPage },
      { target: graphile.target, page: graphilePage },
      sample,
    );
    log(`equivalence: all three servers answer the same pages for ${sample.length} random entities`);

    // Baselines back to back, then pages back to back, so each pair sees the same machine state.
    const dbCpu = PostgresCpu.detect(database.url);
    const run = (side: typeof engram, scenario: Scenario, name: string) =>
      measure(side.server, side.target, { ...scenario, name }, options, dbCpu);
    results.eb = await run(engram, engramBaseline, 'engram baseline');
    results.gb = await run(graphile, graphileBaseline, 'postgraphile baseline');
    results.ep = await run(engram, engramPage, 'engram page');
    results.gp = await run(graphile, graphilePage, 'postgraphile page');
    results.rp = await run(resolvers, engramPage, 'engram page with PLANNED_READS=false');
  } catch (error) {
    for (const agent of agents) agent.destroy();
    for (const server of started) server.kill();
    throw error;
  }
  for (const agent of agents) agent.destroy();
  for (const server of started) {
    const exitCode = await server.stop();
    if (exitCode !== 0) throw new Error(`a server exited with ${exitCode} on stop`);
  }

  const { eb, gb, ep, gp, rp } = results;
  printTable([
    ['engram baseline', eb],
    ['postgraphile baseline', gb],
    ['engram page', ep],
    ['postgraphile page', gp],
    ['engram page, resolvers', rp],
  ]);
  const ratioRps = ep.rps / gp.rps;
  const ratioCpu = ep.cpu_us_per_req / gp.cpu_us_per_req;
  const baselineRps = eb.rps / gb.rps;
  const baselineCpu = eb.cpu_us_per_req / gb.cpu_us_per_req;
  // Server plus database CPU: what a page costs the machine, wherever the work happens.
  const withDb = (m: Measurement) =>
    m.db_cpu_us_per_req === null ? null : m.cpu_us_per_req + m.db_cpu_us_per_req;
  const [engramTotal, graphileTotal] = [withDb(ep), withDb(gp)];
  const ratioTotal = engramTotal !== null && graphileTotal !== null ? engramTotal / graphileTotal : null;
  log('');
  log(
    `engram / postgraphile, page:     ${ratioRps.toFixed(3)}x the throughput, ${ratioCpu.toFixed(2)}x the server CPU per request`,
  );
  if (ratioTotal !== null) {
    log(
      `engram / postgraphile, page:     ${ratioTotal.toFixed(2)}x the server + database CPU per request (${engramTotal?.toFixed(0)} vs ${graphileTotal?.toFixed(0)} µs)`,
    );
  }
  log(
    `engram / postgraphile, baseline: ${baselineRps.toFixed(3)}x the throughput, ${baselineCpu.toFixed(2)}x the server CPU per request`,
  );
  log(
    `engram planned / resolvers, page: ${(ep.rps / rp.rps).toFixed(3)}x the throughput, ${(ep.cpu_us_per_req / rp.cpu_us_per_req).toFixed(2)}x the server CPU per request`,
  );
  log(
    `resolvers / postgraphile, page:  ${(rp.rps / gp.rps).toFixed(3)}x the throughput, ${(rp.cpu_us_per_req / gp.cpu_us_per_req).toFixed(2)}x the server CPU per request`,
  );
  log(
    `goal (Engram page at or above PostGraphile): ${ratioRps >= 1 ? 'met' : 'not met'} on throughput, ${ratioCpu <= 1 ? 'met' : 'not met'} on CPU per request`,
  );
  if (database.seedSeconds !== null) log(`seeding took ${database.seedSeconds.toFixed(1)} s`);

  log(
    JSON.stringify({
      bench: 'read',
      db: options.db,
      compare: 'postgraphile',
      entities: database.counts.entity,
      facts: database.counts.entity_fact,
      triples: database.counts.knowledge_graph,
      sessions: database.counts.session,
      concurrency: options.concurrency,
      seconds: options.seconds,
      statements_per_page: statementsPerPage,
      equivalent_pages_checked: EQUIVALENCE_SAMPLE,
      engram: summary(ep),
      postgraphile: summary(gp),
      engram_resolvers: summary(rp),
      ratio_rps: round(ratioRps, 4),
      ratio_cpu: round(ratioCpu, 4),
      ...(ratioTotal === null ? {} : { ratio_cpu_with_db: round(ratioTotal, 4) }),
      baseline: {
        engram: summary(eb),
        postgraphile: summary(gb),
        ratio_rps: round(baselineRps, 4),
        ratio_cpu: round(baselineCpu, 4),
      },
      seed_seconds: database.seedSeconds === null ? null : round(database.seedSeconds, 1),
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:read failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
