import { parseArgs } from 'node:util';

/** Everything `npm run bench:read -- <flags>` can change. */
export interface BenchOptions {
  entities: number;
  factsPerEntity: number;
  triplesPerEntity: number;
  sessionsPerEntity: number;
  concurrency: number;
  seconds: number;
  warmup: number;
  fresh: boolean;
  showSql: boolean;
}

/** How many distinct predicates the seed uses; see {@link parseOptions}. */
export const MAX_TRIPLES_PER_ENTITY = 40;

const USAGE = `Usage: npm run bench:read -- [flags]

  --entities <n>             entities to seed (default 10000)
  --facts-per-entity <n>     facts per entity (default 20; the page reads 20)
  --triples-per-entity <n>   triples per entity (default 10, at most 40)
  --sessions-per-entity <n>  sessions per entity (default 8)
  --concurrency <n>          requests in flight (default 16)
  --seconds <n>              measured seconds per scenario (default 10)
  --warmup <n>               warmup seconds per scenario (default 2)
  --fresh                    rebuild the database even if a matching one exists
  --show-sql                 print the SQL statements one page request runs
`;

/** Parses argv, printing usage and exiting on --help or a bad value. */
export function parseOptions(argv: string[]): BenchOptions {
  const number = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      entities: number,
      'facts-per-entity': number,
      'triples-per-entity': number,
      'sessions-per-entity': number,
      concurrency: number,
      seconds: number,
      warmup: number,
      fresh: { type: 'boolean', default: false },
      'show-sql': { type: 'boolean', default: false },
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
  return {
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
  };
}
