/**
 * When to try a failed provider request again. The AI SDK retries OpenAI, Cohere and the LLM
 * providers itself; Hugging Face's library does not, and retries through these with the same
 * numbers, so that every provider backs off alike.
 */

/** The first wait, doubled on every retry (2 s, 4 s, 8 s...): the AI SDK's backoff. */
export const INITIAL_RETRY_DELAY_MS = 2_000;
/** A server's `retry-after` longer than this is not waited for; the backoff applies (as in the AI SDK). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Statuses worth another try: timeout, conflict, rate limit and every 5xx (the AI SDK's set). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * How long the server asked to wait, in milliseconds: `retry-after-ms`, else `retry-after` in
 * seconds or as an HTTP date (a date already past is 0). Undefined when neither header holds a
 * usable value. Not capped: {@link retryDelayMs} decides what to wait for.
 */
export function retryAfterMs(
  headers: Headers | Readonly<Record<string, string | undefined>> | undefined,
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]) ?? undefined;
  const ms = Number.parseFloat(get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const retryAfter = get('retry-after');
  if (!retryAfter) return undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The wait before retry number `attempt + 1`: the server's `retry-after` when sensible, else backoff. */
export function retryDelayMs(attempt: number, serverDelayMs: number | undefined): number {
  if (serverDelayMs !== undefined && serverDelayMs < MAX_RETRY_AFTER_MS) return serverDelayMs;
  return INITIAL_RETRY_DELAY_MS * 2 ** attempt;
}
