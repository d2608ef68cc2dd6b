import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { workerOptions } from './augment/setup.ts';
import type { Extractor } from './augment/types.ts';
import { AugmentationWorker } from './augment/worker.ts';
import { createPrincipalResolver } from './auth/api-keys.ts';
import type { Principal } from './auth/principal.ts';
import type { Context } from './context.ts';
import type { Db } from './db/client.ts';
import type { EmbeddingService } from './embed/service.ts';
import type { Env } from './env.ts';
import { createEventBus, type EngramPubSub } from './events/pubsub.ts';
import { readBody } from './http/body.ts';
import { clientAddress } from './http/client-address.ts';
import { useDeadline } from './http/deadline.ts';
import { checkSearchParams, checkVariables, useDocumentLimits } from './http/document-limits.ts';
import { sendHealth } from './http/health.ts';
import { graphqlLogger, maskError } from './http/mask-error.ts';
import { boundedParserCache } from './http/parse-cache.ts';
import { useQueryCost } from './http/query-cost.ts';
import { RateLimits } from './http/rate-limits.ts';
import { type Refusal, sendRefusal } from './http/reply.ts';
import { createRequestGuard } from './http/request-guard.ts';
import { attachWebSocket, connectionAuthorization } from './http/websocket.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { Logger } from './observability/logger.ts';
import { usePlannedReads } from './planned-reads/plugin.ts';
import { schema } from './schema/index.ts';
import { serviceDeps } from './services/context.ts';
import type { VectorIndex } from './vector/vector-index.ts';

/** Everything {@link buildApp} needs; tests pass their own database and logger. */
export interface AppOptions {
  env: Env;
  /** Writes (services, transactions). */
  db: Db;
  /** Reads; @default db (pass a read-only connection on SQLite, see Context.reader). */
  reader?: Db;
  logger: Logger;
  /** @default a new in-process event bus */
  events?: EngramPubSub;
  /** @default none (semantic queries need a vector) */
  embeddings?: EmbeddingService | null;
  /** A started index; @default none (semantic queries answer INDEX_UNAVAILABLE) */
  index?: VectorIndex | null;
  /**
   * Background augmentation: recorded turns are enqueued, and (with AUGMENTATION_CONCURRENCY > 0)
   * this process runs workers from start() to stop(). @default none: nothing is enqueued
   */
  augmentation?: { extractor: Extractor; queue: JobQueue } | null;
}

export interface App {
  server: Server;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  events: EngramPubSub;
  /** Listens on the port (0 picks a free one) and resolves with the bound port. */
  start(port?: number, host?: string): Promise<number>;
  /** Stops accepting work, lets open requests finish (up to SHUTDOWN_TIMEOUT_MS), closes sockets. */
  stop(): Promise<void>;
  /** This process's augmentation workers; null when augmentation is off or runs elsewhere. */
  worker: AugmentationWorker | null;
}

export function buildApp(options: AppOptions): App {
  const { env, db, logger } = options;
  const reader = options.reader ?? db;
  const events = options.events ?? createEventBus();
  const resolvePrincipal = createPrincipalResolver({ apiKeys: env.API_KEYS });
  const base = {
    ...serviceDeps(env, {
      db,
      reader,
      events,
      embeddings: options.embeddings ?? null,
      index: options.index ?? null,
    }),
    maxPageSize: env.MAX_PAGE_SIZE,
  };
  const augmentation = options.augmentation ?? null;
  const worker =
    augmentation && env.AUGMENTATION_CONCURRENCY > 0
      ? new AugmentationWorker(
          base,
          augmentation.queue,
          augmentation.extractor,
          workerOptions(env),
          logger.child({ component: 'augmentation' }),
          (outcome) => {
            for (const change of outcome.facts) events.publish('fact-changed', outcome.entity, change);
            for (const change of outcome.triples) events.publish('triple-changed', outcome.entity, change);
            events.publish('augmentation-completed', outcome.entity, outcome.job);
          },
        )
      : null;
  if (augmentation) base.augmentation = { wake: () => worker?.wake() };

  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: env.GRAPHIQL ? { title: 'Engram', subscriptionsProtocol: 'WS' } : false,
    // Self-contained GraphiQL: no CDN, so it works on closed networks too.
    renderGraphiQL,
    logging: graphqlLogger(logger.child({ component: 'graphql' })),
    maskedErrors: { maskError },
    // Browsers on other origins get no CORS headers unless CORS_ORIGINS names them.
    cors: env.CORS_ORIGINS.length
      ? { origin: env.CORS_ORIGINS, credentials: true, methods: ['GET', 'POST'] }
      : false,
    parserAndValidationCache: boundedParserCache(env.PARSE_CACHE_BYTES),
    plugins: [
      useDocumentLimits({
        maxLength: env.MAX_QUERY_LENGTH,
        maxTokens: env.MAX_QUERY_TOKENS,
        maxListLength: env.MAX_VARIABLE_LIST_LENGTH,
      }),
      {
        onParams({ params }) {
          const problem = checkVariables(params.variables, env.MAX_VARIABLE_LIST_LENGTH);
          if (problem) throw problem;
        },
      },
      maxDepthPlugin({ n: env.MAX_QUERY_DEPTH, exposeLimits: true }),
      // An empty allowList: aliased __typename counts too (armor exempts it by default).
      maxAliasesPlugin({ n: env.MAX_ALIASES, exposeLimits: true, allowList: [] }),
      // The cost check before planned reads (which answer in onExecute), the deadline after them
      // (so it races their statement too).
      useQueryCost({ maxNodes: env.MAX_QUERY_NODES, maxPageSize: env.MAX_PAGE_SIZE }),
      ...(env.PLANNED_READS ? [usePlannedReads(logger.child({ component: 'planned-reads' }))] : []),
      useDeadline({ timeoutMs: env.REQUEST_TIMEOUT_MS }),
    ],
    context: ({
      request,
      connectionParams,
    }: {
      request?: Request;
      connectionParams?: Record<string, unknown>;
    }) => {
      const header = connectionParams
        ? connectionAuthorization(connectionParams)
        : request?.headers.get('authorization');
      return {
        ...base,
        jobs: augmentation?.queue ?? null,
        principal: resolvePrincipal(header),
      };
    },
  });

  const guard = createRequestGuard({
    corsOrigins: env.CORS_ORIGINS,
    checkHost: env.API_KEYS.length === 0,
    allowedHosts: env.ALLOWED_HOSTS,
  });
  const bodyTooLarge: Refusal = {
    status: 413,
    code: 'REQUEST_TOO_LARGE',
    message: `the request body is larger than ${env.MAX_REQUEST_BYTES} bytes (MAX_REQUEST_BYTES)`,
  };
  /** Open server-sent event streams, per API key (or client address without one). */
  const eventStreams = new Map<string, number>();
  const rateLimits = new RateLimits({
    perAddress: env.RATE_LIMIT_PER_ADDRESS,
    perKey: env.RATE_LIMIT_PER_KEY,
    authFailures: env.RATE_LIMIT_AUTH_FAILURES,
  });

  /**
   * What a caller without a key may fetch: liveness and readiness (detail needs a key), and the
   * GraphiQL page itself where it is enabled (static HTML; its requests carry the key).
   */
  const publicPage = (req: IncomingMessage): boolean => {
    if (req.url === '/health' || req.url === '/ready') return true;
    return (
      env.GRAPHIQL &&
      req.method === 'GET' &&
      req.url === yoga.graphqlEndpoint &&
      req.headers.accept?.includes('text/html') === true
    );
  };

  /**
   * Everything that can be refused without parsing: Host and Origin, rate limits, the API key (before
   * a byte of the body is read), the content type and the body's size. True when the request may go
   * on to yoga (its body, if any, read into `req.body`); false when it was answered here.
   */
  const admit = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
    // A refused request's unread body is read and thrown away (see sendRefusal).
    const refuse = (refusal: Refusal) => {
      sendRefusal(res, refusal, { unread: hasBody ? req : undefined });
      return false;
    };
    // Only /graphql reaches yoga (which would also answer //graphql or /x/graphql); every body is checked.
    const path = req.url?.split('?')[0];
    if (path !== yoga.graphqlEndpoint && path !== '/health' && path !== '/ready') {
      return refuse({
        status: 404,
        code: 'NOT_FOUND',
        message: 'nothing is served here; GraphQL is at /graphql',
      });
    }
    const refused = guard.check(req, { body: hasBody });
    if (refused) return refuse(refused);
    const address = clientAddress(req, env.TRUST_PROXY);
    const blocked = await rateLimits.blocked(address);
    if (blocked) return refuse(blocked);
    // A keyed request counts against its key; everything else against its address.
    let holder = `address:${address}`;
    if (env.API_KEYS.length === 0 || method === 'OPTIONS' || publicPage(req)) {
      const limited = await rateLimits.admitAddress(address);
      if (limited) return refuse(limited);
    } else {
      let principal: Principal;
      try {
        principal = resolvePrincipal(req.headers.authorization);
      } catch {
        const nowBlocked = await rateLimits.authFailed(address);
        return refuse(
          nowBlocked ?? {
            status: 401,
            code: 'UNAUTHENTICATED',
            message: 'a valid API key is required: send Authorization: Bearer <key>',
            headers: { 'www-authenticate': 'Bearer' },
          },
        );
      }
      const name = principal.kind === 'admin' ? principal.name : principal.entityExternalId;
      const overKey = await rateLimits.admitKey(name);
      if (overKey) return refuse(overKey);
      holder = `key:${name}`;
    }
    // Server-sent events hold a response open as a WebSocket holds a socket: the same budget.
    if (req.headers.accept?.includes('text/event-stream')) {
      const open = eventStreams.get(holder) ?? 0;
      if (open >= env.WS_MAX_SOCKETS_PER_PRINCIPAL) {
        return refuse({
          status: 429,
          code: 'TOO_MANY_STREAMS',
          message: `at most ${env.WS_MAX_SOCKETS_PER_PRINCIPAL} event streams may be open at once (WS_MAX_SOCKETS_PER_PRINCIPAL)`,
        });
      }
      eventStreams.set(holder, open + 1);
      res.once('close', () => {
        const left = (eventStreams.get(holder) ?? 1) - 1;
        if (left > 0) eventStreams.set(holder, left);
        else eventStreams.delete(holder);
      });
    }
    if (method === 'GET') {
      const problem = checkSearchParams(req.url);
      if (problem) return refuse({ status: 400, code: 'BAD_REQUEST', message: problem.message });
    }
    if (hasBody) {
      const read = await readBody(req, env.MAX_REQUEST_BYTES);
      if (!read.ok) {
        if (read.reason === 'too-large') return refuse(bodyTooLarge);
        res.destroy();
        return false;
      }
      // @whatwg-node (under yoga) takes an already-read body from `req.body`.
      (req as IncomingMessage & { body?: Buffer }).body = read.body;
    }
    return true;
  };

  /** A caller with full access: development mode, or a valid API key. */
  const fullAccess = (req: IncomingMessage): boolean => {
    try {
      return resolvePrincipal(req.headers.authorization).kind === 'admin';
    } catch {
      return false;
    }
  };

  // Node checks the header and request timeouts on this interval (30 s by default, which would let a
  // slow client hold a connection for up to 30 s past them).
  const server = createServer(
    { connectionsCheckingInterval: 1000 },
    (req: IncomingMessage, res: ServerResponse) => {
      admit(req, res).then(
        (admitted) => {
          if (!admitted) return;
          if (req.url === '/health') {
            sendHealth(res, { embeddings: base.embeddings, index: base.index }, fullAccess(req));
            return;
          }
          if (req.url === '/ready') {
            reader
              .$queryRawUnsafe('SELECT 1')
              .then(() => {
                res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
              })
              .catch((error: unknown) => {
                logger.warn({ err: error }, 'readiness check failed');
                res.writeHead(503, { 'content-type': 'application/json' }).end('{"ready":false}');
              });
            return;
          }
          yoga.requestListener(req, res);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'request admission failed');
          if (!res.headersSent) res.writeHead(500).end();
        },
      );
    },
  );
  // `Expect: 100-continue`: a body that would be refused is refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length']) > env.MAX_REQUEST_BYTES) {
      sendRefusal(res, bodyTooLarge, { close: true });
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  // Slow clients are not held for Node's defaults (up to 5 minutes for a request).
  server.headersTimeout = env.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = env.HTTP_REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = env.HTTP_KEEP_ALIVE_TIMEOUT_MS;

  const { dispose: disposeWebSocket } = attachWebSocket(server, yoga, {
    maxPayload: env.MAX_REQUEST_BYTES,
    initTimeoutMs: env.WS_INIT_TIMEOUT_MS,
    maxSubscriptionsPerSocket: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
    maxSocketsPerPrincipal: env.WS_MAX_SOCKETS_PER_PRINCIPAL,
    maxVariableListLength: env.MAX_VARIABLE_LIST_LENGTH,
    cost: { maxNodes: env.MAX_QUERY_NODES, maxPageSize: env.MAX_PAGE_SIZE },
    trustProxy: env.TRUST_PROXY,
    keyed: env.API_KEYS.length > 0,
    guard: (req) => guard.check(req, { body: false }),
    rateLimits,
    resolvePrincipal: (authorization) => resolvePrincipal(authorization),
  });

  return {
    server,
    yoga,
    events,
    worker,
    start: (port = env.PORT, host = env.HOST) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          worker?.start();
          resolve((server.address() as AddressInfo).port);
        });
      }),
    stop: async () => {
      await worker?.stop(env.SHUTDOWN_TIMEOUT_MS);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await disposeWebSocket();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), env.SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}
