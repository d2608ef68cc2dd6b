import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { ExecutionArgs } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { JobQueue } from './augment/queue.ts';
import { workerOptions } from './augment/setup.ts';
import type { Extractor } from './augment/types.ts';
import { AugmentationWorker } from './augment/worker.ts';
import { createPrincipalResolver } from './auth/api-keys.ts';
import type { Context } from './context.ts';
import type { Db } from './db/client.ts';
import type { EmbeddingService } from './embed/service.ts';
import type { Env } from './env.ts';
import { createEventBus, type EngramPubSub } from './events/pubsub.ts';
import { graphqlLogger, isGraphQLError, maskError } from './http/mask-error.ts';
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

/** The enveloped execute/subscribe of one request, carried to graphql-ws through rootValue. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

/** graphql-ws clients send the API key as an `authorization` connection param. */
function connectionAuthorization(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
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
    plugins: [
      maxDepthPlugin({ n: env.MAX_QUERY_DEPTH, exposeLimits: true }),
      maxAliasesPlugin({ n: env.MAX_ALIASES, exposeLimits: true }),
      ...(env.PLANNED_READS ? [usePlannedReads(logger.child({ component: 'planned-reads' }))] : []),
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

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health') {
      // Alive, plus what works: a missing model degrades semantic search but not the server.
      const embedding = base.embeddings?.status() ?? {
        state: 'disabled',
        model: null,
        dimension: null,
        error: null,
      };
      const describe = base.index?.describe() ?? Promise.resolve(null);
      describe
        .catch(() => base.index?.status() ?? null)
        .then((index) => {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: 'ok', embedding, vectorIndex: index }));
        });
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
  });

  // graphql-ws on the same path; every plugin (limits, masking, context) applies through getEnveloped.
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const wsServer = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      // Refuse the socket itself when API keys are required and the key is wrong (closes with 4403).
      onConnect: (ctx) => {
        try {
          resolvePrincipal(connectionAuthorization(ctx.connectionParams));
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const {
          schema: enveloped,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
        } catch (error) {
          // A malformed document fails this operation only, not the socket and its other subscriptions.
          if (isGraphQLError(error)) return [error];
          throw error;
        }
        const args = {
          schema: enveloped,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory({ connectionParams: ctx.connectionParams }),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wss,
  );

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
      await wsServer.dispose();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), env.SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}
