import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isReadOnly, isWriteOnly, type Principal } from '../auth/principal.ts';
import type { ProxyConfig, ProxyUpstream } from '../config/config.ts';
import { clientAddress } from '../http/client-address.ts';
import type { Refusal } from '../http/reply.ts';
import type { Logger } from '../observability/logger.ts';
import type { ServiceDeps } from '../services/deps.ts';
import { memoryContext } from '../services/memory-context.ts';
import { anthropicProvider } from './anthropic.ts';
import { createForwarder, passedBackHeaders, type UpstreamResponse } from './forward.ts';
import { type CallOwner, identify } from './identify.ts';
import { memoryBlock } from './inject.ts';
import { openaiProvider } from './openai.ts';
import { recordTurn } from './record.ts';
import { sseParser } from './sse.ts';
import { type Body, MAX_KEPT, type Provider, type ProxyError, type Reply } from './types.ts';

export interface ProxyOptions {
  config: ProxyConfig;
  services: ServiceDeps;
  /** Most facts a recall may return (MAX_PAGE_SIZE). */
  maxPageSize: number;
  trustProxy: boolean;
  resolvePrincipal: (authorization: string | undefined) => Promise<Principal>;
  logger: Logger;
}

/** Error types of the refusals admission makes, as both providers name them. */
const REFUSAL_TYPES: Record<number, string> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
};

/**
 * The LLM proxy: `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic), each
 * served when its upstream is configured. A call recalls the entity's memory for the latest user
 * message, adds it as system text, forwards the request, passes the answer back byte for byte as it
 * arrives, then records the user turn and the reply (an answer cut short is recorded as incomplete).
 */
export function createProxy(options: ProxyOptions) {
  const { config, services, logger } = options;
  const forwarder = createForwarder(config);
  const routes = new Map<string, { provider: Provider; upstream: ProxyUpstream }>();
  if (config.openai) routes.set(openaiProvider.path, { provider: openaiProvider, upstream: config.openai });
  if (config.anthropic)
    routes.set(anthropicProvider.path, { provider: anthropicProvider, upstream: config.anthropic });
  /** Calls still being served and recordings still being written (tests and shutdown wait for them). */
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const tracked = work.finally(() => pending.delete(tracked));
    pending.add(tracked);
    return tracked;
  };

  const send = (res: ServerResponse, provider: Provider, error: ProxyError) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify(provider.errorBody(error));
    res.writeHead(error.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  /** The recalled memory as system text, or null (memory off, nothing found, or recall failed). */
  const recallBlock = async (principal: Principal, owner: CallOwner, userText: string | null) => {
    if (config.memory === 'off' || !userText?.trim() || isWriteOnly(principal)) return null;
    try {
      const context = await memoryContext(
        services,
        principal,
        {
          entity: owner.entity,
          query: userText,
          first: config.topK,
          withTriples: config.memory === 'facts_and_triples',
        },
        options.maxPageSize,
      );
      return memoryBlock(context, config.maxTokens);
    } catch (error) {
      // Memory enriches the call; without it (index off, model down) the call still goes through.
      logger.warn({ err: error }, 'proxy recall failed: the call is forwarded without memory');
      return null;
    }
  };

  const relay = async (
    res: ServerResponse,
    provider: Provider,
    upstream: UpstreamResponse,
    record: (reply: Reply, complete: boolean) => void,
  ) => {
    res.writeHead(upstream.status, passedBackHeaders(upstream.headers));
    const ok = upstream.status >= 200 && upstream.status < 300;
    const contentType = String(upstream.headers['content-type'] ?? '');
    const streamed = contentType.includes('text/event-stream');
    // What recording can store (MAX_CONTENT_LENGTH), whatever the stream's length.
    const reader = provider.streamReader(services.limits.maxContentLength);
    const parser = sseParser((name, data) => reader.event(name, data));
    const kept: Buffer[] = [];
    let keptBytes = 0;
    /** Part of the answer could not be read (beyond what is kept, or unreadable): the record is incomplete. */
    let unread = false;
    const read = (chunk: Buffer) => {
      if (streamed) parser.push(chunk);
      else if (keptBytes + chunk.length <= MAX_KEPT) {
        kept.push(chunk);
        keptBytes += chunk.length;
      } else {
        unread = true;
        kept.length = 0;
      }
    };
    const observe = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        // An error body is passed back, not read; reading stops once part of the answer was missed,
        // and never changes or stops what the client gets.
        if (ok && !unread) {
          try {
            read(chunk);
          } catch {
            unread = true;
          }
        }
        done(null, chunk);
      },
    });
    let complete = true;
    try {
      await pipeline(upstream.body, observe, res);
    } catch {
      // The client went away, or the upstream failed or timed out mid-answer: what arrived is recorded.
      complete = false;
    }
    if (!ok) return;
    if (streamed) {
      if (!unread) {
        try {
          parser.end();
        } catch {
          unread = true;
        }
      }
      // An event beyond the parser's bound was left out: the reply recorded misses it.
      const whole = (complete || reader.ended()) && !unread && parser.dropped() === 0;
      record(reader.reply(), whole);
      return;
    }
    let json: unknown = null;
    try {
      json = unread ? null : JSON.parse(Buffer.concat(kept).toString('utf8'));
    } catch {
      complete = false;
    }
    record(provider.replyOf(json), complete && !unread);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = req.url?.split('?')[0] ?? '';
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    const { provider, upstream } = route;
    if (req.method !== 'POST') {
      send(res, provider, {
        status: 405,
        type: 'invalid_request_error',
        message: `use POST ${provider.path}`,
      });
      return;
    }
    let principal: Principal;
    try {
      principal = await options.resolvePrincipal(req.headers.authorization);
    } catch {
      send(res, provider, {
        status: 401,
        type: 'authentication_error',
        message: 'a valid Engram API key or entity token is required',
      });
      return;
    }
    const raw = (req as IncomingMessage & { body?: Buffer }).body ?? Buffer.alloc(0);
    let body: Body;
    try {
      body = JSON.parse(raw.toString('utf8'));
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      send(res, provider, {
        status: 400,
        type: 'invalid_request_error',
        message: 'the request body must be a JSON object',
      });
      return;
    }
    const owner = identify(req, body, principal, provider, config.defaultProcess);
    if ('status' in owner) {
      send(res, provider, owner);
      return;
    }
    if (isReadOnly(principal)) {
      send(res, provider, {
        status: 403,
        type: 'permission_error',
        message: 'the proxy records every call: it needs an API key or entity token that may write',
      });
      return;
    }
    const userText = provider.latestUserText(body);
    const block = await recallBlock(principal, owner, userText);
    const outgoing = block ? Buffer.from(JSON.stringify(provider.inject(body, block))) : raw;

    // The client leaving before the answer's end cancels the upstream call too.
    const cancel = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) cancel.abort();
    });
    const answer = await forwarder.forward(
      `${upstream.baseUrl}${provider.upstreamPath}`,
      provider.upstreamHeaders(req, upstream, config.passThroughKeys),
      outgoing,
      cancel.signal,
    );
    if ('type' in answer) {
      send(res, provider, answer);
      return;
    }
    const actor = { principal, address: clientAddress(req, options.trustProxy) };
    await relay(res, provider, answer, (reply, complete) => {
      void track(
        recordTurn(services, actor, owner, userText, reply, complete).catch((error: unknown) =>
          logger.error({ err: error, entity: owner.entity }, 'proxy could not record the call'),
        ),
      );
    });
  };

  const settled = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  /** A refusal made before the proxy ran (API key, rate limit, body size) in the route's error shape. */
  const refusalBody = (path: string, refusal: Refusal): string => {
    const provider = routes.get(path)?.provider ?? openaiProvider;
    const type = REFUSAL_TYPES[refusal.status] ?? 'invalid_request_error';
    return JSON.stringify(provider.errorBody({ status: refusal.status, type, message: refusal.message }));
  };
  return {
    owns: (path: string) => routes.has(path),
    refusalBody,
    handle: (req: IncomingMessage, res: ServerResponse): Promise<void> =>
      track(serve(req, res)) as Promise<void>,
    /** Resolves when every call served so far has ended and its turn is recorded. */
    settled,
    close: async () => {
      await settled();
      await forwarder.close();
    },
  };
}

export type LlmProxy = ReturnType<typeof createProxy>;
