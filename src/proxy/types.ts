import type { IncomingMessage } from 'node:http';
import type { ProxyUpstream } from '../config/config.ts';

/** A request body as the client sent it (JSON object). */
export type Body = Record<string, unknown>;

/**
 * Most of an upstream answer kept at once to read the reply from: a whole (non-streamed) answer in
 * bytes, one server-sent event or line in characters. The client gets all of it regardless.
 */
export const MAX_KEPT = 8 * 1024 * 1024;

/** What the model answered, as far as it arrived. */
export interface Reply {
  text: string;
  /** Tool calls as the provider shaped them (name and arguments), in order. */
  toolCalls: unknown[];
  /** The text went on beyond what was kept (a stream keeps what a message can store). */
  textTruncated?: boolean;
  /** The tool calls went on beyond what was kept. */
  toolCallsTruncated?: boolean;
}

/** A refusal in the provider's own error shape. */
export interface ProxyError {
  status: number;
  /** The provider's error type (`invalid_request_error`, `permission_error`...). */
  type: string;
  message: string;
}

/**
 * Collects a streamed reply from the upstream's server-sent events, keeping at most what recording
 * can store: the stream itself may be any length.
 */
export interface StreamReader {
  event(name: string | null, data: string): void;
  reply(): Reply;
  /**
   * The stream's own end marker arrived (OpenAI `[DONE]`, Anthropic `message_stop`): the reply is
   * whole even if the client hung up right after it, as SDKs do.
   */
  ended(): boolean;
}

/** What differs between the OpenAI and the Anthropic wire formats. */
export interface Provider {
  name: 'openai' | 'anthropic';
  /** The path served here. */
  path: string;
  /** Appended to the upstream's base URL. */
  upstreamPath: string;
  errorBody(error: ProxyError): unknown;
  /** The body's own user id (OpenAI `user`, Anthropic `metadata.user_id`). */
  bodyUser(body: Body): string | undefined;
  /** The text of the latest user message, null when the conversation has none. */
  latestUserText(body: Body): string | null;
  /** The body with the memory block added as system text; the caller's messages are untouched. */
  inject(body: Body, block: string): Body;
  /** Headers for the upstream: its key (or the caller's, when passed through) and the provider's own. */
  upstreamHeaders(
    req: IncomingMessage,
    upstream: ProxyUpstream,
    passThroughKeys: boolean,
  ): Record<string, string>;
  /** The reply of a whole (non-streamed) JSON answer. */
  replyOf(json: unknown): Reply;
  /**
   * A reader that keeps at most `limit` characters of the reply's text and as many of its tool
   * calls (ids, names and arguments): recording stores no more of either (MAX_CONTENT_LENGTH).
   */
  streamReader(limit: number): StreamReader;
}

/** Hands out at most `limit` characters in all; `cut` tells whether anything was refused. */
export function characterBudget(limit: number) {
  let left = limit;
  let cut = false;
  return {
    /** `text` if it fits, else its start that does (possibly empty). */
    take(text: string): string {
      if (text.length <= left) {
        left -= text.length;
        return text;
      }
      cut = true;
      const kept = text.slice(0, left);
      left = 0;
      return kept;
    },
    /** Spends `count` characters if they are left; false (and cut) if not. */
    spend(count: number): boolean {
      if (count > left) {
        cut = true;
        return false;
      }
      left -= count;
      return true;
    },
    get cut() {
      return cut;
    },
  };
}

export type CharacterBudget = ReturnType<typeof characterBudget>;

/** Text of a content that is a string or a list of typed parts (only `text` parts count). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) =>
      part && typeof part === 'object' && (part as { type?: unknown }).type === 'text'
        ? String((part as { text?: unknown }).text ?? '')
        : '',
    )
    .filter(Boolean)
    .join('\n');
}

/** One request header's value (the first, when repeated). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** Copies the named request headers that are present. */
export function copyHeaders(req: IncomingMessage, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = header(req, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
