import { RequestDeadline } from '../../providers/deadline.ts';
import { classifyProviderFailure, hostOf } from '../../providers/http-errors.ts';
import { type Embedder, EmbeddingError, type EmbedPurpose, normalize } from '../types.ts';

/**
 * What every hosted provider shares. The HTTP, the retries and the wire formats belong to the
 * libraries (the Vercel AI SDK for OpenAI, OpenAI-compatible servers and Cohere;
 * @huggingface/inference for Hugging Face); this class adds what Engram needs on top: batching
 * within provider limits, a timeout, unit-length vectors checked for count and dimension, and
 * errors that say what went wrong without ever echoing the API key. Each provider's file only
 * builds its library's client and hands over a function that sends one batch.
 */

/** What load() embeds to learn the dimension. */
const PROBE_TEXT = 'Engram embedding probe';

/** Sends one batch (already within limits) and returns the raw vectors, in order. */
export type EmbedBatch = (texts: string[], purpose: EmbedPurpose, signal: AbortSignal) => Promise<number[][]>;

export interface HostedEmbedderConfig {
  /** `openai:text-embedding-3-small`. */
  model: string;
  /** For messages: `OpenAI`, `Cohere`... */
  label: string;
  /** The URL requests go to; only its host appears in messages. */
  url: string;
  apiKey: string | undefined;
  apiKeyRequired: boolean;
  timeoutMs: number;
  batchSize: number;
  embedBatch: EmbedBatch;
  /** Applied to every text before it leaves (PII_REDACTION=providers). */
  mask?: ((text: string) => string) | undefined;
}

export class HostedEmbedder implements Embedder {
  readonly model: string;
  private dimension: number | undefined;
  private readonly host: string;
  /** Requests under way, aborted by close(). */
  private readonly inFlight = new Set<RequestDeadline>();
  private closed = false;

  constructor(private readonly config: HostedEmbedderConfig) {
    this.model = config.model;
    this.host = hostOf(config.url);
  }

  async load(): Promise<number> {
    // A new load re-learns the dimension: the endpoint may have been reconfigured since.
    this.dimension = undefined;
    await this.embed([PROBE_TEXT], 'document');
    if (this.dimension === undefined) throw new EmbeddingError(`${this.config.label} returned no vector`);
    return this.dimension;
  }

  async embed(texts: string[], purpose: EmbedPurpose): Promise<Float32Array[]> {
    if (this.closed) {
      throw new EmbeddingError(
        `${this.config.label} embeddings (${this.model}) are closed`,
        'EMBEDDING_UNAVAILABLE',
      );
    }
    if (this.config.apiKeyRequired && !this.config.apiKey) {
      throw new EmbeddingError(
        `${this.config.label} embeddings at ${this.host} need an API key and none is configured`,
        'EMBEDDING_UNAVAILABLE',
      );
    }
    const mask = this.config.mask;
    const sent = mask ? texts.map(mask) : texts;
    const vectors: Float32Array[] = [];
    // Batches go one after another: parallel calls would mostly buy rate-limit errors (429).
    for (let start = 0; start < sent.length; start += this.config.batchSize) {
      const batch = sent.slice(start, start + this.config.batchSize);
      for (const vector of await this.embedOneBatch(batch, purpose)) vectors.push(vector);
    }
    return vectors;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const deadline of this.inFlight) deadline.abort();
  }

  private async embedOneBatch(texts: string[], purpose: EmbedPurpose): Promise<Float32Array[]> {
    // One deadline per batch, aborted by its timer or by close().
    const deadline = new RequestDeadline(this.config.timeoutMs);
    this.inFlight.add(deadline);
    let raw: number[][];
    try {
      raw = await this.config.embedBatch(texts, purpose, deadline.signal);
    } catch (error) {
      throw this.describe(error, deadline.timedOut);
    } finally {
      deadline.clear();
      this.inFlight.delete(deadline);
    }
    return this.check(raw, texts.length);
  }

  /** Wrong counts, dimensions or non-numbers would corrupt the index silently: refuse them here. */
  private check(raw: number[][], expected: number): Float32Array[] {
    const where = `${this.config.label} embeddings at ${this.host} (${this.model})`;
    if (raw.length !== expected) {
      throw new EmbeddingError(`${where} returned ${raw.length} vectors for ${expected} texts`);
    }
    return raw.map((values) => {
      if (values.length === 0) throw new EmbeddingError(`${where} returned an empty vector`);
      this.dimension ??= values.length;
      if (values.length !== this.dimension) {
        throw new EmbeddingError(
          `${where} returned a ${values.length}-dimensional vector, expected ${this.dimension} (the model's dimension when it loaded)`,
        );
      }
      const vector = Float32Array.from(values);
      if (!vector.every(Number.isFinite))
        throw new EmbeddingError(`${where} returned a vector with non-numbers`);
      return normalize(vector);
    });
  }

  private describe(error: unknown, timedOut: boolean): EmbeddingError {
    const where = `${this.config.label} embeddings at ${this.host}`;
    if (this.closed) {
      return new EmbeddingError(`${where}: closed while a request was in flight`, 'EMBEDDING_UNAVAILABLE', {
        cause: error,
      });
    }
    const failure = classifyProviderFailure(error, { timedOut, secret: this.config.apiKey });
    if (failure.kind === 'timeout') {
      return new EmbeddingError(
        `${where} did not answer within ${this.config.timeoutMs} ms`,
        'EMBEDDING_TIMEOUT',
        { cause: failure.cause },
      );
    }
    if (error instanceof EmbeddingError) return error;
    const { status } = failure;
    if (failure.kind === 'refused-key') {
      // No cause: see ProviderFailure.cause.
      return new EmbeddingError(
        `${where} refused the API key (HTTP ${status}); check the configured key and its access to model ${this.model}`,
        'EMBEDDING_UNAVAILABLE',
      );
    }
    const attempts = failure.attempts === undefined ? '' : ` (after ${failure.attempts} attempts)`;
    return new EmbeddingError(
      `${where} failed${status ? ` (HTTP ${status})` : ''}: ${failure.detail}${attempts}`,
      'EMBEDDING_FAILED',
      { cause: failure.cause },
    );
  }
}
