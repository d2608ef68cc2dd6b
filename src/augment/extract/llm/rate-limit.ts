import pThrottle from 'p-throttle';

/**
 * A wait for the next request slot: `rateLimitPerMinute` requests a minute, spaced evenly (one
 * per 60/N seconds rather than N at once per minute: providers enforce per-minute limits over
 * shorter windows, so bursts get 429s even under the limit). Strict mode spaces calls from the
 * last one actually made, not from window boundaries. The wait ends early, rejecting with the
 * signal's reason, when the caller gives up.
 */
export function createRateLimit(rateLimitPerMinute: number): (signal?: AbortSignal) => Promise<void> {
  const throttle = pThrottle({ limit: 1, interval: 60_000 / rateLimitPerMinute, strict: true });
  const nextSlot = throttle(async () => {});
  return (signal) => abortable(nextSlot(), signal);
}

/** Resolves with `promise`, or rejects with the signal's reason as soon as it aborts. */
function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
