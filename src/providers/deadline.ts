/**
 * The timeout of one provider request. A timer aborts the request's signal with a `TimeoutError`
 * and remembers that it did, so that the caller can tell its own timeout (the provider did not
 * answer in time: worth another try) from any other abort (shutdown, a cancelled job).
 *
 * One controller per request, which the caller aborts itself for other reasons, rather than
 * `AbortSignal.any()` with a long-lived signal: Node has leaked the combined signals then
 * (nodejs/node#55351).
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private expired = false;

  /** Starts the clock: the signal aborts `timeoutMs` from now unless {@link clear} stops it first. */
  constructor(readonly timeoutMs: number) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
  }

  /** What the request listens to. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the timer, and not {@link abort}, aborted the request. */
  get timedOut(): boolean {
    return this.expired;
  }

  /** Aborts the request for another reason than the timeout (the caller gave up, a shutdown). */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** Stops the clock; call it however the request ended. */
  clear(): void {
    clearTimeout(this.timer);
  }
}
