import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrincipalResolver } from './auth/api-keys.ts';
import { isAdmin } from './auth/principal.ts';
import type { Engram } from './engram.ts';
import type { EngramPubSub } from './events/pubsub.ts';
import { bodyTooLarge, createAdmission } from './http/admission.ts';
import { createExplorer } from './http/explorer.ts';
import { createGraphqlHandler, type GraphqlHandler } from './http/graphql-handler.ts';
import { sendHealth } from './http/health.ts';
import { createMetricsEndpoint } from './http/metrics-endpoint.ts';
import { RateLimits } from './http/rate-limits.ts';
import { sendRefusal } from './http/reply.ts';
import { createRequestGuard } from './http/request-guard.ts';
import { traceRequest } from './http/request-span.ts';
import type { SubscriptionGroups } from './http/shared-subscriptions.ts';
import { attachWebSocket } from './http/websocket.ts';
import { createMcpHandler } from './mcp/http.ts';
import { createProxy, type LlmProxy } from './proxy/index.ts';

/**
 * The HTTP and WebSocket front of an Engram built by the composition root (src/engram.ts):
 * /graphql (queries, mutations, subscriptions over graphql-ws and SSE, GraphiQL), /mcp (the MCP
 * server, src/mcp/), /health, /ready, /metrics and the graph explorer (/explorer). It serves what it is given and stops only what it opened: the
 * caller stops the Engram.
 */
export interface App {
  server: Server;
  yoga: GraphqlHandler;
  events: EngramPubSub;
  /** graphql-ws subscriptions sharing one execution (src/http/shared-subscriptions.ts). */
  subscriptionGroups: SubscriptionGroups;
  /** The LLM proxy (/v1/chat/completions, /v1/messages); null when no upstream is configured. */
  proxy: LlmProxy | null;
  /** Listens on the port (0 picks a free one) and resolves with the bound port. */
  start(port?: number, host?: string): Promise<number>;
  /** Stops accepting work, lets open requests finish (up to SHUTDOWN_TIMEOUT_MS), closes sockets. */
  stop(): Promise<void>;
}

export function buildApp(engram: Engram): App {
  const { config, logger, reader } = engram;
  const { http, server: serverConfig } = config;
  const keyed = config.access.apiKeys.length > 0;
  const resolvePrincipal = createPrincipalResolver({ apiKeys: config.access.apiKeys, tokens: engram.tokens });
  const yoga = createGraphqlHandler({
    config,
    logger,
    context: {
      ...engram.services,
      maxPageSize: config.graphql.maxPageSize,
      graph: config.graph,
      jobs: engram.jobs,
      tokens: engram.tokens,
      mirror: engram.mirror,
    },
    resolvePrincipal,
    metrics: engram.metrics,
    tracing: engram.tracing,
  });
  const guard = createRequestGuard({
    corsOrigins: http.corsOrigins,
    checkHost: !keyed,
    allowedHosts: http.allowedHosts,
  });
  const rateLimits = new RateLimits(http.rateLimits);
  const explorer = serverConfig.explorer ? createExplorer() : null;
  const metrics = engram.metrics
    ? createMetricsEndpoint({
        metrics: engram.metrics,
        resolvePrincipal,
        rateLimits,
        trustProxy: http.trustProxy,
      })
    : null;
  const mcpPath = config.mcp?.path ?? null;
  const mcp = config.mcp
    ? createMcpHandler({
        services: engram.services,
        graph: config.graph,
        maxPageSize: config.graphql.maxPageSize,
        auditReads: config.access.auditReads,
        logger: logger.child({ component: 'mcp' }),
        resolvePrincipal,
        trustProxy: http.trustProxy,
      })
    : null;
  const proxy = config.proxy
    ? createProxy({
        config: config.proxy,
        services: engram.services,
        maxPageSize: config.graphql.maxPageSize,
        trustProxy: http.trustProxy,
        resolvePrincipal,
        logger,
      })
    : null;
  const { admit } = createAdmission({
    http,
    graphqlEndpoint: yoga.graphqlEndpoint,
    keyed,
    graphiql: serverConfig.graphiql,
    mcpEndpoint: mcpPath,
    ...(explorer ? { pages: explorer.owns } : {}),
    ...(proxy ? { proxy: proxy.owns, proxyRefusalBody: proxy.refusalBody } : {}),
    guard,
    rateLimits,
    resolvePrincipal,
    metrics: metrics !== null,
  });

  /** A caller with full access: development mode, or an admin API key. */
  const fullAccess = (req: IncomingMessage): Promise<boolean> =>
    resolvePrincipal(req.headers.authorization).then(isAdmin, () => false);

  const ready = (res: ServerResponse) => {
    reader
      .$queryRawUnsafe('SELECT 1')
      .then(() => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
      })
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'readiness check failed');
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"ready":false}');
      });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    admit(req, res).then(
      (admitted) => {
        if (!admitted) return;
        if (req.url === '/health') {
          void fullAccess(req).then((full) =>
            sendHealth(
              res,
              { embeddings: engram.embeddings, index: engram.index, mirror: engram.mirror },
              full,
            ),
          );
        } else if (req.url === '/ready') {
          ready(res);
        } else if (metrics && req.url?.split('?')[0] === '/metrics') {
          metrics(req, res).catch((error: unknown) => {
            logger.error({ err: error }, 'metrics could not be rendered');
            if (!res.headersSent) res.writeHead(500).end();
          });
        } else if (mcp && req.url?.split('?')[0] === mcpPath) {
          mcp(req, res).catch((error: unknown) => {
            logger.error({ err: error }, 'MCP request failed');
            if (!res.headersSent) res.writeHead(500).end();
          });
        } else if (proxy?.owns(req.url?.split('?')[0] ?? '')) {
          proxy.handle(req, res).catch((error: unknown) => {
            logger.error({ err: error }, 'proxy call failed');
            if (!res.headersSent) res.writeHead(500).end();
            else res.destroy();
          });
        } else if (explorer?.owns(req.url?.split('?')[0] ?? '')) {
          explorer.serve(req, res);
        } else {
          yoga.requestListener(req, res);
        }
      },
      (error: unknown) => {
        logger.error({ err: error }, 'request admission failed');
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  };
  const tracer = engram.tracing?.tracer;
  // Node checks the header and request timeouts on this interval (30 s by default, which would let a
  // slow client hold a connection for up to 30 s past them).
  const server = createServer(
    { connectionsCheckingInterval: 1000 },
    tracer ? (req: IncomingMessage, res: ServerResponse) => traceRequest(tracer, req, res, handle) : handle,
  );
  // `Expect: 100-continue`: a body that would be refused is refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length']) > http.maxRequestBytes) {
      sendRefusal(res, bodyTooLarge(http.maxRequestBytes), { close: true });
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  // Slow clients are not held for Node's defaults (up to 5 minutes for a request).
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = http.requestTimeoutMs;
  server.keepAliveTimeout = http.keepAliveTimeoutMs;

  const { dispose: disposeWebSocket, groups: subscriptionGroups } = attachWebSocket(server, yoga, {
    maxPayload: http.maxRequestBytes,
    initTimeoutMs: http.websocket.initTimeoutMs,
    maxSubscriptionsPerSocket: http.websocket.maxOperationsPerSocket,
    maxSocketsPerPrincipal: http.websocket.maxSocketsPerPrincipal,
    maxUnsentBytes: http.websocket.maxUnsentBytes,
    maxVariableListLength: config.graphql.maxVariableListLength,
    cost: { maxNodes: config.graphql.maxNodes, maxPageSize: config.graphql.maxPageSize },
    trustProxy: http.trustProxy,
    keyed,
    guard: (req) => guard.check(req, { body: false }),
    rateLimits,
    resolvePrincipal: (authorization) => resolvePrincipal(authorization),
  });

  return {
    server,
    yoga,
    events: engram.events,
    subscriptionGroups,
    proxy,
    start: (port = serverConfig.port, host = serverConfig.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await disposeWebSocket();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), serverConfig.shutdownTimeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      await proxy?.close();
    },
  };
}
