import type { IncomingMessage } from 'node:http';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Principal } from '../auth/principal.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { EngramMetrics } from '../observability/metrics.ts';
import type { Tracing } from '../observability/tracing.ts';
import { usePlannedReads } from '../planned-reads/plugin.ts';
import type { Context } from '../schema/context.ts';
import { schema } from '../schema/index.ts';
import { useAuditReads } from './audit-reads.ts';
import { clientAddress } from './client-address.ts';
import { useDeadline } from './deadline.ts';
import { checkVariables, useDocumentLimits } from './document-limits.ts';
import { useGraphqlMetrics, useGraphqlTracing } from './graphql-observability.ts';
import { graphqlLogger, maskError } from './mask-error.ts';
import { useOperationAccess } from './operation-access.ts';
import { boundedParserCache } from './parse-cache.ts';
import { useQueryCost } from './query-cost.ts';
import { connectionAuthorization } from './websocket.ts';

export type GraphqlHandler = YogaServerInstance<Record<string, unknown>, Context>;

/** What {@link createGraphqlHandler} needs. */
export interface GraphqlHandlerOptions {
  config: Pick<Config, 'graphql' | 'http' | 'server' | 'access'>;
  logger: Logger;
  /** The request's context without its caller (services, reader, job queue). */
  context: Omit<Context, 'principal' | 'actor'>;
  resolvePrincipal: (authorization: string | null | undefined) => Promise<Principal>;
  /** Operation counts and phase timings. @default none (METRICS=off) */
  metrics?: EngramMetrics | null;
  /** Operation spans. @default none (no OTEL_EXPORTER_OTLP_ENDPOINT) */
  tracing?: Tracing | null;
}

/**
 * The GraphQL endpoint (graphql-yoga), with every limit checked before execution: document size,
 * variables, depth, aliases and cost, then planned reads (PostgreSQL) and the deadline. The same
 * plugins serve HTTP and graphql-ws (src/http/websocket.ts goes through `getEnveloped`).
 */
export function createGraphqlHandler(options: GraphqlHandlerOptions): GraphqlHandler {
  const { graphql, http, server } = options.config;
  const { logger } = options;
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: server.graphiql ? { title: 'Engram', subscriptionsProtocol: 'WS' } : false,
    // Self-contained GraphiQL: no CDN, so it works on closed networks too.
    renderGraphiQL,
    logging: graphqlLogger(logger.child({ component: 'graphql' })),
    maskedErrors: { maskError },
    // Browsers on other origins get no CORS headers unless CORS_ORIGINS names them.
    cors: http.corsOrigins.length
      ? { origin: http.corsOrigins, credentials: true, methods: ['GET', 'POST'] }
      : false,
    parserAndValidationCache: boundedParserCache(graphql.parseCacheBytes),
    plugins: [
      // First, so they see every phase and every error the plugins below raise.
      ...(options.tracing ? [useGraphqlTracing(options.tracing.provider)] : []),
      ...(options.metrics ? [useGraphqlMetrics(options.metrics)] : []),
      useDocumentLimits({
        maxLength: graphql.maxQueryLength,
        maxTokens: graphql.maxQueryTokens,
        maxListLength: graphql.maxVariableListLength,
      }),
      {
        onParams({ params }) {
          const problem = checkVariables(params.variables, graphql.maxVariableListLength);
          if (problem) throw problem;
        },
      },
      maxDepthPlugin({ n: graphql.maxDepth, exposeLimits: true }),
      // An empty allowList: aliased __typename counts too (armor exempts it by default).
      maxAliasesPlugin({ n: graphql.maxAliases, exposeLimits: true, allowList: [] }),
      // The cost check before planned reads (which answer in onExecute), the deadline after them
      // (so it races their statement too).
      useQueryCost({ maxNodes: graphql.maxNodes, maxPageSize: graphql.maxPageSize }),
      useOperationAccess(),
      ...(graphql.plannedReads ? [usePlannedReads(logger.child({ component: 'planned-reads' }))] : []),
      useDeadline({ timeoutMs: graphql.requestTimeoutMs }),
      useAuditReads({ entityReads: options.config.access.auditReads }),
    ],
    context: async ({
      request,
      connectionParams,
      req,
    }: {
      request?: Request;
      connectionParams?: Record<string, unknown>;
      /** The Node request (HTTP), or the upgrade request of the socket (graphql-ws). */
      req?: IncomingMessage;
    }) => {
      const header = connectionParams
        ? connectionAuthorization(connectionParams)
        : request?.headers.get('authorization');
      const principal = await options.resolvePrincipal(header);
      const address = req ? clientAddress(req, http.trustProxy) : null;
      return { ...options.context, principal, actor: { principal, address } };
    },
  });
}
