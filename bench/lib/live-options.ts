/** The flags of `npm run bench:live` (bench/live.ts). */
import { parseArgs } from 'node:util';
import { optionHelpers } from './cli-args.ts';
import { DEFAULT_POSTGRES_SERVER } from './ingest-options.ts';

const USAGE = `Usage: npm run bench:live -- [flags]

  --subscribers <n>           graphql-ws subscribers, one socket each (default 10000)
  --seconds <n>               measured seconds per scenario (default 20)
  --db <sqlite|postgresql>    database (default sqlite); a new one per run, removed afterwards
  --database-url <url>        PostgreSQL server to create it on (default ${DEFAULT_POSTGRES_SERVER})
  --processes <1|2>           Engram server processes (default 1); 2 starts both with
                              EVENT_BUS=redis, splits the subscribers half/half and writes to the first
  --redis-url <url>           REDIS_URL of the two servers (default redis://127.0.0.1:6379)
  --client-processes <n>      subscriber processes opening the sockets (default 4)
  --connect-concurrency <n>   sockets each subscriber process opens at once (default 50)
  --per-topic <n>             subscribers per entity in the "bursts" scenario (default 10)
  --burst <n>                 entities written at once in a burst (default 100)
  --gap-ms <n>                pause after each event or burst has been delivered (default 250)
  --timeout-ms <n>            longest wait for one event's deliveries (default 30000)
  --only <one-to-all|bursts>  run one scenario only (default both)
  --cpu-prof <dir>            write V8 CPU profiles of the server(s) to <dir> (profiling costs CPU
                              itself: do not report figures from such a run)
  -h, --help                  print the flags
`;

export type LiveScenario = 'one-to-all' | 'bursts';

export interface LiveOptions {
  subscribers: number;
  seconds: number;
  db: 'sqlite' | 'postgresql';
  databaseUrl: string;
  processes: 1 | 2;
  redisUrl: string;
  clientProcesses: number;
  connectConcurrency: number;
  perTopic: number;
  burst: number;
  gapMs: number;
  timeoutMs: number;
  scenarios: LiveScenario[];
  cpuProf: string | null;
}

export function parseLiveOptions(argv: string[]): LiveOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      subscribers: { type: 'string' },
      seconds: { type: 'string' },
      db: { type: 'string' },
      'database-url': { type: 'string' },
      processes: { type: 'string' },
      'redis-url': { type: 'string' },
      'client-processes': { type: 'string' },
      'connect-concurrency': { type: 'string' },
      'per-topic': { type: 'string' },
      burst: { type: 'string' },
      'gap-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const { fail, int } = optionHelpers(USAGE, values, 1_000_000);
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgresql') fail(`--db must be sqlite or postgresql, got ${db}`);
  if (values['database-url'] !== undefined && db !== 'postgresql')
    fail('--database-url needs --db postgresql');
  const databaseUrl = (values['database-url'] as string | undefined) ?? DEFAULT_POSTGRES_SERVER;
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) fail('--database-url must be a postgresql:// URL');
  const processes = int('processes', 1, 1, 2) as 1 | 2;
  const redisUrl = (values['redis-url'] as string | undefined) ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(redisUrl)) fail('--redis-url must be a redis:// URL');
  const only = values.only as string | undefined;
  if (only !== undefined && only !== 'one-to-all' && only !== 'bursts')
    fail(`--only must be one-to-all or bursts, got ${only}`);
  return {
    subscribers: int('subscribers', 10_000, 1),
    seconds: int('seconds', 20, 1),
    db: db as LiveOptions['db'],
    databaseUrl,
    processes,
    redisUrl,
    clientProcesses: int('client-processes', 4, 1, 64),
    connectConcurrency: int('connect-concurrency', 50, 1, 10_000),
    perTopic: int('per-topic', 10, 1),
    burst: int('burst', 100, 1, 10_000),
    gapMs: int('gap-ms', 250, 0),
    timeoutMs: int('timeout-ms', 30_000, 100),
    scenarios: only ? [only as LiveScenario] : ['one-to-all', 'bursts'],
    cpuProf: (values['cpu-prof'] as string | undefined) ?? null,
  };
}
