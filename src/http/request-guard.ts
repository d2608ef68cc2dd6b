import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Refusal } from './reply.ts';

/** What {@link createRequestGuard} allows. */
export interface RequestGuardOptions {
  /** Browser origins allowed to call the API (`*` allows any); @default none */
  corsOrigins: string[];
  /**
   * Check the `Host` header against DNS rebinding: a page on an attacker's domain that resolves to
   * this machine would otherwise reach a development server that trusts everyone.
   * @default true in development mode (no API keys)
   */
  checkHost: boolean;
  /** Host names accepted besides localhost and IP literals. @default none */
  allowedHosts: string[];
}

/** Media types a browser cannot send cross-site without a CORS preflight. */
const PREFLIGHTED_TYPES = new Set([
  'application/json',
  'application/graphql-response+json',
  'application/graphql',
]);

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/**
 * The checks a request passes before anything else reads it: where it is addressed (Host), which
 * page sent it (Origin, Sec-Fetch-Site), and whether a browser could have sent it from another
 * site without asking first (content type). Browsers attach `Origin` to every cross-origin request
 * and to same-origin POSTs, so a foreign origin is refused outright: CORS alone only hides the
 * answer, it does not stop a mutation from running.
 */
export function createRequestGuard(options: RequestGuardOptions) {
  const allowAnyOrigin = options.corsOrigins.includes('*');
  const origins = new Set(options.corsOrigins);
  const hosts = new Set(options.allowedHosts.map((host) => host.toLowerCase()));

  const originAllowed = (origin: string, host: string | undefined): boolean => {
    if (allowAnyOrigin || origins.has(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host.toLowerCase();
    } catch {
      return false;
    }
  };

  const hostAllowed = (host: string | undefined): boolean => {
    if (!host) return true;
    const name = hostName(host.toLowerCase());
    return name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0 || hosts.has(name);
  };

  /** Refuses what no page on another site may do; null lets the request through. */
  const check = (req: IncomingMessage, { body }: { body: boolean }): Refusal | null => {
    const host = req.headers.host;
    if (options.checkHost && !hostAllowed(host)) {
      return {
        status: 403,
        code: 'HOST_NOT_ALLOWED',
        message: 'this host name is not served; add it to ALLOWED_HOSTS or use localhost',
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, host)) {
      return {
        status: 403,
        code: 'CROSS_ORIGIN_REFUSED',
        message: 'requests from this origin are not allowed; add it to CORS_ORIGINS',
      };
    }
    const site = req.headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && origin === undefined) {
      return {
        status: 403,
        code: 'CROSS_ORIGIN_REFUSED',
        message: 'cross-site requests without an allowed Origin are refused',
      };
    }
    if (body) {
      const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
      if (!type || !PREFLIGHTED_TYPES.has(type)) {
        return {
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: 'send GraphQL requests as application/json',
        };
      }
    }
    return null;
  };

  return { check, hostAllowed, originAllowed };
}

export type RequestGuard = ReturnType<typeof createRequestGuard>;
