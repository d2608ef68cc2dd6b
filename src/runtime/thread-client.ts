import { Worker } from 'node:worker_threads';

/**
 * The one request/response protocol between the main thread and Engram's worker threads (the
 * search thread and the embedding thread). The thread side is `serveThread` in thread-host.mjs;
 * these are the messages both sides exchange.
 */

/** A call to the thread: `op` names a function the thread serves. */
export interface ThreadRequest {
  id: number;
  op: string;
  args: unknown[];
}

/** An error thrown in the thread, as it crosses to the main thread. */
export interface RemoteError {
  /** The error's message, with its cause's message in parentheses when it has one. */
  message: string;
  name?: string;
  stack?: string;
}

/** The thread's answer to a call, or an event it posts on its own (`event`). */
export type ThreadMessage =
  | { id: number; result: unknown }
  | { id: number; error: RemoteError }
  | { event: unknown };

/** The functions a thread serves, by name (an interface of them, such as SearchCalls). */
// biome-ignore lint/suspicious/noExplicitAny: the constraint has to accept every argument list
export type ThreadCalls<Calls> = { [K in keyof Calls]: (...args: any[]) => unknown };

/** An error thrown by the thread while it answered a call. */
export class ThreadCallError extends Error {
  constructor(
    label: string,
    readonly remote: RemoteError,
  ) {
    super(`${label}: ${remote.stack ?? remote.message}`);
    this.name = 'ThreadCallError';
  }
}

export interface ThreadClientOptions {
  /** The module the thread runs; it answers through `serveThread` (thread-host.mjs). */
  url: URL;
  /** Names the thread in errors and in diagnostics (the Worker's `name`). */
  label: string;
  /** Handed to the thread as `workerData`. @default undefined */
  workerData?: unknown;
  /** Receives what the thread posts outside any answer (progress, for instance). @default ignored */
  onEvent?: (event: unknown) => void;
  /**
   * Told when the thread ends without being stopped (a crash, an exit, `terminate()`), with why
   * ("crashed: …" or "exited with code …") and the uncaught error of a crash. It runs before the
   * calls still waiting are rejected, so it may reject them with an error of its own (`stop()`).
   * @default nothing: the waiting calls are rejected with an Error naming the label and the reason
   */
  onExit?: (reason: string, error?: Error) => void;
  /**
   * Whether an idle thread keeps the process alive. False lets a process that forgot to close
   * the client exit once no call is waiting.
   * @default true
   */
  keepAliveWhenIdle?: boolean;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * A client of one worker thread: calls with ids, the thread's errors carried back as
 * {@link ThreadCallError}, an unexpected end reported through `onExit`, `stop()` to end it on
 * purpose. A call with no thread running starts one, which is how a crashed thread is respawned.
 */
export class ThreadClient<Calls extends ThreadCalls<Calls>> {
  private thread: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;

  constructor(private readonly options: ThreadClientOptions) {}

  /** Whether a thread is running (it may still be starting). */
  get running(): boolean {
    return this.thread !== null;
  }

  /** Starts the thread when none runs. */
  spawn(): void {
    if (this.thread) return;
    const thread = new Worker(this.options.url, {
      name: this.options.label,
      workerData: this.options.workerData,
    });
    // Events of a thread that was stopped or replaced are ignored: only the current one counts.
    thread.on('message', (message: ThreadMessage) => {
      if (thread === this.thread) this.receive(message);
    });
    thread.on('error', (error) => {
      if (thread === this.thread) this.ended(`crashed: ${error.message}`, error);
    });
    thread.on('exit', (code) => {
      if (thread === this.thread) this.ended(`exited with code ${code}`);
    });
    this.thread = thread;
    this.updateRef();
  }

  /** Calls `op` in the thread (started first when none runs). */
  call<K extends keyof Calls & string>(
    op: K,
    ...args: Parameters<Calls[K]>
  ): Promise<Awaited<ReturnType<Calls[K]>>> {
    this.spawn();
    const thread = this.thread as Worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.updateRef();
      thread.postMessage({ id, op, args } satisfies ThreadRequest);
    });
  }

  /**
   * Ends the thread the way a crash would (`Worker.terminate()`): `onExit` is told and the
   * waiting calls are rejected. Resolves with the exit code.
   */
  terminate(): Promise<number> {
    return this.thread ? this.thread.terminate() : Promise.resolve(0);
  }

  /**
   * Ends the thread on purpose: every waiting call is rejected with `reason`, `onExit` is not
   * told. A later call starts a new thread.
   */
  async stop(reason: Error): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    this.rejectWaiting(reason);
    if (thread) await thread.terminate();
  }

  private receive(message: ThreadMessage): void {
    if ('event' in message) {
      this.options.onEvent?.(message.event);
      return;
    }
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    this.updateRef();
    if ('error' in message) waiter.reject(new ThreadCallError(this.options.label, message.error));
    else waiter.resolve(message.result);
  }

  private ended(reason: string, error?: Error): void {
    this.thread = null;
    this.options.onExit?.(reason, error);
    this.rejectWaiting(new Error(`${this.options.label} stopped (${reason})`));
  }

  private rejectWaiting(error: Error): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  /** An idle thread lets the process exit unless keepAliveWhenIdle; a waiting call holds it. */
  private updateRef(): void {
    if (!this.thread || this.options.keepAliveWhenIdle !== false) return;
    if (this.waiting.size > 0) this.thread.ref();
    else this.thread.unref();
  }
}
