import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { BurstRequest, HostileRequest, HttpRequest, Part, RawRequest, WsRequest } from './types.ts';

/** What came back, whatever the transport: the input of ./checks.ts. */
export interface Observation {
  /** HTTP status (the first status line for raw requests, the handshake's for WebSocket); null: none. */
  status: number | null;
  /** Every status seen (pipelined raw answers, bursts). */
  statuses: number[];
  headers: http.IncomingHttpHeaders;
  /** The answer as text (at most 2 MB kept). */
  text: string;
  /** Parsed JSON answers (one per SSE event, per burst answer, per WebSocket message). */
  bodies: unknown[];
  ms: number;
  /** Nothing (or not all of it) arrived within the bound. */
  timedOut: boolean;
  /** A transport failure before any answer (reset, refused). */
  transportError?: string;
  ws?: { closeCode: number | null; open: boolean; messages: Record<string, unknown>[] };
}

/** Where the servers listen, and text substituted into bodies and paths (seed ids). */
export interface RunContext {
  port(target: 'main' | 'keyed'): number;
  substitute(text: string): string;
}

const KEEP = 2 * 1024 * 1024;

export function materialize(parts: Part[], context?: RunContext): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      if (typeof part === 'string') return Buffer.from(context ? context.substitute(part) : part);
      if ('hex' in part) return Buffer.from(part.hex, 'hex');
      return Buffer.from(part.repeat.repeat(part.times));
    }),
  );
}

function parseBodies(text: string, contentType: string | undefined): unknown[] {
  if (contentType?.includes('text/event-stream')) {
    return text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => safeJson(line.slice(5).trim()))
      .filter((value) => value !== undefined);
  }
  const parsed = safeJson(text);
  return parsed === undefined ? [] : [parsed];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sendHttp(context: RunContext, request: HttpRequest, boundMs: number): Promise<Observation> {
  const payload = request.body ? materialize(request.body, context) : undefined;
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(payload ? { 'content-type': 'application/json' } : {}),
    ...request.headers,
  };
  if (headers['content-type'] === '') delete headers['content-type'];
  if (payload && !request.chunked) headers['content-length'] = String(payload.length);
  if (payload && request.chunked) headers['transfer-encoding'] = 'chunked';
  const start = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let done = false;
    let answered = false;
    let status: number | null = null;
    let responseHeaders: http.IncomingHttpHeaders = {};
    const finish = (extra: Partial<Observation> = {}) => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      req.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({
        status,
        statuses: status === null ? [] : [status],
        headers: responseHeaders,
        text,
        bodies: parseBodies(text, responseHeaders['content-type']),
        ms: performance.now() - start,
        timedOut: false,
        ...extra,
      });
    };
    const bound = setTimeout(() => finish({ timedOut: true }), boundMs);
    const req = http.request({
      host: '127.0.0.1',
      port: context.port(request.target ?? 'main'),
      method: request.method ?? 'POST',
      path: context.substitute(request.path ?? '/graphql'),
      headers,
      agent: false,
    });
    req.on('response', (res) => {
      answered = true;
      status = res.statusCode ?? null;
      responseHeaders = res.headers;
      res.on('data', (chunk: Buffer) => {
        if (kept < KEEP) chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', () => finish());
      res.on('error', () => finish());
      if (request.streamMs) setTimeout(() => finish(), request.streamMs);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) finish();
      else finish({ transportError: error.code ?? error.message });
    });
    // One write: the socket drains it while we listen, and an early answer (413) ends the wait.
    if (payload) req.write(payload);
    req.end();
  });
}

export function sendRaw(context: RunContext, request: RawRequest): Promise<Observation> {
  const holdMs = request.holdMs ?? 2000;
  const start = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let done = false;
    let written = false;
    let idle: NodeJS.Timeout | undefined;
    let transportError: string | undefined;
    const socket = net.connect(context.port(request.target ?? 'main'), '127.0.0.1');
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      clearTimeout(idle);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1]));
      // 100 Continue is not the answer.
      const final = statuses.filter((status) => status >= 200);
      const headerEnd = text.indexOf('\r\n\r\n');
      const bodyText = headerEnd >= 0 ? text.slice(headerEnd + 4) : '';
      resolve({
        status: final[0] ?? statuses[0] ?? null,
        statuses,
        headers: {},
        text,
        bodies: parseBodies(bodyText, undefined),
        ms: performance.now() - start,
        timedOut: timedOut && chunks.length === 0,
        ...(transportError && chunks.length === 0 ? { transportError } : {}),
      });
    };
    const bound = setTimeout(() => finish(true), holdMs);
    // Once everything is written and the answer has gone quiet, stop waiting (keep-alive holds it open).
    const quiet = () => {
      clearTimeout(idle);
      if (written && chunks.length > 0) idle = setTimeout(() => finish(false), 200);
    };
    socket.on('data', (chunk: Buffer) => {
      if (kept < KEEP) chunks.push(chunk);
      kept += chunk.length;
      quiet();
    });
    socket.on('close', () => finish(false));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      transportError = error.code ?? error.message;
    });
    socket.on('connect', async () => {
      for (const write of request.writes) {
        if (done) return;
        if (typeof write === 'number') await sleep(write);
        else socket.write(materialize([write], context));
      }
      written = true;
      if (request.writes.length === 0) socket.end();
      quiet();
    });
  });
}

export function sendWs(context: RunContext, request: WsRequest): Promise<Observation> {
  const start = performance.now();
  const listenMs = request.listenMs ?? 400;
  return new Promise((resolve) => {
    const messages: Record<string, unknown>[] = [];
    const texts: string[] = [];
    let closeCode: number | null = null;
    let handshake: number | null = null;
    let done = false;
    const protocols = request.protocol === null ? [] : [request.protocol ?? 'graphql-transport-ws'];
    const socket = new WebSocket(
      `ws://127.0.0.1:${context.port(request.target ?? 'main')}/graphql`,
      protocols,
      {
        headers: request.headers,
      },
    );
    const finish = (timedOut = false) => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      const open = socket.readyState === WebSocket.OPEN;
      socket.terminate();
      resolve({
        status: handshake,
        statuses: handshake === null ? [] : [handshake],
        headers: {},
        text: texts.join('\n'),
        bodies: messages,
        ms: performance.now() - start,
        timedOut,
        ws: { closeCode, open, messages },
      });
    };
    const bound = setTimeout(() => finish(true), 10_000);
    socket.on('upgrade', (res) => {
      handshake = res.statusCode ?? 101;
    });
    socket.on('unexpected-response', (_req, res) => {
      handshake = res.statusCode ?? null;
      closeCode = 0;
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      res.on('end', () => {
        texts.push(text);
        const parsed = safeJson(text);
        if (parsed && typeof parsed === 'object') messages.push(parsed as Record<string, unknown>);
        finish();
      });
      res.on('error', () => finish());
    });
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (texts.length < 1000) texts.push(text.slice(0, 10_000));
      const parsed = safeJson(text);
      if (parsed && typeof parsed === 'object') messages.push(parsed as Record<string, unknown>);
    });
    socket.on('close', (code) => {
      closeCode = code;
      // Let a close right after the handshake land before we look.
      setTimeout(() => finish(), 20);
    });
    socket.on('error', () => {
      if (closeCode === null && handshake === null) closeCode = 0;
      setTimeout(() => finish(), 20);
    });
    socket.on('open', async () => {
      for (const frame of request.frames) {
        if (done || socket.readyState !== WebSocket.OPEN) break;
        if (typeof frame === 'number') await sleep(frame);
        else if (typeof frame === 'string') socket.send(frame);
        else if ('binaryHex' in frame && typeof frame.binaryHex === 'string')
          socket.send(Buffer.from(frame.binaryHex, 'hex'), { binary: true });
        else if ('text' in frame && Array.isArray(frame.text))
          socket.send(materialize(frame.text as Part[]), { binary: false });
        else socket.send(JSON.stringify(frame));
      }
      await sleep(listenMs);
      finish();
    });
  });
}

export async function sendBurst(
  context: RunContext,
  request: BurstRequest,
  boundMs: number,
): Promise<Observation> {
  const start = performance.now();
  const answers = await Promise.all(
    Array.from({ length: request.times }, () => sendHttp(context, request.request, boundMs)),
  );
  return {
    status: answers[0]?.status ?? null,
    statuses: answers.flatMap((answer) => answer.statuses),
    headers: answers[0]?.headers ?? {},
    text: answers.map((answer) => answer.text).join('\n'),
    bodies: answers.flatMap((answer) => answer.bodies),
    ms: performance.now() - start,
    timedOut: answers.some((answer) => answer.timedOut),
    ...(answers.some((answer) => answer.transportError) ? { transportError: 'in a burst' } : {}),
  };
}

export function send(context: RunContext, request: HostileRequest, boundMs: number): Promise<Observation> {
  switch (request.kind) {
    case 'http':
      return sendHttp(context, request, boundMs);
    case 'raw':
      return sendRaw(context, request);
    case 'ws':
      return sendWs(context, request);
    case 'burst':
      return sendBurst(context, request, boundMs);
  }
}

/** The request as text, so an answer that only echoes what was sent is not taken for a leak. */
export function requestText(context: RunContext, request: HostileRequest): string {
  switch (request.kind) {
    case 'http':
      return `${request.path ?? ''} ${JSON.stringify(request.headers ?? {})} ${request.body ? materialize(request.body, context).toString('utf8') : ''}`;
    case 'raw':
      return request.writes
        .map((write) => (typeof write === 'number' ? '' : materialize([write], context).toString('latin1')))
        .join('');
    case 'ws':
      return JSON.stringify(request.frames);
    case 'burst':
      return requestText(context, request.request);
  }
}
