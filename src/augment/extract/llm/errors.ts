import { EngramError } from '../../../errors.ts';
import type { TokenUsage } from '../../types.ts';

export type ExtractionErrorCode =
  | 'LLM_UNAUTHORIZED'
  | 'LLM_TIMEOUT'
  | 'LLM_RATE_LIMITED'
  | 'LLM_BAD_OUTPUT'
  | 'LLM_FAILED';

/**
 * Why an extraction failed. `retryable` tells a job queue whether trying the same job again later
 * can succeed (timeouts, rate limits, 5xx, network) or whether to park it (a refused key, a bad
 * request, output cut off by the token cap). The message never contains the API key; `cause` holds
 * the library's error for the log (except for refused keys, whose provider messages quote the key).
 */
export class ExtractionError extends EngramError {
  declare readonly code: ExtractionErrorCode;
  readonly retryable: boolean;
  /** The HTTP status of the last attempt, when there was a response. */
  readonly status: number | undefined;
  /** How long the provider asked to wait (`retry-after(-ms)`), for rate limits. */
  readonly retryAfterMs: number | undefined;
  /** Tokens spent on an answer that could not be used (LLM_BAD_OUTPUT), so that the job can record them. */
  readonly usage: TokenUsage | undefined;

  constructor(
    message: string,
    code: ExtractionErrorCode,
    options: {
      retryable: boolean;
      cause?: unknown;
      status?: number;
      retryAfterMs?: number;
      usage?: TokenUsage;
    },
  ) {
    super(code, message);
    this.name = 'ExtractionError';
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.usage = options.usage;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** The extractor cannot be built as configured (missing key, region, base URL...). */
export class LlmConfigError extends EngramError {
  constructor(message: string) {
    super('LLM_CONFIG_INVALID', message);
    this.name = 'LlmConfigError';
  }
}

/** Throws {@link LlmConfigError} unless `value` is an integer >= `min`; `fallback` when unset. */
export function integer(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new LlmConfigError(`${name} must be an integer >= ${min}`);
  return value;
}

/** Throws {@link LlmConfigError} with `message` unless `value` has some non-blank text; returns it trimmed. */
export function required(value: string | undefined, message: string): string {
  const trimmed = value?.trim();
  if (!trimmed) throw new LlmConfigError(message);
  return trimmed;
}
