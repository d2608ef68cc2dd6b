import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a fake upstream received. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** How a fake upstream answers the next calls. */
export type Answer =
  | { kind: 'json'; status?: number; body: unknown }
  /** Never answers (until the connection closes). */
  | { kind: 'silent' }
  /** Server-sent events, each written (and flushed) on its own after `gapMs`; `hang` never ends the response. */
  | { kind: 'sse'; chunks: string[]; gapMs?: number; hang?: boolean }
  /**
   * `events` OpenAI chunks of about `size` bytes each, then `[DONE]`, written as fast as the
   * connection takes them: when the socket refuses a write, the next waits for 'drain' (see `flood`).
   */
  | { kind: 'flood'; events: number; size: number };

/** How far the last `flood` answer got. */
export interface Flood {
  /** Bytes of the whole answer. */
  total: number;
  /** Bytes handed to the connection so far. */
  written: number;
  /** Whether a write is waiting for the connection's 'drain'. */
  blocked: boolean;
  /** SHA-256 (hex) of the whole answer. */
  digest: string;
  /** Resolves when every byte was written. */
  finished: Promise<void>;
  /**
   * Resolves with `written` once a write has waited `ms` for 'drain' without the connection taking
   * anything more: the reader has stopped pulling.
   */
  stalled(ms: number): Promise<number>;
}

/**
 * A real HTTP server standing in for an LLM API: it records every request and answers what the
 * test told it to. `closed` resolves when a hanging response's client went away.
 */
export interface FakeUpstream {
  url: string;
  received: Received[];
  answer: Answer;
  /** Resolves when the connection of the last hanging answer closed. */
  lastClosed: Promise<void>;
  /** The last `flood` answer's progress; null before the first. */
  flood: Flood | null;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const fake: FakeUpstream = {
    url: '',
    received: [],
    answer: { kind: 'json', body: {} },
    lastClosed: Promise.resolve(),
    flood: null,
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      fake.received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(parts).toString('utf8') || '{}'),
      });
      const answer = fake.answer;
      if (answer.kind === 'silent') {
        fake.lastClosed = new Promise((resolve) => res.once('close', () => resolve()));
        return;
      }
      if (answer.kind === 'json') {
        const text = JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, {
          'content-type': 'application/json',
          'x-request-id': 'req-fake',
        });
        res.end(text);
        return;
      }
      if (answer.kind === 'flood') {
        fake.flood = flood(res, answer.events, answer.size);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      fake.lastClosed = new Promise((resolve) => res.once('close', () => resolve()));
      const chunks = [...answer.chunks];
      const next = () => {
        if (res.destroyed) return;
        const chunk = chunks.shift();
        if (chunk === undefined) {
          if (!answer.hang) res.end();
          return;
        }
        res.write(chunk);
        setTimeout(next, answer.gapMs ?? 1);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** Writes a large OpenAI stream as fast as the connection takes it, with backpressure. */
function flood(res: ServerResponse, events: number, size: number): Flood {
  const chunk = (i: number) => {
    // Each event's text differs (its number and a rotation of the alphabet), so a lost, repeated or
    // reordered byte changes the digest.
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const rotated = letters.slice(i % 26) + letters.slice(0, i % 26);
    const content = `${i}:${rotated.repeat(Math.ceil(size / 26)).slice(0, size)}`;
    return openaiChunks('chatcmpl-flood', [{ content }], false)[0] as string;
  };
  const parts = events + 1;
  const part = (i: number) => (i < events ? chunk(i) : 'data: [DONE]\n\n');
  // Made again as they are written, so a large answer is never held whole.
  const hash = createHash('sha256');
  let total = 0;
  for (let i = 0; i < parts; i++) {
    const text = part(i);
    hash.update(text);
    total += Buffer.byteLength(text);
  }
  let blocks = 0;
  const onBlock = new Set<() => void>();
  let finish = () => {};
  const state: Flood = {
    total,
    written: 0,
    blocked: false,
    digest: hash.digest('hex'),
    finished: new Promise((resolve) => {
      finish = resolve;
    }),
    stalled: (ms) =>
      new Promise((resolve) => {
        const arm = () => {
          const mark = blocks;
          setTimeout(() => {
            if (state.blocked && blocks === mark) resolve(state.written);
            else if (state.blocked) arm();
            else onBlock.add(arm);
          }, ms);
        };
        if (state.blocked) arm();
        else onBlock.add(arm);
      }),
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let next = 0;
  const write = () => {
    while (next < parts) {
      if (res.destroyed) return;
      const text = part(next++);
      state.written += Buffer.byteLength(text);
      if (!res.write(text)) {
        state.blocked = true;
        blocks++;
        const waiting = [...onBlock];
        onBlock.clear();
        for (const arm of waiting) arm();
        res.once('drain', () => {
          state.blocked = false;
          write();
        });
        return;
      }
    }
    res.end(() => finish());
  };
  write();
  return state;
}

/** OpenAI chat completion chunks as server-sent events, ending with `[DONE]`. */
export function openaiChunks(id: string, deltas: Record<string, unknown>[], done = true): string[] {
  const events = deltas.map(
    (delta, i) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'gpt-fake',
        choices: [{ index: 0, delta, finish_reason: i === deltas.length - 1 && done ? 'stop' : null }],
      })}\n\n`,
  );
  return done ? [...events, 'data: [DONE]\n\n'] : events;
}

/** An Anthropic message stream (message_start ... message_stop) whose one text block holds `pieces`. */
export function anthropicChunks(id: string, pieces: string[], done = true): string[] {
  const event = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const start = [
    event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: 'claude-fake',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ];
  const deltas = pieces.map((text) =>
    event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
  );
  const end = [
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    }),
    event('message_stop', {}),
  ];
  return done ? [...start, ...deltas, ...end] : [...start, ...deltas];
}
