import { InferenceClientProviderApiError } from '@huggingface/inference';
import { APICallError, RetryError } from 'ai';
import { isRetryableStatus, retryAfterMs } from './retry.ts';

/**
 * What a failed provider request means, for the LLM extractor and the hosted embedding providers
 * alike: one place decides what a message may say (never the API key, never a refused key's
 * response), what counts as a timeout, a refused key or a rate limit, and what is worth another
 * try. Each caller turns the {@link ProviderFailure} into its own error class and wording.
 */

/** Provider messages can quote whole requests or responses; an error message should not. */
export const MAX_DETAIL_LENGTH = 300;

export type ProviderFailureKind =
  /** The caller's own deadline ran out. */
  | 'timeout'
  /** HTTP 401 or 403: the key is wrong or may not use the model. */
  | 'refused-key'
  /** HTTP 429. */
  | 'rate-limited'
  /** Anything else: another status, a dropped connection, an unexpected error. */
  | 'failed';

export interface ProviderFailure {
  kind: ProviderFailureKind;
  /** The HTTP status of the last attempt, when there was a response. */
  status: number | undefined;
  /**
   * Whether trying again later can succeed: timeouts, 408/409/429/5xx, dropped connections and
   * unknown failures; not a refused key or another 4xx.
   */
  retryable: boolean;
  /** For rate limits, how long the provider asked to wait (`retry-after(-ms)`). */
  retryAfterMs: number | undefined;
  /** How many attempts the library made, when it retried. */
  attempts: number | undefined;
  /** The host the failed request went to, when the library's error says. */
  host: string | undefined;
  /**
   * What went wrong, in the provider's or the library's words with the key removed, at most
   * {@link MAX_DETAIL_LENGTH} characters. Empty for timeouts and refused keys.
   */
  detail: string;
  /**
   * The library's error, to keep as `cause` for the log. Undefined for a refused key: providers
   * (OpenAI) quote part of the key in that response, and loggers print causes.
   */
  cause: unknown;
}

/**
 * Classifies what a provider request threw. `timedOut` is the caller's own deadline
 * (`RequestDeadline.timedOut`, deadline.ts); `secret` is the API key, removed from every detail.
 */
export function classifyProviderFailure(
  error: unknown,
  { timedOut, secret }: { timedOut: boolean; secret: string | undefined },
): ProviderFailure {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  const failure: ProviderFailure = {
    kind: 'failed',
    status: statusOf(last),
    retryable: true,
    retryAfterMs: undefined,
    attempts: RetryError.isInstance(error) ? error.errors.length : undefined,
    host: APICallError.isInstance(last) ? hostOf(last.url) : undefined,
    detail: '',
    cause: error,
  };
  if (timedOut) return { ...failure, kind: 'timeout' };
  const status = failure.status;
  if (status === 401 || status === 403) {
    // Neither the provider's message nor the error itself.
    return { ...failure, kind: 'refused-key', retryable: false, cause: undefined };
  }
  const detail = redactSecret(detailOf(last), secret);
  if (status === 429) {
    const headers = APICallError.isInstance(last) ? last.responseHeaders : undefined;
    return { ...failure, kind: 'rate-limited', detail, retryAfterMs: retryAfterMs(headers) };
  }
  return { ...failure, detail, retryable: isTransientFailure(last, true) };
}

/**
 * Whether a request that failed this way is worth repeating at once: 408/409/429/5xx or a dropped
 * connection. `otherwise` is the answer for errors that are none of those: false for a retry now
 * (a malformed answer would come back the same), true for "may succeed later" (a job queue).
 */
export function isTransientFailure(error: unknown, otherwise = false): boolean {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  // The AI SDK decides for its own errors (the same statuses; true for a failed connection).
  if (APICallError.isInstance(last)) return last.isRetryable;
  const status = statusOf(last);
  if (status !== undefined) return isRetryableStatus(status);
  // fetch() rejects with a TypeError when the connection fails.
  if (last instanceof TypeError) return true;
  return otherwise;
}

/**
 * `text` without `secret` (when it is long enough to be a key rather than a common substring),
 * cut to {@link MAX_DETAIL_LENGTH} characters.
 */
export function redactSecret(text: string, secret: string | undefined): string {
  const redacted = secret && secret.length >= 4 ? text.split(secret).join('[redacted]') : text;
  return redacted.length > MAX_DETAIL_LENGTH ? `${redacted.slice(0, MAX_DETAIL_LENGTH)}...` : redacted;
}

/** The host of `url` (a message names where, not the full URL with its path and query); `url` if unparseable. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The HTTP status behind an error from the AI SDK or @huggingface/inference. */
function statusOf(error: unknown): number | undefined {
  if (APICallError.isInstance(error)) return error.statusCode;
  if (error instanceof InferenceClientProviderApiError) return error.httpResponse.status;
  return undefined;
}

function detailOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // fetch() says only "fetch failed"; the reason (ECONNREFUSED, a DNS failure) is in its cause.
  const reason = error instanceof TypeError && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${message}${reason}`;
}
