import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Refusal } from './reply.ts';

/** Limits per minute; 0 turns one off. */
export interface RateLimitOptions {
  /** Requests from one client address. @default 6000 */
  perAddress: number;
  /** Requests with one API key. @default 60000 */
  perKey: number;
  /** Failed authentications from one address before it is refused for {@link blockSeconds}. @default 10 */
  authFailures: number;
  /** How long an address that failed authentication too often is refused. @default 300 */
  blockSeconds?: number;
}

function limited(res: unknown, what: string): Refusal {
  const ms = res instanceof RateLimiterRes ? res.msBeforeNext : 60_000;
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return {
    status: 429,
    code: 'RATE_LIMITED',
    message: `too many ${what}; retry in ${seconds} s`,
    headers: { 'retry-after': String(seconds) },
  };
}

/** Takes one point for `key`; a refusal when there is none left (never, without a limiter). */
async function consume(
  limiter: RateLimiterMemory | null,
  key: string,
  what: string,
): Promise<Refusal | null> {
  if (!limiter) return null;
  try {
    await limiter.consume(key);
    return null;
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res;
    return limited(res, what);
  }
}

/**
 * Per-process request limits (rate-limiter-flexible, in memory): per client address for requests
 * without a key (everything in development mode), per API key for the others,
 * and a much lower budget of failed authentications per address, after which the address is refused
 * outright for a while, so keys cannot be guessed at speed.
 */
export class RateLimits {
  private readonly perAddress: RateLimiterMemory | null;
  private readonly perKey: RateLimiterMemory | null;
  private readonly failures: RateLimiterMemory | null;

  constructor(private readonly options: RateLimitOptions) {
    this.perAddress =
      options.perAddress > 0 ? new RateLimiterMemory({ points: options.perAddress, duration: 60 }) : null;
    this.perKey = options.perKey > 0 ? new RateLimiterMemory({ points: options.perKey, duration: 60 }) : null;
    this.failures =
      options.authFailures > 0
        ? new RateLimiterMemory({
            points: options.authFailures,
            duration: 60,
            blockDuration: options.blockSeconds ?? 300,
          })
        : null;
  }

  /** A refusal while `address` is blocked for failing authentication too often. */
  async blocked(address: string): Promise<Refusal | null> {
    const failures = await this.failures?.get(address);
    if (failures && failures.consumedPoints > this.options.authFailures) {
      return limited(failures, 'failed authentications from this address');
    }
    return null;
  }

  /** Counts one request from `address` that carries no key; a refusal when it is over its limit. */
  async admitAddress(address: string): Promise<Refusal | null> {
    return (await this.blocked(address)) ?? consume(this.perAddress, address, 'requests from this address');
  }

  /** Counts one request made with an API key (by the key's name, never the key). */
  admitKey(name: string): Promise<Refusal | null> {
    return consume(this.perKey, name, 'requests with this API key');
  }

  /** Records a failed authentication; once over budget the address is blocked. */
  authFailed(address: string): Promise<Refusal | null> {
    return consume(this.failures, address, 'failed authentications from this address');
  }
}
