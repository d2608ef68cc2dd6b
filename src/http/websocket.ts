import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError, getOperationAST } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { isAsyncIterable, type YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Principal, principalName } from '../auth/principal.ts';
import type { Context } from '../schema/context.ts';
import { clientAddress } from './client-address.ts';
import { checkVariables } from './document-limits.ts';
import { isGraphQLError, maskError } from './mask-error.ts';
import { checkQueryCost, type QueryCostOptions } from './query-cost.ts';
import type { RateLimits } from './rate-limits.ts';
import { type Refusal, refusalBody } from './reply.ts';
import { createSubscriptionGroups, type GroupMember } from './shared-subscriptions.ts';

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
  /** Bytes of events unsent on one socket past which it is closed (WS_MAX_UNSENT_BYTES). */
  maxUnsentBytes: number;
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
  /** Turns connection params' `authorization` into a principal or rejects with UNAUTHENTICATED. */
  resolvePrincipal: (authorization: string | undefined) => Promise<Principal>;
}

/** The enveloped execute/subscribe of one operation, carried to graphql-ws through rootValue. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
  /** The group a subscription joins, and how its events reach this operation's socket. */
  share: { key: string; member: GroupMember };
}

type SocketExtra = {
  request: IncomingMessage;
  socket: WebSocket;
  /** Set once the socket is counted against its principal. */
  countedAs?: string;
  /** What this socket's operations count against: its API key's name, or its address. */
  limitedAs?: { key: string } | { address: string };
  /**
   * Operations accepted and not yet finished, by id. Counted here, not from graphql-ws's own map,
   * which forgets an operation as soon as the client sends `complete` (or reuses its id) while the
   * operation still runs.
   */
  running?: Map<string, number>;
  /** Closes the socket when its entity token expires. */
  expiry?: NodeJS.Timeout;
};

/**
 * The close code of a socket whose entity token expired: the client gets a new token and
 * reconnects. graphql-ws clients do not retry it by themselves (4401 is one of its terminal codes).
 */
export const TOKEN_EXPIRED_CLOSE_CODE = 4401;
/**
 * Closes a socket whose client does not read its events (WS_MAX_UNSENT_BYTES): "try again later",
 * graphql-ws clients reconnect, then read the current state again.
 */
export const SLOW_READER_CLOSE_CODE = 1013;
/** setTimeout's longest delay; a later expiry is checked again when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Closes the socket at the token's expiry (re-arming past setTimeout's longest delay). */
function closeAtExpiry(extra: SocketExtra, expiresAt: Date): void {
  const wait = expiresAt.getTime() - Date.now();
  if (wait <= 0) {
    extra.socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Token expired');
    return;
  }
  extra.expiry = setTimeout(() => closeAtExpiry(extra, expiresAt), Math.min(wait, MAX_TIMER_MS));
  extra.expiry.unref();
}

/** graphql-ws clients send the API key as an `authorization` connection param. */
export function connectionAuthorization(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * What a subscription's results depend on, so operations under one key may share one execution:
 * the document text, operation name and variables, and the whole principal (key role and name, or
 * token entity, scopes, issuer and expiry): every context input that authorization and resolvers
 * read. The client address is left out: only audit entries of queries and mutations carry it.
 */
function groupKey(
  params: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  principal: Principal,
): string {
  return JSON.stringify([params.query, params.operationName ?? null, params.variables ?? null, principal]);
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

  /** Checks one operation (variables, parse, validation, cost) and builds its execution arguments. */
  const prepareOperation = async (
    ctx: { extra: SocketExtra; connectionParams?: Readonly<Record<string, unknown>> },
    id: string,
    params: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  ): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    const variablesProblem = checkVariables(params.variables, options.maxVariableListLength);
    if (variablesProblem) return [variablesProblem];
    const {
      schema: enveloped,
      execute,
      subscribe,
      contextFactory,
      parse,
      validate,
    } = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params });
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
      // graphql-ws would answer this itself, but without calling onComplete (the count would stay).
      if (!getOperationAST(document, params.operationName)) {
        return [coded('the document has no operation of that name, or several and no name', 'BAD_REQUEST')];
      }
      const contextValue = await contextFactory({ connectionParams: ctx.connectionParams });
      const socket = ctx.extra.socket;
      const root: EnvelopedRoot = {
        execute,
        subscribe,
        share: {
          key: groupKey(params, (contextValue as unknown as Context).principal),
          member: {
            id,
            send: (frame) => {
              if (socket.readyState !== socket.OPEN) return;
              if (socket.bufferedAmount > options.maxUnsentBytes) {
                socket.close(SLOW_READER_CLOSE_CODE, 'Too slow to read its events');
                return;
              }
              socket.send(frame);
            },
          },
        },
      };
      return {
        schema: enveloped,
        operationName: params.operationName,
        document,
        variableValues: params.variables,
        contextValue,
        rootValue: root,
      };
    } catch (error) {
      // A malformed or over-limit document fails this operation only, not the socket.
      if (isGraphQLError(error)) return [maskError(error, 'Unexpected error.') as GraphQLError];
      throw error;
    }
  };

  const groups = createSubscriptionGroups();
  const disposable = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      connectionInitWaitTimeout: options.initTimeoutMs,
      execute: (args) => settle(() => (args.rootValue as EnvelopedRoot).execute(args)),
      subscribe: async (args) => {
        const root = args.rootValue as EnvelopedRoot;
        const result = await settle(() => root.subscribe(args));
        return isAsyncIterable(result) ? groups.join(root.share.key, result, root.share.member) : result;
      },
      onConnect: async (ctx) => {
        const address = clientAddress(ctx.extra.request, options.trustProxy);
        let principal: Principal;
        try {
          principal = await options.resolvePrincipal(connectionAuthorization(ctx.connectionParams));
        } catch {
          await options.rateLimits.authFailed(address);
          return false; // graphql-ws closes with 4403 Forbidden
        }
        // Keys and entity tokens count per principal; development mode (no keys) per address.
        const counted = principal.kind === 'entity' || (options.keyed && principal.kind === 'key');
        const key = counted ? `key:${principalName(principal)}` : `address:${address}`;
        const open = socketsPerPrincipal.get(key) ?? 0;
        if (open >= options.maxSocketsPerPrincipal) {
          ctx.extra.socket.close(4429, 'Too many sockets for this principal');
          return false;
        }
        socketsPerPrincipal.set(key, open + 1);
        ctx.extra.countedAs = key;
        ctx.extra.limitedAs = counted ? { key: principalName(principal) } : { address };
        ctx.extra.running = new Map();
        if (principal.kind === 'entity' && principal.expiresAt) closeAtExpiry(ctx.extra, principal.expiresAt);
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiry);
        const key = ctx.extra.countedAs;
        if (!key) return;
        ctx.extra.countedAs = undefined;
        const open = (socketsPerPrincipal.get(key) ?? 1) - 1;
        if (open > 0) socketsPerPrincipal.set(key, open);
        else socketsPerPrincipal.delete(key);
      },
      // Every accepted operation ends here (graphql-ws calls it once the operation has finished).
      onComplete: (ctx, id) => {
        const running = ctx.extra.running;
        const count = running?.get(id) ?? 0;
        if (count > 1) running?.set(id, count - 1);
        else running?.delete(id);
      },
      onSubscribe: async (ctx, id, params) => {
        // Each operation counts against the same rate limits as an HTTP request.
        const limitedAs = ctx.extra.limitedAs;
        const limited = !limitedAs
          ? null
          : 'key' in limitedAs
            ? await options.rateLimits.admitKey(limitedAs.key)
            : await options.rateLimits.admitAddress(limitedAs.address);
        if (limited) return [coded(limited.message, limited.code)];
        const running = ctx.extra.running ?? new Map<string, number>();
        let inFlight = 0;
        for (const count of running.values()) inFlight += count;
        if (inFlight >= options.maxSubscriptionsPerSocket) {
          return [
            coded(
              `at most ${options.maxSubscriptionsPerSocket} operations may run at once on one socket`,
              'TOO_MANY_SUBSCRIPTIONS',
            ),
          ];
        }
        // The place is taken now, before anything else is awaited (concurrent subscribes would all
        // pass the check otherwise), and given back when the operation is refused after all.
        running.set(id, (running.get(id) ?? 0) + 1);
        const release = () => {
          const count = running.get(id) ?? 0;
          if (count > 1) running.set(id, count - 1);
          else running.delete(id);
        };
        try {
          const prepared = await prepareOperation(ctx, id, params);
          if (Array.isArray(prepared)) release();
          return prepared;
        } catch (error) {
          release();
          throw error;
        }
      },
    },
    wss,
  );
  return { wss, groups, dispose: () => disposable.dispose() };
}
