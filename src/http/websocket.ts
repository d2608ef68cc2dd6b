import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal.ts';
import type { Context } from '../context.ts';
import { clientAddress } from './client-address.ts';
import { checkVariables } from './document-limits.ts';
import { isGraphQLError, maskError } from './mask-error.ts';
import { checkQueryCost, type QueryCostOptions } from './query-cost.ts';
import type { RateLimits } from './rate-limits.ts';
import { type Refusal, refusalBody } from './reply.ts';

/** What the graphql-ws endpoint enforces; every value comes from configuration. */
export interface WebSocketOptions {
  /** Largest message, in bytes (MAX_REQUEST_BYTES). */
  maxPayload: number;
  /** Time to send `connection_init` before the socket is closed (WS_INIT_TIMEOUT_MS). */
  initTimeoutMs: number;
  /** Operations running at once on one socket (WS_MAX_SUBSCRIPTIONS_PER_SOCKET). */
  maxSubscriptionsPerSocket: number;
  /** Sockets per API key, or per client address without one (WS_MAX_SOCKETS_PER_PRINCIPAL). */
  maxSocketsPerPrincipal: number;
  /** The query cost limit (MAX_QUERY_NODES, MAX_PAGE_SIZE). */
  cost: QueryCostOptions;
  /** Longest list in variables (MAX_VARIABLE_LIST_LENGTH). */
  maxVariableListLength: number;
  trustProxy: boolean;
  /** True when API keys are configured: sockets are counted per key instead of per address. */
  keyed: boolean;
  /** Refuses an upgrade (Host, Origin): the same checks as HTTP requests. */
  guard: (req: IncomingMessage) => Refusal | null;
  rateLimits: RateLimits;
  /** Turns connection params' `authorization` into a principal or throws UNAUTHENTICATED. */
  resolvePrincipal: (authorization: string | undefined) => Principal;
}

/** The enveloped execute/subscribe of one operation, carried to graphql-ws through rootValue. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

type SocketExtra = {
  request: IncomingMessage;
  socket: WebSocket;
  /** Set once the socket is counted against its principal. */
  countedAs?: string;
};

/** graphql-ws clients send the API key as an `authorization` connection param. */
export function connectionAuthorization(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

function coded(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** Runs an operation; a limit that throws answers this operation with its error and keeps the socket. */
async function settle(run: () => OperationResult): Promise<Awaited<OperationResult>> {
  try {
    return await run();
  } catch (error) {
    if (!isGraphQLError(error)) throw error;
    return { errors: [maskError(error, 'Unexpected error.') as GraphQLError] };
  }
}

function rejectUpgrade(socket: Duplex, refusal: Refusal): void {
  const body = refusalBody(refusal);
  const headers = Object.entries(refusal.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${refusal.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`,
  );
}

/**
 * graphql-ws on the yoga endpoint's path. Every operation goes through `yoga.getEnveloped`, so
 * WebSocket and HTTP share every plugin (limits, masking, context). A limit broken by one
 * operation answers that operation with an error; the socket and its other subscriptions stay.
 */
export function attachWebSocket(
  server: Server,
  yoga: YogaServerInstance<Record<string, unknown>, Context>,
  options: WebSocketOptions,
) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  const socketsPerPrincipal = new Map<string, number>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = req.url?.split('?')[0];
    if (path !== yoga.graphqlEndpoint) {
      rejectUpgrade(socket, { status: 404, code: 'NOT_FOUND', message: 'no WebSocket endpoint here' });
      return;
    }
    const refusal = options.guard(req);
    if (refusal) {
      rejectUpgrade(socket, refusal);
      return;
    }
    options.rateLimits.admitAddress(clientAddress(req, options.trustProxy)).then(
      (limited) => {
        if (limited) rejectUpgrade(socket, limited);
        else wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      },
      () => socket.destroy(),
    );
  });

  const disposable = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      connectionInitWaitTimeout: options.initTimeoutMs,
      execute: (args) => settle(() => (args.rootValue as EnvelopedRoot).execute(args)),
      subscribe: (args) => settle(() => (args.rootValue as EnvelopedRoot).subscribe(args)),
      onConnect: async (ctx) => {
        const address = clientAddress(ctx.extra.request, options.trustProxy);
        let principal: Principal;
        try {
          principal = options.resolvePrincipal(connectionAuthorization(ctx.connectionParams));
        } catch {
          await options.rateLimits.authFailed(address);
          return false; // graphql-ws closes with 4403 Forbidden
        }
        const key =
          options.keyed && principal.kind === 'admin' ? `key:${principal.name}` : `address:${address}`;
        const open = socketsPerPrincipal.get(key) ?? 0;
        if (open >= options.maxSocketsPerPrincipal) {
          ctx.extra.socket.close(4429, 'Too many sockets for this principal');
          return false;
        }
        socketsPerPrincipal.set(key, open + 1);
        ctx.extra.countedAs = key;
        return true;
      },
      onClose: (ctx) => {
        const key = ctx.extra.countedAs;
        if (!key) return;
        ctx.extra.countedAs = undefined;
        const open = (socketsPerPrincipal.get(key) ?? 1) - 1;
        if (open > 0) socketsPerPrincipal.set(key, open);
        else socketsPerPrincipal.delete(key);
      },
      onSubscribe: async (ctx, _id, params) => {
        // The operation being subscribed is already registered, so more than the limit means over it.
        if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerSocket) {
          return [
            coded(
              `at most ${options.maxSubscriptionsPerSocket} operations may run at once on one socket`,
              'TOO_MANY_SUBSCRIPTIONS',
            ),
          ];
        }
        const variablesProblem = checkVariables(params.variables, options.maxVariableListLength);
        if (variablesProblem) return [variablesProblem];
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
        try {
          const document = parse(params.query);
          const errors = validate(enveloped, document);
          if (errors.length)
            return errors.map((error: GraphQLError) => maskError(error, 'Unexpected error.') as GraphQLError);
          // The cost limit answers with an error message before execution too, as the other limits do.
          const { refused } = checkQueryCost(
            {
              schema: enveloped,
              document,
              variableValues: params.variables,
              operationName: params.operationName,
            },
            options.cost,
          );
          if (refused) return [refused];
          return {
            schema: enveloped,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await contextFactory({ connectionParams: ctx.connectionParams }),
            rootValue: { execute, subscribe },
          };
        } catch (error) {
          // A malformed or over-limit document fails this operation only, not the socket.
          if (isGraphQLError(error)) return [maskError(error, 'Unexpected error.') as GraphQLError];
          throw error;
        }
      },
    },
    wss,
  );
  return { wss, dispose: () => disposable.dispose() };
}
