import { EngramError } from '../errors.ts';

/**
 * Embedding providers turn text into vectors. Every provider implements {@link Embedder};
 * {@link EmbeddingService} (service.ts) adds the cache and the status the server reports.
 */

/** Which side of a search a text is on; some providers (Cohere) embed the two differently. */
export type EmbedPurpose = 'document' | 'query';

export interface Embedder {
  /**
   * The model id stored beside every embedding it makes, prefixed by the provider
   * (`local:Xenova/all-MiniLM-L6-v2`, `openai:text-embedding-3-small`, `cohere:embed-english-v3.0`).
   */
  readonly model: string;
  /** Loads the model or checks the endpoint; resolves with the vector dimension. */
  load(): Promise<number>;
  /** One unit-length vector per text, in order. */
  embed(texts: string[], purpose: EmbedPurpose): Promise<Float32Array[]>;
  /** Frees the model (worker thread, sockets). */
  close(): Promise<void>;
}

export type EmbeddingErrorCode = 'EMBEDDING_UNAVAILABLE' | 'EMBEDDING_FAILED' | 'EMBEDDING_TIMEOUT';

/** Why embedding failed; the message and `code` reach GraphQL clients, `cause` goes to the log. */
export class EmbeddingError extends EngramError {
  constructor(message: string, code: EmbeddingErrorCode = 'EMBEDDING_FAILED', options?: { cause?: unknown }) {
    super(code, message);
    this.name = 'EmbeddingError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Scales a vector to unit length in place (a zero vector stays zero) and returns it. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}
