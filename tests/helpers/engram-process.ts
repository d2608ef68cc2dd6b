import { type ChildProcess, spawn } from 'node:child_process';

export type EngramProcess = ReturnType<typeof spawnEngram>;

/** Every child spawned by this test file, so a failed run can clean up after itself. */
const spawned: { child: ChildProcess; exited: Promise<number | null> }[] = [];

/**
 * Runs `src/index.ts` as `npm start` does, as a real process, so that signals, exit codes and
 * kill -9 are the genuine article. Only PATH and HOME are inherited: the test's environment
 * (DATABASE_URL and the like) must not leak into the server's configuration.
 */
/** The environment of a CLI command run on this database in a test: quiet, no model, no index. */
export const cliEnv = (databaseUrl: string): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: 'silent',
  EMBEDDING_PROVIDER: 'none',
  VECTOR_INDEX: 'off',
  VECTOR_DIMENSIONS: '4',
});

export function spawnEngram(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  let closed = false;
  let signal: NodeJS.Signals | null = null;
  // 'close', not 'exit': 'exit' can come before the last output is read, and tests read it next.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code, killedBy) => {
      closed = true;
      signal = killedBy;
      resolve(code);
    }),
  );
  spawned.push({ child, exited });
  let port: Promise<string> | undefined;
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    /**
     * How the process ended, for a failure message: its exit code or the signal that killed it,
     * and the end of what it printed.
     */
    ending: () =>
      `exit code ${child.exitCode}, signal ${signal}; stderr: ${stderr.slice(-3000) || '(empty)'}; ` +
      `stdout ends: ${stdout.slice(-2000) || '(empty)'}`,
    /**
     * The port the server logged it listens on (it is started with PORT=0). Rejects with stderr
     * when the process dies first, so a server that cannot start fails the test with its reason.
     */
    port: () =>
      (port ??= new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const found = stdout.match(/"port":(\d+)/)?.[1];
          if (found) {
            clearInterval(timer);
            resolve(found);
          } else if (closed) {
            clearInterval(timer);
            reject(new Error(`server exited: ${stderr}`));
          }
        }, 25);
      })),
  };
}

/**
 * For afterAll: a failed test must not leave a server behind. Waits for the kills to land so
 * that dropping the test database next does not meet a live connection.
 */
export async function killSpawned(): Promise<void> {
  const running = spawned.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  for (const { child } of running) child.kill('SIGKILL');
  await Promise.all(running.map(({ exited }) => exited));
}

/** Polls, because the processes report progress only through their output and files. */
export async function waitFor(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
