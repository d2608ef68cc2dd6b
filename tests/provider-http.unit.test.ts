import { inspect } from 'node:util';
import { InferenceClientProviderApiError } from '@huggingface/inference';
import { APICallError, RetryError } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestDeadline } from '../src/providers/deadline.ts';
import {
  classifyProviderFailure,
  hostOf,
  isTransientFailure,
  MAX_DETAIL_LENGTH,
  redactSecret,
} from '../src/providers/http-errors.ts';
import {
  INITIAL_RETRY_DELAY_MS,
  isRetryableStatus,
  retryAfterMs,
  retryDelayMs,
} from '../src/providers/retry.ts';

// The shared provider HTTP plumbing (src/providers/): no database, no server. Run once, in the
// SQLite project, not once per database.

const KEY = 'sk-test-secret-do-not-print-1234';
const URL_ = 'https://api.example.test/v1/chat/completions?api-version=1';

function apiError(
  statusCode: number | undefined,
  extra: Partial<ConstructorParameters<typeof APICallError>[0]> = {},
) {
  return new APICallError({
    message: `the provider says: Incorrect API key provided: ${KEY}`,
    url: URL_,
    requestBodyValues: { model: 'm' },
    statusCode,
    responseBody: JSON.stringify({ error: { message: `key ${KEY} is wrong` } }),
    ...extra,
  });
}

function retried(...errors: unknown[]) {
  return new RetryError({ message: 'gave up', reason: 'maxRetriesExceeded', errors });
}

const NOT_TIMED_OUT = { timedOut: false, secret: KEY };

describe('provider HTTP errors', () => {
  describe('redactSecret', () => {
    it('replaces every occurrence of the key', () => {
      expect(redactSecret(`a ${KEY} b ${KEY}`, KEY)).toBe('a [redacted] b [redacted]');
    });

    it('leaves text alone without a key, or with one too short to be a key', () => {
      expect(redactSecret('a b c', undefined)).toBe('a b c');
      expect(redactSecret('a b c', 'b')).toBe('a b c');
    });

    it(`cuts long text to ${MAX_DETAIL_LENGTH} characters`, () => {
      const cut = redactSecret('x'.repeat(1000), KEY);
      expect(cut).toBe(`${'x'.repeat(MAX_DETAIL_LENGTH)}...`);
    });

    it('removes the key before cutting, so that a cut cannot leave part of it', () => {
      const text = `${'x'.repeat(MAX_DETAIL_LENGTH - 5)}${KEY}`;
      expect(redactSecret(text, KEY)).not.toContain(KEY.slice(0, 5));
    });
  });

  it('hostOf names the host only, not the path or query', () => {
    expect(hostOf(URL_)).toBe('api.example.test');
    expect(hostOf('not a url')).toBe('not a url');
  });

  describe('a refused key (401/403)', () => {
    for (const status of [401, 403]) {
      it(`HTTP ${status}: never the provider's words, nor the error as cause`, () => {
        const failure = classifyProviderFailure(retried(apiError(status)), NOT_TIMED_OUT);
        expect(failure.kind).toBe('refused-key');
        expect(failure.status).toBe(status);
        expect(failure.retryable).toBe(false);
        expect(failure.detail).toBe('');
        expect(failure.cause).toBeUndefined();
        // Nothing a logger could print from the failure quotes the response.
        expect(inspect(failure, { depth: 10 })).not.toContain('do-not-print');
        expect(inspect(failure, { depth: 10 })).not.toContain('Incorrect API key');
      });
    }

    it('is recognised from Hugging Face errors too', () => {
      const error = new InferenceClientProviderApiError(
        `Invalid credentials: ${KEY}`,
        { url: URL_, method: 'POST' },
        { requestId: 'r', status: 401, body: `token ${KEY}` },
      );
      const failure = classifyProviderFailure(error, NOT_TIMED_OUT);
      expect(failure.kind).toBe('refused-key');
      expect(failure.cause).toBeUndefined();
      expect(inspect(failure, { depth: 10 })).not.toContain('do-not-print');
    });
  });

  describe('other failures', () => {
    it('a 500 keeps the provider message without the key, the host and the attempts', () => {
      const error = retried(apiError(500), apiError(500), apiError(500));
      const failure = classifyProviderFailure(error, NOT_TIMED_OUT);
      expect(failure.kind).toBe('failed');
      expect(failure.status).toBe(500);
      expect(failure.retryable).toBe(true);
      expect(failure.attempts).toBe(3);
      expect(failure.host).toBe('api.example.test');
      expect(failure.detail).toContain('Incorrect API key provided: [redacted]');
      expect(failure.detail).not.toContain(KEY);
      expect(failure.cause).toBe(error);
    });

    it('a 400 is not worth another try', () => {
      const failure = classifyProviderFailure(apiError(400, { isRetryable: false }), NOT_TIMED_OUT);
      expect(failure.kind).toBe('failed');
      expect(failure.retryable).toBe(false);
      expect(failure.attempts).toBeUndefined();
    });

    it('a 429 is a rate limit with the wait the provider asked for', () => {
      const error = apiError(429, { responseHeaders: { 'retry-after': '7' }, isRetryable: true });
      const failure = classifyProviderFailure(error, NOT_TIMED_OUT);
      expect(failure.kind).toBe('rate-limited');
      expect(failure.retryable).toBe(true);
      expect(failure.retryAfterMs).toBe(7_000);
      expect(failure.detail).not.toContain(KEY);
    });

    it('a dropped connection names its reason and is worth another try', () => {
      const error = new TypeError('fetch failed', { cause: new Error(`connect ECONNREFUSED ${KEY}`) });
      const failure = classifyProviderFailure(error, NOT_TIMED_OUT);
      expect(failure.kind).toBe('failed');
      expect(failure.status).toBeUndefined();
      expect(failure.detail).toBe('fetch failed: connect ECONNREFUSED [redacted]');
      expect(failure.retryable).toBe(true);
      expect(isTransientFailure(error)).toBe(true);
    });

    it('an unknown error may succeed later, but is not repeated at once', () => {
      const error = new Error('a proxy answered nonsense');
      expect(classifyProviderFailure(error, NOT_TIMED_OUT).retryable).toBe(true);
      expect(isTransientFailure(error)).toBe(false);
      expect(isTransientFailure(error, true)).toBe(true);
    });

    it('Hugging Face statuses are transient as the AI SDK decides for its own', () => {
      const hf = (status: number) =>
        new InferenceClientProviderApiError(
          'x',
          { url: URL_, method: 'POST' },
          { requestId: 'r', status, body: '' },
        );
      expect(isTransientFailure(hf(503))).toBe(true);
      expect(isTransientFailure(hf(429))).toBe(true);
      expect(isTransientFailure(hf(404))).toBe(false);
    });
  });

  describe('timeouts', () => {
    it('the caller’s deadline makes any error a timeout, worth another try', () => {
      const error = new DOMException('timed out after 5 ms', 'TimeoutError');
      const failure = classifyProviderFailure(error, { timedOut: true, secret: KEY });
      expect(failure.kind).toBe('timeout');
      expect(failure.retryable).toBe(true);
      expect(failure.cause).toBe(error);
      // The same error without the deadline is no timeout.
      expect(classifyProviderFailure(error, NOT_TIMED_OUT).kind).toBe('failed');
    });

    it('RequestDeadline aborts with a TimeoutError and says so', async () => {
      const deadline = new RequestDeadline(20);
      expect(deadline.timedOut).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(deadline.signal.aborted).toBe(true);
      expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
      expect(deadline.timedOut).toBe(true);
      deadline.clear();
    });

    it('an abort for another reason is not a timeout', async () => {
      const deadline = new RequestDeadline(20);
      deadline.abort();
      deadline.clear();
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(deadline.signal.aborted).toBe(true);
      expect(deadline.timedOut).toBe(false);
    });

    it('clear() stops the clock', async () => {
      const deadline = new RequestDeadline(20);
      deadline.clear();
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(deadline.signal.aborted).toBe(false);
      expect(deadline.timedOut).toBe(false);
    });
  });
});

describe('provider retries', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('isRetryableStatus: 408, 409, 429 and 5xx', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 529]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 422]) expect(isRetryableStatus(status)).toBe(false);
  });

  describe('retryAfterMs', () => {
    it('reads retry-after-ms first, from Headers or a plain record', () => {
      expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
      expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    });

    it('reads retry-after in seconds', () => {
      expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3_000);
      expect(retryAfterMs({ 'retry-after': '0.5' })).toBe(500);
    });

    it('reads retry-after as an HTTP date, 0 once it is past', () => {
      vi.useFakeTimers();
      vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
      expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' })).toBe(30_000);
      expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }))).toBe(0);
    });

    it('is undefined without a usable header', () => {
      expect(retryAfterMs(undefined)).toBeUndefined();
      expect(retryAfterMs(new Headers())).toBeUndefined();
      expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
      expect(retryAfterMs({ 'retry-after-ms': '-5' })).toBeUndefined();
    });
  });

  it('retryDelayMs honours a short retry-after and backs off otherwise', () => {
    expect(retryDelayMs(0, 1_500)).toBe(1_500);
    expect(retryDelayMs(0, 0)).toBe(0);
    expect(retryDelayMs(0, undefined)).toBe(INITIAL_RETRY_DELAY_MS);
    expect(retryDelayMs(2, undefined)).toBe(INITIAL_RETRY_DELAY_MS * 4);
    // A server asking for minutes is not waited for inside one request.
    expect(retryDelayMs(1, 120_000)).toBe(INITIAL_RETRY_DELAY_MS * 2);
  });
});
