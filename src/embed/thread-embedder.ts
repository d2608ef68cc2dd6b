import { ThreadCallError, ThreadClient } from '../runtime/thread-client.ts';
import {
  type Embedder,
  EmbeddingError,
  type EmbeddingErrorCode,
  type EmbedPurpose,
  normalize,
} from './types.ts';

/**
 * An embedder whose model runs in one worker thread, so tokenizing and inference never block the
 * event loop that serves GraphQL: calls are queued, merged and split into batches, one batch in
 * the thread at a time, each call and each batch with a deadline; a thread that fails to load,
 * crashes or stops answering is dropped and the next call starts a new one. The local model
 * (local.ts) and USE-lite (use-lite.ts) differ only in the {@link EmbeddingThreadSpec}.
 */

/** Batching and deadlines of a thread-backed embedder. */
export interface ThreadEmbedderOptions {
  /** Most texts sent to the thread at once. */
  batchSize: number;
  /** Longest wait of one `embed()` call (queueing included) and of one batch. */
  timeoutMs: number;
  /** Longest time loading may go without an event from the thread. */
  loadTimeoutMs: number;
}

/** What distinguishes one thread-backed model from another. */
export interface EmbeddingThreadSpec {
  /** The id stored beside every embedding (`local:…`, `use-lite:…`). */
  model: string;
  /** The thread's module: it serves `load` (resolving with the dimension) and `embed`. */
  url: URL;
  /** Handed to the thread as `workerData`. */
  workerData: unknown;
  options: ThreadEmbedderOptions;
  /** The EMBEDDING_UNAVAILABLE message for a load that failed for `cause`: where, what, the fix. */
  unavailable(cause: string): string;
  /** Receives what the thread emits while loading (progress). */
  onProgress?: ((event: unknown) => void) | undefined;
}

/** The calls an embedding thread (embedding-thread.mjs, use-lite-thread.mjs) answers. */
interface EmbeddingCalls {
  /** Resolves with the model's dimension once loaded; progress events come before. */
  load: () => number;
  /** One batch: the vectors of every text end to end. */
  embed: (texts: string[]) => { data: Float32Array; dimension: number };
}

/** One `embed()` call waiting for its vectors. */
interface Call {
  vectors: Float32Array[];
  remaining: number;
  settled: boolean;
  resolve(vectors: Float32Array[]): void;
  reject(error: EmbeddingError): void;
  timer?: NodeJS.Timeout;
}

/** One text of a call, the unit the batches are made of. */
interface Item {
  call: Call;
  index: number;
  text: string;
}

/** The batch the thread is working on. */
interface Batch {
  items: Item[];
  timer: NodeJS.Timeout;
}

class ThreadEmbedder implements Embedder {
  readonly model: string;
  private readonly options: ThreadEmbedderOptions;
  private readonly onProgress: ((event: unknown) => void) | undefined;
  /** The embedding thread; null until the first call and after a failure (tests reach it). */
  private worker: ThreadClient<EmbeddingCalls> | null = null;
  private loading: Promise<number> | null = null;
  private loadPending = false;
  private loadTimer: NodeJS.Timeout | undefined;
  private dimension: number | undefined;
  private queue: Item[] = [];
  private inFlight: Batch | null = null;

  constructor(private readonly spec: EmbeddingThreadSpec) {
    this.options = spec.options;
    this.onProgress = spec.onProgress;
    this.model = spec.model;
  }

  load(): Promise<number> {
    try {
      this.loading ??= this.start();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return Promise.reject(
        new EmbeddingError(
          this.spec.unavailable(`the embedding worker did not start: ${message}`),
          'EMBEDDING_UNAVAILABLE',
          { cause: error },
        ),
      );
    }
    return this.loading;
  }

  embed(texts: string[], _purpose: EmbedPurpose): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<Float32Array[]>((resolve, reject) => {
      const call: Call = {
        vectors: new Array(texts.length),
        remaining: texts.length,
        settled: false,
        resolve,
        reject,
      };
      call.timer = setTimeout(() => {
        this.queue = this.queue.filter((item) => item.call !== call);
        this.settle(
          call,
          new EmbeddingError(
            `embedding ${texts.length} text(s) with ${this.model} took longer than ${this.options.timeoutMs} ms`,
            'EMBEDDING_TIMEOUT',
          ),
        );
      }, this.options.timeoutMs);
      // Longest first, so that the texts sharing a batch have similar lengths and little padding.
      const items = texts.map((text, index) => ({ call, index, text }));
      items.sort((a, b) => b.text.length - a.text.length);
      this.queue.push(...items);
      // A failed load rejects the queued calls itself; this catch only keeps it from being unhandled.
      this.load().catch(() => {});
      this.pump();
    });
  }

  async close(): Promise<void> {
    await this.fail(
      new EmbeddingError(`the local embedder (${this.model}) was closed`, 'EMBEDDING_UNAVAILABLE'),
    );
  }

  private start(): Promise<number> {
    const thread = new ThreadClient<EmbeddingCalls>({
      url: this.spec.url,
      label: 'engram-embedder',
      workerData: this.spec.workerData,
      onEvent: (event) => this.onLoadProgress(event),
      onExit: (reason) => this.onWorkerGone(`it ${reason}`),
      keepAliveWhenIdle: false,
    });
    // First, so that a thread that cannot start (it throws here) leaves nothing behind.
    const loading = thread.call('load');
    this.worker = thread;
    this.dimension = undefined;
    this.loadPending = true;
    const loaded = loading.then(
      (dimension) => {
        clearTimeout(this.loadTimer);
        this.loadPending = false;
        this.dimension = dimension;
        this.pump();
        return dimension;
      },
      (error: unknown) => {
        // An error thrown while loading (missing files, no network); any other rejection is the
        // EmbeddingError that fail() rejected the waiting calls with.
        if (!(error instanceof ThreadCallError)) throw error;
        const failure = new EmbeddingError(
          this.spec.unavailable(error.remote.message),
          'EMBEDDING_UNAVAILABLE',
        );
        void this.fail(failure);
        throw failure;
      },
    );
    this.armLoadTimer();
    return loaded;
  }

  /** Restarted by every progress event: only a load that stops moving is given up. */
  private armLoadTimer(): void {
    clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(() => {
      void this.fail(
        new EmbeddingError(
          this.spec.unavailable(`nothing happened for ${this.options.loadTimeoutMs} ms while loading`),
          'EMBEDDING_UNAVAILABLE',
        ),
      );
    }, this.options.loadTimeoutMs);
  }

  private onLoadProgress(event: unknown): void {
    if (this.loadPending) this.armLoadTimer();
    try {
      this.onProgress?.(event);
    } catch {
      // A broken progress display must not break loading.
    }
  }

  private deliver(items: Item[], data: Float32Array, dimension: number): void {
    items.forEach((item, position) => {
      if (item.call.settled) return;
      const vector = normalize(data.slice(position * dimension, (position + 1) * dimension));
      // A NaN would be stored and indexed silently (USearch accepts it), so it stops here.
      if (vector.length !== dimension || !vector.every(Number.isFinite)) {
        this.settle(item.call, new EmbeddingError(`${this.model} produced a non-finite vector`));
        return;
      }
      item.call.vectors[item.index] = vector;
      if (--item.call.remaining === 0) this.settle(item.call);
    });
    this.finishBatch();
  }

  private finishBatch(): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = null;
    this.pump();
  }

  /** Sends the next batch when the thread is ready and idle; one at a time keeps batches full. */
  private pump(): void {
    const thread = this.worker;
    if (!thread || this.dimension === undefined || this.inFlight || this.queue.length === 0) return;
    const items = this.queue.splice(0, this.options.batchSize);
    const timer = setTimeout(() => {
      void this.fail(
        new EmbeddingError(
          `the embedding worker did not answer within ${this.options.timeoutMs} ms; it will be restarted`,
          'EMBEDDING_TIMEOUT',
        ),
      );
    }, this.options.timeoutMs);
    const batch: Batch = { items, timer };
    this.inFlight = batch;
    thread
      .call(
        'embed',
        items.map((item) => item.text),
      )
      .then(
        ({ data, dimension }) => {
          if (batch === this.inFlight) this.deliver(items, data, dimension);
        },
        (error: unknown) => {
          // A batch that fail() has already settled is not settled again.
          if (batch !== this.inFlight) return;
          const message = error instanceof ThreadCallError ? error.remote.message : String(error);
          for (const item of items) {
            this.settle(item.call, new EmbeddingError(`${this.model} failed to embed: ${message}`));
          }
          this.finishBatch();
        },
      );
  }

  private onWorkerGone(reason: string): void {
    const code: EmbeddingErrorCode = this.loadPending ? 'EMBEDDING_UNAVAILABLE' : 'EMBEDDING_FAILED';
    const message = this.loadPending
      ? this.spec.unavailable(`the embedding worker stopped while loading (${reason})`)
      : `the embedding worker for ${this.model} stopped (${reason}); it restarts on the next call`;
    void this.fail(new EmbeddingError(message, code));
  }

  /** Drops the thread and rejects everything waiting; the next call starts a new thread. */
  private async fail(error: EmbeddingError): Promise<void> {
    const thread = this.worker;
    this.worker = null;
    this.loading = null;
    this.loadPending = false;
    this.dimension = undefined;
    clearTimeout(this.loadTimer);
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      for (const item of this.inFlight.items) this.settle(item.call, error);
      this.inFlight = null;
    }
    for (const item of this.queue) this.settle(item.call, error);
    this.queue = [];
    // A thread that failed to load or stopped answering is of no further use; stopping it
    // rejects the load still waiting with `error`.
    if (thread) await thread.stop(error);
  }

  private settle(call: Call, error?: EmbeddingError): void {
    if (call.settled) return;
    call.settled = true;
    clearTimeout(call.timer);
    if (error) call.reject(error);
    else call.resolve(call.vectors);
  }
}

/** A thread-backed embedder; nothing starts until the first `load()` or `embed()`. */
export function createThreadEmbedder(spec: EmbeddingThreadSpec): Embedder {
  return new ThreadEmbedder(spec);
}
