import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAdmin, type Principal } from '../auth/principal.ts';
import type { EngramMetrics } from '../observability/metrics.ts';
import { clientAddress } from './client-address.ts';
import type { RateLimits } from './rate-limits.ts';
import { sendRefusal } from './reply.ts';

/** What {@link createMetricsEndpoint} needs. */
export interface MetricsEndpointOptions {
  metrics: EngramMetrics;
  resolvePrincipal: (authorization: string | undefined) => Promise<Principal>;
  rateLimits: RateLimits;
  trustProxy: boolean;
}

/**
 * `GET /metrics`, the Prometheus text format, for the callers that see /health in detail (an
 * admin API key, or anyone in development mode) and for METRICS_TOKEN, a credential that reads
 * metrics and nothing else, so a scraper holds no key that can read memory. The figures name no
 * entity, but they tell a stranger how busy the server is and what it runs: with API keys set
 * (always in production) nobody else gets them. A wrong credential counts as a failed
 * authentication, as it does on /graphql.
 */
export function createMetricsEndpoint(options: MetricsEndpointOptions) {
  const { metrics, resolvePrincipal, rateLimits } = options;
  const token = metrics.options.token ? Buffer.from(metrics.options.token) : null;
  const isToken = (bearer: string | undefined): boolean => {
    if (!token || !bearer) return false;
    const given = Buffer.from(bearer);
    return given.length === token.length && timingSafeEqual(given, token);
  };

  const allowed = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const authorization = req.headers.authorization;
    if (isToken(authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim())) return true;
    let principal: Principal;
    try {
      principal = await resolvePrincipal(authorization);
    } catch {
      const blocked = await rateLimits.authFailed(clientAddress(req, options.trustProxy));
      sendRefusal(
        res,
        blocked ?? {
          status: 401,
          code: 'UNAUTHENTICATED',
          message: 'metrics need an admin API key or METRICS_TOKEN: send Authorization: Bearer <credential>',
          headers: { 'www-authenticate': 'Bearer' },
        },
      );
      return false;
    }
    if (isAdmin(principal)) return true;
    sendRefusal(res, {
      status: 403,
      code: 'FORBIDDEN',
      message: 'metrics need an admin API key or METRICS_TOKEN',
    });
    return false;
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendRefusal(res, {
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: 'metrics are read with GET',
        headers: { allow: 'GET, HEAD' },
      });
      return;
    }
    if (!(await allowed(req, res))) return;
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
