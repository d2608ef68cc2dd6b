import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProgressInfo } from '@huggingface/transformers';
import { ThreadCallError, ThreadClient } from '../runtime/thread-client.ts';
import {
  type Embedder,
  EmbeddingError,
  type EmbeddingErrorCode,
  type EmbedPurpose,
  normalize,
} from './types.ts';

/**
 * The local embedding provider: a sentence-transformers model (all-MiniLM-L6-v2 by default) run by
 * transformers.js and onnxruntime-node in one worker thread (embedding-thread.mjs), so tokenizing and inference never block
 * the event loop that serves GraphQL. Only one worker: transformers.js 3.x crashed with two, and
 * onnxruntime already spreads one batch over the cores.
 */

/** A transformers.js loading event (`initiate`, `download`, `progress`, `progress_total`, `done`, `ready`). */
export type ModelProgressEvent = ProgressInfo;

export type LocalModelDtype = 'q8' | 'fp32';

export interface LocalEmbedderOptions {
  /**
   * Hugging Face model id; also the folder under `modelPath` the files are read from.
   * @default 'Xenova/all-MiniLM-L6-v2'
   */
  modelId?: string;
  /**
   * Folder of local models (transformers.js `env.localModelPath`): files are read from
   * `<modelPath>/<modelId>/`. Relative paths are resolved against the working directory.
   * @default './models'
   */
  modelPath?: string;
  /**
   * Where downloaded files are stored. Defaulting to `modelPath` makes a download land exactly where
   * a copied model would go, so a machine that fetched the model once starts offline afterwards.
   * @default modelPath
   */
  cacheDir?: string;
  /**
   * Which ONNX export to run: `q8` is the int8-quantized `onnx/model_quantized.onnx` (smaller, faster
   * on CPU, vectors within ~1% of fp32); `fp32` is `onnx/model.onnx`.
   * @default 'q8'
   */
  dtype?: LocalModelDtype;
  /**
   * Whether files missing locally may be downloaded from the Hugging Face Hub
   * (transformers.js `env.allowRemoteModels`). Set false on machines that must never reach out.
   * @default true
   */
  allowDownload?: boolean;
  /**
   * Most texts sent to the model at once; calls are merged and split to fill batches.
   * @default 32
   */
  batchSize?: number;
  /**
   * How long one `embed()` call may wait for its vectors (queueing included) before it fails with
   * EMBEDDING_TIMEOUT. A batch the worker does not answer within this time gets the worker restarted.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How long loading may go without any sign of progress (a download event) before it fails with
   * EMBEDDING_UNAVAILABLE. Measured between events so that a slow but moving download is not cut off.
   * @default 60000
   */
  loadTimeoutMs?: number;
  /** Receives the loading and download events, for a progress bar or log lines. */
  onProgress?: (event: ModelProgressEvent) => void;
}

export const DEFAULT_LOCAL_MODEL = 'Xenova/all-MiniLM-L6-v2';

/** The options with every default applied and paths made absolute. */
export interface ResolvedLocalOptions {
  modelId: string;
  modelPath: string;
  cacheDir: string;
  dtype: LocalModelDtype;
  allowDownload: boolean;
  batchSize: number;
  timeoutMs: number;
  loadTimeoutMs: number;
}

export function resolveLocalOptions(options: LocalEmbedderOptions = {}): ResolvedLocalOptions {
  const modelPath = resolve(options.modelPath ?? './models');
  const positive = (value: number | undefined, fallback: number, name: string) => {
    const chosen = value ?? fallback;
    if (!Number.isFinite(chosen) || chosen <= 0) throw new RangeError(`${name} must be a positive number`);
    return chosen;
  };
  return {
    modelId: options.modelId ?? DEFAULT_LOCAL_MODEL,
    modelPath,
    cacheDir: options.cacheDir ? resolve(options.cacheDir) : modelPath,
    dtype: options.dtype ?? 'q8',
    allowDownload: options.allowDownload ?? true,
    batchSize: Math.floor(positive(options.batchSize, 32, 'batchSize')),
    timeoutMs: positive(options.timeoutMs, 30_000, 'timeoutMs'),
    loadTimeoutMs: positive(options.loadTimeoutMs, 60_000, 'loadTimeoutMs'),
  };
}

/** The files transformers.js needs for a text feature-extraction model, relative to the model folder. */
export function expectedModelFiles(dtype: LocalModelDtype = 'q8'): string[] {
  return [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx',
  ];
}

/** Why loading failed, where the files were looked for, which are missing, and how to get them. */
function unavailableMessage(options: ResolvedLocalOptions, cause: string): string {
  const folders = [...new Set([options.modelPath, options.cacheDir])].map((dir) =>
    join(dir, options.modelId),
  );
  const files = expectedModelFiles(options.dtype);
  const missing = files.filter((file) => !folders.some((folder) => existsSync(join(folder, file))));
  const reason = cause.replace(/[.\s]+$/, '');
  const head = `The local embedding model ${options.modelId} (${options.dtype}) could not be loaded: ${reason}.`;
  const where = `It is read from ${folders.join(' or ')}, which must hold ${files.join(', ')}`;
  if (missing.length === 0) {
    return `${head} ${where}; all are present (if this persists, replace them with a fresh copy).`;
  }
  return [
    head,
    `${where} (missing: ${missing.join(', ')}).`,
    options.allowDownload
      ? 'Downloading them from the Hugging Face Hub did not work either.'
      : 'Downloading is disabled (allowDownload: false).',
    `To fix it, run \`engram models\` (npx tsx src/index.ts models) on a machine that reaches huggingface.co,` +
      ` or copy those files into ${folders[0]}.`,
  ].join(' ');
}

const EMBEDDING_THREAD_URL = new URL('./embedding-thread.mjs', import.meta.url);

/** The calls the embedding thread (embedding-thread.mjs) answers. */
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

class LocalEmbedder implements Embedder {
  readonly model: string;
  private readonly options: ResolvedLocalOptions;
  private readonly onProgress: ((event: ModelProgressEvent) => void) | undefined;
  /** The embedding thread; null until the first call and after a failure (tests reach it). */
  private worker: ThreadClient<EmbeddingCalls> | null = null;
  private loading: Promise<number> | null = null;
  private loadPending = false;
  private loadTimer: NodeJS.Timeout | undefined;
  private dimension: number | undefined;
  private queue: Item[] = [];
  private inFlight: Batch | null = null;

  constructor(options: LocalEmbedderOptions) {
    this.options = resolveLocalOptions(options);
    this.onProgress = options.onProgress;
    this.model = `local:${this.options.modelId}`;
  }

  load(): Promise<number> {
    try {
      this.loading ??= this.start();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return Promise.reject(
        new EmbeddingError(
          unavailableMessage(this.options, `the embedding worker did not start: ${message}`),
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
      url: EMBEDDING_THREAD_URL,
      label: 'engram-embedder',
      workerData: {
        modelId: this.options.modelId,
        modelPath: this.options.modelPath,
        cacheDir: this.options.cacheDir,
        dtype: this.options.dtype,
        allowDownload: this.options.allowDownload,
      },
      onEvent: (event) => this.onLoadProgress(event as ModelProgressEvent),
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
          unavailableMessage(this.options, error.remote.message),
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
          unavailableMessage(
            this.options,
            `nothing happened for ${this.options.loadTimeoutMs} ms while loading`,
          ),
          'EMBEDDING_UNAVAILABLE',
        ),
      );
    }, this.options.loadTimeoutMs);
  }

  private onLoadProgress(event: ModelProgressEvent): void {
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
      ? unavailableMessage(this.options, `the embedding worker stopped while loading (${reason})`)
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

/**
 * The local embedder. Nothing starts until the first `load()` or `embed()`; `load()` rejects with
 * EMBEDDING_UNAVAILABLE (naming the folder, the files and the fix) when the model cannot be loaded,
 * and a later call tries again, so copying the files in does not need a restart.
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  return new LocalEmbedder(options);
}
