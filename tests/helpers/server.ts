import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type App, buildApp } from '../../src/app.ts';
import type { Extractor } from '../../src/augment/types.ts';
import { type Config, configFromEnv } from '../../src/config/config.ts';
import { type Env, parseEnv } from '../../src/config/environment.ts';
import type { Db } from '../../src/db/client.ts';
import type { EmbeddingService } from '../../src/embed/service.ts';
import type { Embedder } from '../../src/embed/types.ts';
import { createEngram, type Engram } from '../../src/engram.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { SearchIndex } from '../../src/search/search-index.ts';
import { createTestDatabase } from './database.ts';
import { countFollowsAsListeners, nextListener } from './listening.ts';

export interface TestServer {
  app: App;
  /** Everything the server runs on, as the composition root built it. */
  engram: Engram;
  db: Db;
  env: Env;
  config: Config;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** ws://127.0.0.1:<port>/graphql */
  wsUrl: string;
  /** The test database's URL (a SQLite file, or a database of its own on PostgreSQL or MariaDB). */
  databaseUrl: string;
  /** The started vector index (in memory unless VECTOR_INDEX_PATH is given); null when off. */
  index: SearchIndex | null;
  embeddings: EmbeddingService;
  /** Runs a typed document over HTTP and returns the raw result (data and errors). */
  request<R, V>(
    document: TypedDocumentNode<R, V>,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<ExecutionResult<R>>;
  /** Like `request`, but fails on any GraphQL error and returns the data. */
  gql<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R>;
  /** A graphql-ws client connected to this server. */
  wsClient(connectionParams?: Record<string, unknown>): Client;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Use this database instead of a fresh one of the suite's kind (it is not dropped on close). */
  database?: { url: string };
  /** Extra environment (string values, as the real environment would give). */
  env?: Record<string, string>;
  /** Sees every SQL statement the server sends. */
  onQuery?: (sql: string) => void;
  /** The augmentation extractor; @default the one AUGMENTATION_EXTRACTOR names. */
  extractor?: Extractor;
  /** The embedding provider; @default the one EMBEDDING_PROVIDER names: none unless a test sets it. */
  embedder?: Embedder;
  /** Where the server logs; @default a logger at LOG_LEVEL (silent unless a test sets it). */
  logger?: Logger;
}

/** A real Engram on a free port, on its own SQLite file in a temporary folder. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database
    ? { url: options.database.url, drop: async () => {} }
    : await createTestDatabase();
  const databaseUrl = database.url;
  const env = parseEnv({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    EMBEDDING_PROVIDER: 'none',
    // Background extraction would add facts behind the tests' backs; its own tests turn it on.
    AUGMENTATION: 'off',
    VECTOR_INDEX_PATH: 'memory',
    ...options.env,
  });
  const config = configFromEnv(env);
  const engram = await createEngram(config, {
    logger: options.logger,
    onQuery: options.onQuery,
    extractor: options.extractor,
    ...(options.embedder ? { embedder: options.embedder } : {}),
  });
  const { db, index, embeddings } = engram;
  const app = buildApp(engram);
  countFollowsAsListeners(app.events, app.subscriptionGroups);
  // Tests start once the model has loaded (or failed to) and the index is searchable.
  await engram.start({ wait: true });
  const port = await app.start(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  const wsUrl = `ws://127.0.0.1:${port}/graphql`;
  const clients: Client[] = [];

  const request: TestServer['request'] = async (document, variables, headers = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return (await response.json()) as ExecutionResult<never>;
  };

  return {
    app,
    engram,
    db,
    env,
    config,
    url,
    wsUrl,
    databaseUrl,
    index,
    embeddings,
    request,
    gql: async (document, variables) => {
      const result = await request(document, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      if (!result.data) throw new Error('no data');
      return result.data;
    },
    wsClient: (connectionParams) => {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.stop();
      await engram.stop();
      await database.drop();
    },
  };
}

/**
 * Collects the next `count` results of a graphql-ws subscription. `ready` resolves once the server
 * listens for the subscription's events (see ./listening.ts), so what is published after it is
 * received; it rejects if the subscription ends first.
 */
export function collect<R>(
  server: TestServer,
  client: Client,
  document: TypedDocumentNode<R, Record<string, unknown>> | TypedDocumentNode<R, never>,
  variables: Record<string, unknown>,
  count: number,
): { ready: Promise<void>; results: Promise<ExecutionResult<R>[]> } {
  const received: ExecutionResult<R>[] = [];
  const listening = nextListener(server.app.events);
  const results = new Promise<ExecutionResult<R>[]>((resolve, reject) => {
    const unsubscribe = client.subscribe<R>(
      { query: print(document), variables },
      {
        next: (value) => {
          received.push(value as ExecutionResult<R>);
          if (received.length === count) {
            unsubscribe();
            resolve(received);
          }
        },
        error: reject,
        complete: () => resolve(received),
      },
    );
  });
  const ready = Promise.race([
    listening,
    results.then(
      () => Promise.reject(new Error('the subscription completed before the server listened')),
      (error: unknown) => Promise.reject(error),
    ),
  ]);
  // A test that expects the subscription to fail does not wait for it to be ready.
  ready.catch(() => {});
  return { ready, results };
}
