import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * A PostgreSQL server of the test's own (initdb in a temporary folder, on a free port), so a test
 * can stop and restart it without disturbing the shared server other suites use.
 * Needs the PostgreSQL server binaries and root (to run them as the `postgres` user).
 */
export interface PrivatePostgres {
  url: string;
  /** Stops the server (fast shutdown: sessions are cut), waits, starts it again. Does not block the event loop. */
  restart(pauseMs?: number): Promise<void>;
  stop(): void;
}

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().at(-1);
  return version && existsSync(join(root, version, 'bin', 'initdb')) ? join(root, version, 'bin') : undefined;
}

/** Why a private server cannot run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!binDir()) return 'PostgreSQL server binaries are not installed';
  if (process.getuid?.() !== 0)
    return 'starting a private PostgreSQL needs root (to run it as the postgres user)';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries are not installed');
  const dir = mkdtempSync(join(tmpdir(), 'engram-pg-'));
  const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  chownSync(dir, Number(ids), Number(gid));
  const data = join(dir, 'data');
  const port = await freePort();
  const asPostgres = (command: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { stdio: 'pipe' });
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const ctl = (action: string) =>
    asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-m', 'fast', action]);
  ctl('start');
  const ctlAsync = (action: string) =>
    execFileAsync('runuser', [
      '-u',
      'postgres',
      '--',
      join(bin, 'pg_ctl'),
      ...['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-m', 'fast', action],
    ]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    restart: async (pauseMs = 500) => {
      await ctlAsync('stop');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      await ctlAsync('start');
    },
    stop: () => {
      try {
        ctl('stop');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
