/**
 * A benchmarked server child (bench/lib/server.ts for Engram, postgraphile-server.ts for the
 * peer) seen from a benchmark: started with fork, asked for its CPU time and stopped over the IPC
 * channel, one request at a time. bench/ingest.ts adds environment (BENCH_AUGMENTATION,
 * AUGMENTATION_*) and Node flags (--cpu-prof).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerReply, ServerRequest } from './server.ts';

export interface ServerStartOptions {
  /** Which child: Engram, or PostGraphile for bench/read's comparison. @default 'server' */
  script?: 'server' | 'postgraphile-server';
  /** Added to the child's environment. */
  env?: Record<string, string>;
  /** Node flags for the child, after tsx's loader (e.g. --cpu-prof, --cpu-prof-dir=...). */
  nodeFlags?: string[];
}

export class ServerProcess {
  private readonly exited: Promise<number | null>;
  private waiting: { resolve: (reply: ServerReply) => void; reject: (error: Error) => void } | null = null;
  /** Set once the child is gone, so no wait can hang on a reply that will never come. */
  private gone: Error | null = null;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('exit', (code, signal) =>
      this.fail(new Error(`server exited (code ${code}, signal ${signal})`)),
    );
    child.on('error', (error) => this.fail(error));
    child.on('message', (reply: ServerReply) => {
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.resolve(reply);
    });
  }

  /** Starts the server child on the database and resolves once it listens. */
  static async start(
    databaseUrl: string,
    options: ServerStartOptions = {},
  ): Promise<{ server: ServerProcess; port: number }> {
    // Only tsx's loader, not the execArgv of this process: tsx's CLI preflight would tie the
    // child to the CLI's own relay channel.
    const child = fork(fileURLToPath(new URL(`./${options.script ?? 'server'}.ts`, import.meta.url)), [], {
      execArgv: ['--import', import.meta.resolve('tsx'), ...(options.nodeFlags ?? [])],
      // Production mode for the libraries too (graphql-js, graphql-yoga, Grafast): their
      // development checks cost CPU. GRAPHILE_ENV overrides NODE_ENV for Grafast, so pin it too.
      env: {
        ...process.env,
        ...options.env,
        NODE_ENV: 'production',
        GRAPHILE_ENV: 'production',
        BENCH_DATABASE_URL: databaseUrl,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerProcess(child);
    const ready = await server.next();
    if (ready.type !== 'ready') throw new Error(`server said ${ready.type} before ready`);
    return { server, port: ready.port };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private fail(error: Error): void {
    this.gone ??= error;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }

  private next(): Promise<ServerReply> {
    return new Promise((resolve, reject) => {
      if (this.gone) reject(this.gone);
      else this.waiting = { resolve, reject };
    });
  }

  private ask(message: ServerRequest): Promise<ServerReply> {
    const reply = this.next();
    if (!this.gone) {
      this.child.send(message, (error) => {
        if (error) this.fail(error);
      });
    }
    return reply;
  }

  /** User + system CPU time of the server process, in microseconds. */
  async cpuMicros(): Promise<number> {
    const reply = await this.ask({ type: 'cpu' });
    if (reply.type !== 'cpu') throw new Error(`server said ${reply.type} instead of cpu`);
    return reply.usage.user + reply.usage.system;
  }

  /**
   * When the facts with these contents were published to the event bus (wall-clock ms; null when
   * not published here). Only a server started with BENCH_PUBLISH_TIMES=on notes them.
   */
  async publishedAt(contents: string[]): Promise<(number | null)[]> {
    const reply = await this.ask({ type: 'published', contents });
    if (reply.type !== 'published') throw new Error(`server said ${reply.type} instead of published`);
    return reply.times;
  }

  /** Graceful stop; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const stopped = await this.ask({ type: 'stop' });
    if (stopped.type !== 'stopped') throw new Error(`server said ${stopped.type} instead of stopped`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
