import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of a PostgreSQL server running on this machine, read from /proc: the sum of user +
 * system time of every process named `postgres` (the postmaster, its background workers and the
 * backends serving the benchmarked server's connections). Phases start and end with the servers
 * idle, so the difference across a phase is the database work those requests caused (plus a
 * little background noise from, say, the checkpointer). Other clusters on the same machine would
 * be counted too.
 */
export type CpuSnapshot = Map<number, number>;

/** Linux reports times in /proc/<pid>/stat in USER_HZ ticks, 100 per second on every common arch. */
const MICROS_PER_TICK = 10_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', '']);

function readTicks(names: ReadonlySet<string>): CpuSnapshot {
  const ticks: CpuSnapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    // "pid (comm) state ppid ..." where comm may itself contain spaces or parentheses.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    if (!names.has(comm)) continue;
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after "pid (comm)".
    ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

/** The process names of each database server (bench/graph also measures MariaDB's). */
const SERVER_PROCESSES = {
  postgresql: new Set(['postgres', 'postmaster']),
  mysql: new Set(['mariadbd', 'mysqld']),
} as const;

export class PostgresCpu {
  private constructor(private readonly names: ReadonlySet<string>) {}

  /**
   * A meter when the database URL points at this machine and its processes can be read, else null.
   * `server` picks the processes counted. @default 'postgresql'
   */
  static detect(
    databaseUrl: string,
    server: keyof typeof SERVER_PROCESSES = 'postgresql',
  ): PostgresCpu | null {
    const names = SERVER_PROCESSES[server];
    if (process.platform !== 'linux') return null;
    const host = new URL(databaseUrl).hostname;
    if (!LOCAL_HOSTS.has(host)) return null;
    try {
      return readTicks(names).size > 0 ? new PostgresCpu(names) : null;
    } catch {
      return null;
    }
  }

  snapshot(): CpuSnapshot {
    return readTicks(this.names);
  }

  /**
   * Microseconds of database CPU since `before`. Backends that started meanwhile count from zero;
   * one that exited meanwhile is lost (pooled connections stay open while under load).
   */
  microsSince(before: CpuSnapshot): number {
    let ticks = 0;
    for (const [pid, now] of readTicks(this.names)) ticks += now - (before.get(pid) ?? 0);
    return ticks * MICROS_PER_TICK;
  }
}
