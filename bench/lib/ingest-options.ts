/**
 * bench:ingest's flags: their usage text, the parsed {@link IngestOptions} and their defaults.
 */
import { parseArgs } from 'node:util';
import { optionHelpers } from './cli-args.ts';

/** The PostgreSQL server `--db postgresql` creates its database on unless --database-url says otherwise. */
export const DEFAULT_POSTGRES_SERVER = 'postgresql://postgres@127.0.0.1:5432/postgres';

const USAGE = `Usage: npm run bench:ingest -- [flags]

  --db <sqlite|postgresql>    database (default sqlite); a new one per run, removed afterwards
  --database-url <url>        PostgreSQL server to create the run's database on (its database
                              part is ignored; default ${DEFAULT_POSTGRES_SERVER})
  --concurrency <n>           calls in flight in the throughput phase (default 16)
  --messages-per-call <n>     messages per recordConversation call, both phases (default 10)
  --seconds <n>               measured seconds of the throughput phase; 0 skips it (default 10)
  --warmup <n>                warmup seconds before it, then the queue is drained (default 2)
  --rate <n>                  messages per second in the lag phase (default 200)
  --lag-seconds <n>           seconds of the lag phase; 0 skips it (default 20)
  --probe-every <n>           every n-th paced call is a client-side lag probe (default 5)
  --entities <n>              entities the calls are spread over, at random (default 1000)
  --workers <n>               AUGMENTATION_CONCURRENCY of the server (default: Engram's, 2)
  --batch-size <n>            AUGMENTATION_BATCH_SIZE of the server (default: Engram's, 10)
  --poll-ms <n>               AUGMENTATION_POLL_MS of the server (default: Engram's, 250)
  --cpu-prof <dir>            write a V8 CPU profile of the server to <dir> (it costs CPU itself)
  --show-sql                  print the SQL statements of one call
  --message-index <mode>      MESSAGE_INDEX of the server: off, message or context (default:
                              Engram's, context): what indexing each message costs, without a
                              model (bench:locomo measures it with one)
  --mirror                    also mirror the knowledge graph into a Bolt test server (the
                              tests' Neo4j stand-in) and report the mirror's lag in the lag phase
  -h, --help                  print the flags
`;

/** Everything `npm run bench:ingest -- <flags>` can change; see the usage text for the defaults. */
export interface IngestOptions {
  db: 'sqlite' | 'postgresql';
  databaseUrl: string;
  concurrency: number;
  messagesPerCall: number;
  seconds: number;
  warmup: number;
  rate: number;
  lagSeconds: number;
  probeEvery: number;
  entities: number;
  workers: number | null;
  batchSize: number | null;
  pollMs: number | null;
  cpuProf: string | null;
  showSql: boolean;
  /** Also mirror the graph into the Bolt test server and report the mirror's lag. */
  mirror: boolean;
  /** MESSAGE_INDEX of the server; null keeps Engram's default. */
  messageIndex: 'off' | 'message' | 'context' | null;
}

/** Parses the flags; prints the usage and exits on -h or on a bad flag. */
export function parseIngestOptions(argv: string[]): IngestOptions {
  const number = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      db: { type: 'string' },
      'database-url': { type: 'string' },
      concurrency: number,
      'messages-per-call': number,
      seconds: number,
      warmup: number,
      rate: number,
      'lag-seconds': number,
      'probe-every': number,
      entities: number,
      workers: number,
      'batch-size': number,
      'poll-ms': number,
      'cpu-prof': { type: 'string' },
      'show-sql': { type: 'boolean', default: false },
      mirror: { type: 'boolean', default: false },
      'message-index': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const { fail, int } = optionHelpers(USAGE, values, 1_000_000_000);
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgresql') fail(`--db must be sqlite or postgresql, got ${db}`);
  const databaseUrl = values['database-url'] ?? DEFAULT_POSTGRES_SERVER;
  if (values['database-url'] !== undefined && db !== 'postgresql')
    fail('--database-url needs --db postgresql');
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) fail('--database-url must be a postgresql:// URL');
  const messageIndex = values['message-index'] ?? null;
  if (messageIndex !== null && !['off', 'message', 'context'].includes(messageIndex))
    fail(`--message-index must be off, message or context, got ${messageIndex}`);
  const optional = (name: keyof typeof values, min: number) =>
    values[name] === undefined ? null : int(name, 0, min);
  return {
    db: db as IngestOptions['db'],
    databaseUrl,
    concurrency: int('concurrency', 16, 1, 1000),
    // Engram refuses more than MAX_ITEMS_PER_CALL (500) messages per call.
    messagesPerCall: int('messages-per-call', 10, 1, 500),
    seconds: int('seconds', 10, 0),
    warmup: int('warmup', 2, 0),
    rate: int('rate', 200, 1),
    lagSeconds: int('lag-seconds', 20, 0),
    probeEvery: int('probe-every', 5, 1),
    entities: int('entities', 1000, 1),
    workers: optional('workers', 0),
    batchSize: optional('batch-size', 1),
    pollMs: optional('poll-ms', 1),
    cpuProf: values['cpu-prof'] ?? null,
    showSql: values['show-sql'] === true,
    mirror: values.mirror === true,
    messageIndex: messageIndex as IngestOptions['messageIndex'],
  };
}
