import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Principal, principalName } from '../auth/principal.ts';
import type { HttpConfig } from '../config/config.ts';
import { readBody } from './body.ts';
import { clientAddress } from './client-address.ts';
import { checkSearchParams } from './document-limits.ts';
import type { RateLimits } from './rate-limits.ts';
import { type Refusal, sendRefusal } from './reply.ts';
import type { RequestGuard } from './request-guard.ts';

/** What {@link createAdmission} needs; every value comes from configuration. */
export interface AdmissionOptions {
  http: HttpConfig;
  /** The only GraphQL path served (yoga would also answer //graphql or /x/graphql). */
  graphqlEndpoint: string;
  /** True when API keys are configured: requests without a valid one are refused. */
  keyed: boolean;
  graphiql: boolean;
  /** /metrics is served (METRICS=on); its endpoint checks the caller itself (METRICS_TOKEN). @default false */
  metrics?: boolean;
  /** The MCP endpoint (MCP=on): admitted as /graphql is, with the same credentials. @default none */
  mcpEndpoint?: string | null;
  /** Static pages served besides GraphQL (the explorer's files): public, like GraphiQL. @default none */
  pages?: (path: string) => boolean;
  /** The LLM proxy's routes (src/proxy/), where their upstream is configured: keyed like /graphql. @default none */
  proxy?: (path: string) => boolean;
  /** A refusal's body in the shape the proxy route's clients read (the provider's error shape). */
  proxyRefusalBody?: (path: string, refusal: Refusal) => string;
  guard: RequestGuard;
  rateLimits: RateLimits;
  resolvePrincipal: (authorization: string | undefined) => Promise<Principal>;
}

/** The refusal of a body over MAX_REQUEST_BYTES (also sent before `100 Continue`). */
export function bodyTooLarge(maxRequestBytes: number): Refusal {
  return {
    status: 413,
    code: 'REQUEST_TOO_LARGE',
    message: `the request body is larger than ${maxRequestBytes} bytes (MAX_REQUEST_BYTES)`,
  };
}

/**
 * Everything that can be refused without parsing: the path, Host and Origin, rate limits, the API
 * key (before a byte of the body is read), the content type and the body's size. `admit` resolves
 * true when the request may go on (its body, if any, read into `req.body`), false when it was
 * answered here.
 */
export function createAdmission(options: AdmissionOptions) {
  const { http, guard, rateLimits, resolvePrincipal } = options;
  const tooLarge = bodyTooLarge(http.maxRequestBytes);
  const maxStreams = http.websocket.maxSocketsPerPrincipal;
  /** Open server-sent event streams, per API key (or client address without one). */
  const eventStreams = new Map<string, number>();

  const pages = options.pages ?? (() => false);
  const isMetrics = (path: string | undefined) => options.metrics === true && path === '/metrics';

  /**
   * What a caller without a key may fetch: liveness and readiness (detail needs a key), the
   * GraphiQL and explorer pages where they are enabled (static files; their requests carry the
   * key), and /metrics, whose endpoint takes METRICS_TOKEN, which is no API key, and checks it.
   */
  const publicPage = (req: IncomingMessage, path: string | undefined): boolean => {
    if (req.url === '/health' || req.url === '/ready' || isMetrics(path)) return true;
    if ((req.method === 'GET' || req.method === 'HEAD') && path !== undefined && pages(path)) return true;
    return (
      options.graphiql &&
      req.method === 'GET' &&
      req.url === options.graphqlEndpoint &&
      req.headers.accept?.includes('text/html') === true
    );
  };

  /** Server-sent events hold a response open as a WebSocket holds a socket: the same budget. */
  const countStream = (holder: string, res: ServerResponse): Refusal | null => {
    const open = eventStreams.get(holder) ?? 0;
    if (open >= maxStreams) {
      return {
        status: 429,
        code: 'TOO_MANY_STREAMS',
        message: `at most ${maxStreams} event streams may be open at once (WS_MAX_SOCKETS_PER_PRINCIPAL)`,
      };
    }
    eventStreams.set(holder, open + 1);
    res.once('close', () => {
      const left = (eventStreams.get(holder) ?? 1) - 1;
      if (left > 0) eventStreams.set(holder, left);
      else eventStreams.delete(holder);
    });
    return null;
  };

  const admit = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
    // A refused request's unread body is read and thrown away (see sendRefusal).
    const path = req.url?.split('?')[0];
    const proxied = path !== undefined && options.proxy?.(path) === true;
    const refuse = (refusal: Refusal) => {
      const body = proxied && path !== undefined ? options.proxyRefusalBody?.(path, refusal) : undefined;
      sendRefusal(res, refusal, { unread: hasBody ? req : undefined, ...(body ? { body } : {}) });
      return false;
    };
    const mcp = options.mcpEndpoint != null && path === options.mcpEndpoint;
    if (
      path !== options.graphqlEndpoint &&
      !mcp &&
      !proxied &&
      path !== '/health' &&
      path !== '/ready' &&
      !isMetrics(path) &&
      (path === undefined || !pages(path))
    ) {
      return refuse({
        status: 404,
        code: 'NOT_FOUND',
        message: 'nothing is served here; GraphQL is at /graphql',
      });
    }
    const refused = guard.check(req, { body: hasBody });
    if (refused) return refuse(refused);
    const address = clientAddress(req, http.trustProxy);
    const blocked = await rateLimits.blocked(address);
    if (blocked) return refuse(blocked);
    // A keyed request counts against its key; everything else against its address.
    let holder = `address:${address}`;
    if (!options.keyed || method === 'OPTIONS' || publicPage(req, path)) {
      const limited = await rateLimits.admitAddress(address);
      if (limited) return refuse(limited);
    } else {
      let principal: Principal;
      try {
        principal = await resolvePrincipal(req.headers.authorization);
      } catch {
        const nowBlocked = await rateLimits.authFailed(address);
        return refuse(
          nowBlocked ?? {
            status: 401,
            code: 'UNAUTHENTICATED',
            message: 'a valid API key or entity token is required: send Authorization: Bearer <key>',
            headers: { 'www-authenticate': 'Bearer' },
          },
        );
      }
      const name = principalName(principal);
      const overKey = await rateLimits.admitKey(name);
      if (overKey) return refuse(overKey);
      holder = `key:${name}`;
    }
    // MCP clients accept event streams, but the stateless MCP endpoint answers in JSON only.
    if (!mcp && req.headers.accept?.includes('text/event-stream')) {
      const tooMany = countStream(holder, res);
      if (tooMany) return refuse(tooMany);
    }
    if (method === 'GET') {
      const problem = checkSearchParams(req.url);
      if (problem) return refuse({ status: 400, code: 'BAD_REQUEST', message: problem.message });
    }
    if (hasBody) {
      const read = await readBody(req, http.maxRequestBytes);
      if (!read.ok) {
        if (read.reason === 'too-large') return refuse(tooLarge);
        res.destroy();
        return false;
      }
      // @whatwg-node (under yoga) takes an already-read body from `req.body`.
      (req as IncomingMessage & { body?: Buffer }).body = read.body;
    }
    return true;
  };

  return { admit };
}
