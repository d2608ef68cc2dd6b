import { parseArgs } from 'node:util';

/** Everything `npm run bench:read -- <flags>` can change. */
export interface BenchOptions {
  db: 'sqlite' | 'postgresql';
  /** PostgreSQL only: the database to seed and serve (created if missing). */
  databaseUrl: string;
  /** Also measure this other server over the same database (PostgreSQL only). */
  compare: 'postgraphile' | null;
  entities: number;
  factsPerEntity: number;
  triplesPerEntity: number;
  sessionsPerEntity: number;
  concurrency: number;
  seconds: number;
  warmup: number;
  fresh: boolean;
  showSql: boolean;
  /** Write a V8 CPU profile of Engram's server child to this folder. */
  cpuProf: string | null;
  /** Who sends the requests: the admin API key, or per request an entity token of the entity read. */
  as: 'key' | 'entity-token';
}

/** Where `--db postgresql` seeds and serves unless --database-url says otherwise. */
export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/engram_bench';

/** How many distinct predicates the seed uses; see {@link parseOptions}. */
export const MAX_TRIPLES_PER_ENTITY = 40;

const USAGE = `Usage: npm run bench:read -- [flags]

  --db <sqlite|postgresql>   database to run on (default sqlite, a file under bench/.data/)
  --database-url <url>       PostgreSQL database, created if missing
                             (default ${DEFAULT_POSTGRES_URL})
  --compare postgraphile     also serve the same tables with PostGraphile v5 and measure both
                             (needs --db postgresql)
  --entities <n>             entities to seed (default 10000)
  --facts-per-entity <n>     facts per entity (default 20; the page reads 20)
  --triples-per-entity <n>   triples per entity (default 10, at most 40)
  --sessions-per-entity <n>  sessions per entity (default 8)
  --concurrency <n>          requests in flight (default 16)
  --seconds <n>              measured seconds per scenario (default 10)
  --warmup <n>               warmup seconds per scenario (default 2)
  --fresh                    rebuild the database even if a matching one exists
  --show-sql                 print the SQL statements one page request runs
  --cpu-prof <dir>           write a V8 CPU profile of Engram's server to <dir> (it costs CPU itself)
  --as <key|entity-token>    send the admin API key (default), or with each page request an entity
                             token of the entity it reads (issued up front; not with --compare)
`;

/** Parses argv, printing usage and exiting on --help or a bad value. */
export function parseOptions(argv: string[]): BenchOptions {
  const number = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      db: { type: 'string' },
      'database-url': { type: 'string' },
      compare: { type: 'string' },
      entities: number,
      'facts-per-entity': number,
      'triples-per-entity': number,
      'sessions-per-entity': number,
      concurrency: number,
      seconds: number,
      warmup: number,
      fresh: { type: 'boolean', default: false },
      'show-sql': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      as: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: keyof typeof values, fallback: number, min: number, max = 1_000_000_000): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      process.stderr.write(
        `--${name} must be an integer from ${min} to ${max}, got ${String(raw)}\n\n${USAGE}`,
      );
      process.exit(2);
    }
    return value;
  };
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${USAGE}`);
    process.exit(2);
  };
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgresql') fail(`--db must be sqlite or postgresql, got ${db}`);
  const compare = values.compare ?? null;
  if (compare !== null && compare !== 'postgraphile')
    fail(`--compare only knows postgraphile, got ${compare}`);
  if (compare !== null && db !== 'postgresql') fail('--compare postgraphile needs --db postgresql');
  const as = values.as ?? 'key';
  if (as !== 'key' && as !== 'entity-token') fail(`--as must be key or entity-token, got ${as}`);
  if (as !== 'key' && compare !== null) fail('--as entity-token cannot be combined with --compare');
  const databaseUrl = values['database-url'] ?? DEFAULT_POSTGRES_URL;
  if (values['database-url'] !== undefined && db !== 'postgresql')
    fail('--database-url needs --db postgresql');
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) fail(`--database-url must be a postgresql:// URL`);
  return {
    db: db as BenchOptions['db'],
    databaseUrl,
    compare: compare as BenchOptions['compare'],
    entities: int('entities', 10_000, 1),
    factsPerEntity: int('facts-per-entity', 20, 1),
    // Each of an entity's triples gets its own predicate, which keeps (entity, s, p, o) unique.
    triplesPerEntity: int('triples-per-entity', 10, 1, MAX_TRIPLES_PER_ENTITY),
    sessionsPerEntity: int('sessions-per-entity', 8, 1),
    concurrency: int('concurrency', 16, 1),
    seconds: int('seconds', 10, 1),
    warmup: int('warmup', 2, 0),
    fresh: values.fresh === true,
    showSql: values['show-sql'] === true,
    cpuProf: values['cpu-prof'] ?? null,
    as: as as BenchOptions['as'],
  };
}
