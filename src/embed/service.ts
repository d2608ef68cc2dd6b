import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { type Embedder, EmbeddingError, type EmbedPurpose } from './types.ts';

/**
 * The one place the server embeds text: it owns the configured {@link Embedder}, loads it in the
 * background so the server starts at once, reports its state to health checks and GraphQL, and
 * caches vectors so identical text is never embedded twice (recall embeds the same queries over
 * and over; ingestion re-mentions the same facts).
 */

export type EmbeddingState = 'disabled' | 'loading' | 'ready' | 'unavailable';

export interface EmbeddingStatus {
  /**
   * `disabled`: no provider configured; `loading`: not loaded yet (a load starts with `start()` or
   * the first `embed()`); `ready`; `unavailable`: the load (or a later call) failed, see `error`.
   */
  state: EmbeddingState;
  /** The model id stored with every embedding, e.g. `openai:text-embedding-3-small`. */
  model: string | null;
  /** Known once the model has loaded. */
  dimension: number | null;
  /** Why the model is unavailable; safe to show (never contains keys). */
  error: string | null;
}

export interface EmbeddingCacheStats {
  /** Texts answered from the cache or by joining an identical request already in flight. */
  hits: number;
  /** Texts sent to the embedder. */
  misses: number;
  /** Vectors in the cache now. */
  size: number;
}

/** The subset of a pino logger the service uses. */
export interface EmbeddingLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EmbeddingServiceOptions {
  /** The configured provider; `null` turns embeddings off (state `disabled`). */
  embedder: Embedder | null;
  /** Where load progress and failures go. @default a logger that drops everything */
  logger?: EmbeddingLogger;
  /**
   * Vectors kept, least recently used evicted first; 0 turns the cache off (identical requests in
   * flight are still shared).
   * @default 10000
   */
  cacheSize?: number;
  /**
   * How long `embed()` waits for a load in progress before failing with EMBEDDING_UNAVAILABLE.
   * @default 30000
   */
  loadWaitMs?: number;
  /**
   * After a failed load, how long until an `embed()` tries loading again (a hosted API may have
   * been down for a moment); calls before then fail at once with the load's error.
   * @default 30000
   */
  retryLoadAfterMs?: number;
}

const silentLogger: EmbeddingLogger = { info() {}, warn() {}, error() {} };
const PURPOSES: readonly EmbedPurpose[] = ['document', 'query'];
/** Longer texts are keyed by their hash so that the cache does not hold every long text twice. */
const MAX_PLAIN_KEY_LENGTH = 128;

interface Pending {
  key: string;
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

export class EmbeddingService {
  private readonly embedder: Embedder | null;
  private readonly logger: EmbeddingLogger;
  private readonly loadWaitMs: number;
  private readonly retryLoadAfterMs: number;
  private readonly cache: LRUCache<string, Float32Array> | null;
  /** Requests under way, by cache key: a second caller joins instead of asking again. */
  private readonly inFlight = new Map<string, Promise<Float32Array>>();
  /** Keys forgotten while their request was under way: its answer is not cached. */
  private readonly forgotten = new Set<string>();
  private state: EmbeddingState;
  private dimension: number | null = null;
  private error: string | null = null;
  private loading: Promise<void> | null = null;
  private failedAt = 0;
  private closed = false;
  private hits = 0;
  private misses = 0;

  constructor(options: EmbeddingServiceOptions) {
    this.embedder = options.embedder;
    this.logger = options.logger ?? silentLogger;
    this.loadWaitMs = options.loadWaitMs ?? 30_000;
    this.retryLoadAfterMs = options.retryLoadAfterMs ?? 30_000;
    const cacheSize = options.cacheSize ?? 10_000;
    this.cache = cacheSize > 0 ? new LRUCache({ max: cacheSize }) : null;
    this.state = this.embedder ? 'loading' : 'disabled';
  }

  status(): EmbeddingStatus {
    return {
      state: this.state,
      model: this.embedder?.model ?? null,
      dimension: this.dimension,
      error: this.error,
    };
  }

  cacheStats(): EmbeddingCacheStats {
    return { hits: this.hits, misses: this.misses, size: this.cache?.size ?? 0 };
  }

  /** Begins loading the model in the background; never throws (failures land in `status()`). */
  start(): void {
    const embedder = this.embedder;
    if (!embedder || this.closed || this.loading || this.state === 'ready') return;
    this.state = 'loading';
    this.error = null;
    const startedAt = Date.now();
    this.logger.info({ model: embedder.model }, 'loading embedding model');
    let load: Promise<number>;
    try {
      load = embedder.load();
    } catch (error) {
      // A synchronous throw from load() must not escape start().
      load = Promise.reject(error);
    }
    this.loading = load
      .then(
        (dimension) => {
          if (this.closed) return;
          this.dimension = dimension;
          this.state = 'ready';
          this.logger.info(
            { model: embedder.model, dimension, ms: Date.now() - startedAt },
            'embedding model ready',
          );
        },
        (error: unknown) => {
          if (this.closed) return;
          this.markUnavailable(error);
          this.logger.error(
            { model: embedder.model, err: error, retryInMs: this.retryLoadAfterMs },
            'embedding model unavailable',
          );
        },
      )
      .finally(() => {
        this.loading = null;
      });
  }

  /**
   * One unit-length vector per text, in order, from the cache where possible. Throws
   * EmbeddingError: EMBEDDING_UNAVAILABLE when there is no model (yet), or the provider's
   * EMBEDDING_FAILED / EMBEDDING_TIMEOUT. The arrays returned are the caller's to keep or modify.
   */
  async embed(texts: string[], purpose: EmbedPurpose): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const embedder = await this.ready();
    const results: Promise<Float32Array>[] = [];
    const missing: string[] = [];
    const pending: Pending[] = [];
    for (const text of texts) {
      const key = this.keyOf(embedder.model, purpose, text);
      const cached = this.cache?.get(key);
      const shared = cached ? undefined : this.inFlight.get(key);
      if (cached || shared) {
        this.hits++;
        results.push(cached ? Promise.resolve(cached) : (shared as Promise<Float32Array>));
        continue;
      }
      this.misses++;
      // Promise.withResolvers would do, but arrived only in Node 22.
      let settle: Omit<Pending, 'key'> | undefined;
      const promise = new Promise<Float32Array>((resolve, reject) => {
        settle = { resolve, reject };
      });
      this.inFlight.set(key, promise);
      results.push(promise);
      missing.push(text);
      pending.push({ key, ...(settle as Omit<Pending, 'key'>) });
    }
    if (missing.length > 0) void this.fetch(embedder, missing, purpose, pending);
    const vectors = await Promise.all(results);
    // Copies: the cached arrays must not change under the next caller.
    return vectors.map((vector) => vector.slice());
  }

  /**
   * Drops the vectors of these texts (for every purpose) from the cache, and keeps the answers of
   * requests for them still under way out of it: an entity was erased, and its texts must not
   * stay in memory as cache keys.
   */
  forget(texts: readonly string[]): void {
    const model = this.embedder?.model;
    if (!model) return;
    for (const text of texts) {
      for (const purpose of PURPOSES) {
        const key = this.keyOf(model, purpose, text);
        this.cache?.delete(key);
        if (this.inFlight.has(key)) this.forgotten.add(key);
      }
    }
  }

  /** Closes the embedder; later calls fail with EMBEDDING_UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state = 'unavailable';
    this.error = 'the embedding service is closed';
    this.cache?.clear();
    await this.embedder?.close();
  }

  /** The embedder once it is ready, waiting (up to `loadWaitMs`) for a load in progress. */
  private async ready(): Promise<Embedder> {
    const embedder = this.embedder;
    if (!embedder) {
      throw new EmbeddingError(
        'no embedding provider is configured, so text cannot be embedded (semantic search is off)',
        'EMBEDDING_UNAVAILABLE',
      );
    }
    if (this.closed) throw new EmbeddingError('the embedding service is closed', 'EMBEDDING_UNAVAILABLE');
    if (this.state === 'ready') return embedder;
    const retryDue = this.state === 'unavailable' && Date.now() - this.failedAt >= this.retryLoadAfterMs;
    if (this.state === 'loading' || retryDue) this.start();
    if (this.loading) await this.waitFor(this.loading);
    // Re-read: the load settled (or the wait ran out) while we awaited.
    const state = this.state as EmbeddingState;
    if (state === 'ready') return embedder;
    if (state === 'loading') {
      throw new EmbeddingError(
        `the embedding model ${embedder.model} is still loading (waited ${this.loadWaitMs} ms); try again shortly`,
        'EMBEDDING_UNAVAILABLE',
      );
    }
    throw new EmbeddingError(
      `the embedding model ${embedder.model} is unavailable: ${this.error ?? 'unknown error'}`,
      'EMBEDDING_UNAVAILABLE',
    );
  }

  private async waitFor(loading: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.loadWaitMs);
    });
    try {
      await Promise.race([loading, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetch(embedder: Embedder, texts: string[], purpose: EmbedPurpose, pending: Pending[]) {
    try {
      const vectors = await embedder.embed(texts, purpose);
      if (vectors.length !== texts.length) {
        throw new EmbeddingError(
          `${embedder.model} returned ${vectors.length} vectors for ${texts.length} texts`,
        );
      }
      for (const vector of vectors) {
        if (vector.length !== this.dimension) {
          throw new EmbeddingError(
            `${embedder.model} returned a ${vector.length}-dimensional vector, expected ${this.dimension}`,
          );
        }
      }
      pending.forEach(({ key, resolve }, i) => {
        const vector = vectors[i] as Float32Array;
        if (!this.forgotten.has(key)) this.cache?.set(key, vector);
        resolve(vector);
      });
    } catch (caught) {
      const error =
        caught instanceof EmbeddingError
          ? caught
          : new EmbeddingError(
              `embedding with ${embedder.model} failed: ${String(caught)}`,
              'EMBEDDING_FAILED',
              {
                cause: caught,
              },
            );
      // A refused key or a closed embedder will not get better on its own: say so in status().
      if (error.code === 'EMBEDDING_UNAVAILABLE' && !this.closed) {
        this.markUnavailable(error);
        this.logger.error({ model: embedder.model, err: error }, 'embedding model became unavailable');
      }
      for (const { reject } of pending) reject(error);
    } finally {
      for (const { key } of pending) {
        this.inFlight.delete(key);
        this.forgotten.delete(key);
      }
    }
  }

  private markUnavailable(error: unknown): void {
    this.state = 'unavailable';
    this.error = error instanceof Error ? error.message : String(error);
    this.failedAt = Date.now();
  }

  private keyOf(model: string, purpose: EmbedPurpose, text: string): string {
    const body =
      text.length > MAX_PLAIN_KEY_LENGTH
        ? `#${createHash('sha256').update(text).digest('base64')}`
        : `=${text}`;
    return `${model}\u0000${purpose}\u0000${body}`;
  }
}
