/**
 * The hostile corpus as data: every case names its category, the request to send and what the
 * hardened server must answer. The runner (./run.ts) sends them; ./checks.ts judges the answers.
 */

/** A piece of a body or a raw write: text, `text` repeated `times`, or bytes in hex. */
export type Part = string | { repeat: string; times: number } | { hex: string };

/** Which server answers: the development-mode one without keys, or the production one with API_KEYS. */
export type Target = 'main' | 'keyed';

export interface HttpRequest {
  kind: 'http';
  target?: Target;
  /** @default POST */
  method?: string;
  /** Path and query string. @default /graphql */
  path?: string;
  /** Headers; content-type defaults to application/json and accept to application/json. */
  headers?: Record<string, string>;
  /** Omitted: no body. */
  body?: Part[];
  /** Send without content-length (Transfer-Encoding: chunked). */
  chunked?: boolean;
  /** The answer is a stream that may stay open: read it for this long, then hang up. */
  streamMs?: number;
}

export interface RawRequest {
  kind: 'raw';
  target?: Target;
  /** Written in order; a number pauses that many milliseconds. */
  writes: (Part | number)[];
  /** Read answers for at most this long, then hang up (a server that waits for more is fine). */
  holdMs?: number;
}

export interface WsRequest {
  kind: 'ws';
  target?: Target;
  /** @default graphql-transport-ws; null offers none */
  protocol?: string | null;
  headers?: Record<string, string>;
  /** Text frames (objects are JSON-encoded), binary frames as { binaryHex }, pauses as numbers. */
  frames: (string | Record<string, unknown> | { binaryHex: string } | { text: Part[] } | number)[];
  /** How long to listen after the last frame. @default 400 */
  listenMs?: number;
}

/** The same HTTP request sent `times` times at once. */
export interface BurstRequest {
  kind: 'burst';
  times: number;
  request: HttpRequest;
}

export type HostileRequest = HttpRequest | RawRequest | WsRequest | BurstRequest;

/** What a case's answer must show, on top of the invariants every answer must hold. */
export interface Expect {
  /** Allowed HTTP statuses (the first status line for raw requests). */
  status?: number[];
  /** Some GraphQL error must carry one of these codes. */
  codes?: string[];
  /**
   * Refused as a client mistake: the value at `path` in data is null, empty (0, [], no edges),
   * or a typed user error (`__typename` ending in Error), or a coded non-internal error came back.
   */
  refused?: { path: string };
  /** A partial match of `data` (objects by key, arrays by length and position). */
  data?: unknown;
  /** No `access-control-allow-origin` header on the answer. */
  noCorsHeader?: boolean;
  /** This entity must not exist afterwards (the request was never executed). */
  noWrite?: string;
  /** Answered within this many ms. @default 5000 */
  maxMs?: number;
  /** WebSocket: the socket was closed with one of these codes (0: the handshake was refused). */
  closeCodes?: number[];
  /** WebSocket: an `error` message arrived for each of these operation ids. */
  wsErrorFor?: string[];
  /** WebSocket: still open when we stopped listening. */
  wsOpen?: boolean;
  /** The body (whole, as text) must not match this regular expression. */
  bodyNotMatch?: string;
  /** Raw: a hang-up or timeout without any answer is fine (slowloris, unterminated bodies). */
  silenceOk?: boolean;
}

/** A follow-up request whose answer proves the first was stored or compared literally. */
export interface FollowUp {
  request: HttpRequest;
  expect: Expect;
}

export interface HostileCase {
  name: string;
  category: string;
  request: HostileRequest;
  expect?: Expect;
  followUp?: FollowUp;
}

/** Ids of the seed data each server gets before the corpus runs (global ids, base64). */
export interface Seed {
  factId: string;
  tripleId: string;
  sessionId: string;
  sessionUuid: string;
  conversationId: string;
  messageId: string;
  /** A valid cursor of seed's facts connection. */
  factCursor: string;
}
