/** Options every hosted provider takes. */
export interface HostedEmbedderOptions {
  /** The provider's model name (`text-embedding-3-small`, `embed-english-v3.0`, an Azure deployment...). */
  model: string;
  /** The provider's API key or token; required by OpenAI and Cohere, optional elsewhere. */
  apiKey?: string;
  /** Where the API lives; each provider documents its default. */
  baseUrl?: string;
  /**
   * How long one request (one batch, retries included) may take before it fails with
   * EMBEDDING_TIMEOUT.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Retries of a request that failed with 408, 409, 429, 5xx or a dropped connection, with
   * exponential backoff that honours the server's `retry-after(-ms)` header.
   * @default 2
   */
  maxRetries?: number;
  /** Texts per request; capped at the provider's own limit. Each provider documents its default. */
  batchSize?: number;
  /**
   * Ask for shorter vectors, for models that support it (OpenAI text-embedding-3, Cohere embed-v4
   * with 256/512/1024/1536). Unset: the model's native dimension.
   */
  dimensions?: number;
  /**
   * Masks personal data in every text before it is sent (PII_REDACTION=providers); the vector is
   * the masked text's. Unset: texts are sent as given.
   */
  mask?: (text: string) => string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 2;

function integer(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}

/** The options every provider resolves alike, with the batch size capped at `providerLimit`. */
export function commonConfig(
  options: HostedEmbedderOptions,
  providerLimit: number,
  defaultBatchSize: number,
) {
  return {
    apiKey: options.apiKey || undefined,
    timeoutMs: integer(options.timeoutMs, DEFAULT_TIMEOUT_MS, 1, 'timeoutMs'),
    maxRetries: integer(options.maxRetries, DEFAULT_MAX_RETRIES, 0, 'maxRetries'),
    batchSize: Math.min(integer(options.batchSize, defaultBatchSize, 1, 'batchSize'), providerLimit),
    mask: options.mask,
  };
}
