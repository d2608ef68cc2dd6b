/**
 * How the client authenticates: a fixed API key or entity token, or a provider it asks for a token
 * (a browser asking its backend for a fresh entity token).
 */
export interface CredentialOptions {
  /** An API key (`Authorization: Bearer <key>`); for backends only, never ship it to a browser. */
  apiKey?: string;
  /** A fixed entity token (it is not refreshed: when it expires calls fail with UNAUTHENTICATED). */
  token?: string;
  /**
   * Returns a fresh entity token. The client keeps it until shortly before its `exp` and asks
   * again then, and once more when the server answers UNAUTHENTICATED (a token revoked by a
   * secret rotation, a clock that lies).
   */
  getToken?: () => Promise<string>;
  /**
   * How long before `exp` a cached token counts as expired, so a call never leaves with a token
   * that dies on the way.
   * @default 30
   */
  refreshSkewSeconds?: number;
}

/** Seconds since the epoch of a JWT's `exp`, read without verifying it (the server verifies); null when absent. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const claims = JSON.parse(atob(padded)) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp : null;
  } catch {
    return null;
  }
}

/** The credential the client sends, cached and refreshed when it comes from a provider. */
export class Credentials {
  private cached: { token: string; expiresAt: number | null } | null = null;
  /** The provider call in flight, shared by the calls that need a token meanwhile. */
  private pending: Promise<string> | null = null;
  private readonly skew: number;

  constructor(
    private readonly options: CredentialOptions,
    private readonly now: () => number = () => Date.now(),
  ) {
    const given = [options.apiKey, options.token, options.getToken].filter((value) => value !== undefined);
    if (given.length > 1) throw new TypeError('give one of apiKey, token or getToken, not several');
    this.skew = (options.refreshSkewSeconds ?? 30) * 1000;
  }

  /** True when a refused credential can be replaced by asking the provider again. */
  get refreshable(): boolean {
    return this.options.getToken !== undefined;
  }

  /** The credential to send now; undefined without one (a development server). */
  async current(): Promise<string | undefined> {
    const { apiKey, token, getToken } = this.options;
    if (apiKey !== undefined) return apiKey;
    if (token !== undefined) return token;
    if (!getToken) return undefined;
    const cached = this.cached;
    if (cached && (cached.expiresAt === null || cached.expiresAt - this.skew > this.now()))
      return cached.token;
    if (!this.pending) {
      this.pending = getToken()
        .then((fresh) => {
          const exp = tokenExpiry(fresh);
          this.cached = { token: fresh, expiresAt: exp === null ? null : exp * 1000 };
          return fresh;
        })
        .finally(() => {
          this.pending = null;
        });
    }
    return this.pending;
  }

  /** Forgets the cached token (the server refused it), so the next call asks the provider. */
  invalidate(refused?: string): void {
    if (refused === undefined || this.cached?.token === refused) this.cached = null;
  }
}
