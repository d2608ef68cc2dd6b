import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { decodeEvent, encodeEvent } from './codec.ts';
import type { EventTransport } from './pubsub.ts';

export interface PostgresTransportOptions {
  /** A direct connection to the shared database (EVENT_BUS_DATABASE_URL, else DATABASE_URL). */
  url: string;
  /** The NOTIFY channel (EVENT_BUS_CHANNEL), so deployments can share a database server. */
  channel: string;
  logger: Logger;
}

/** NOTIFY refuses payloads of 8000 bytes or more; the margin leaves room for a chunk's header. */
const CHUNK_BYTES = 7_800;
const MAX_BACKOFF_MS = 5_000;

/** `text` cut into pieces of at most `bytes` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, bytes: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  let size = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i) as number;
    const units = code > 0xffff ? 2 : 1;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (size + width > bytes) {
      pieces.push(text.slice(start, i));
      start = i;
      size = 0;
    }
    size += width;
    i += units;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/**
 * EVENT_BUS=postgres: LISTEN/NOTIFY on the shared database, no other service. One channel carries
 * every event as `{"type":…,"detail":…}`; NOTIFY delivers at commit, in commit order, to every
 * listening process (this one too). An event over 8000 bytes (a long message or fact) travels as
 * numbered chunks (`~<id>:<index>:<count>:<text>`) sent in one statement, so they commit, and
 * arrive, together. The payload is the row as it was published, not a reference: a forgotten
 * fact's row no longer exists to be read back, and a re-read would show later changes.
 *
 * One dedicated connection listens and notifies (LISTEN does not survive a transaction-mode
 * pooler); while it is down, published events wait in memory and are sent on reconnecting.
 */
export function createPostgresTransport(options: PostgresTransportOptions): EventTransport {
  const { logger, channel } = options;
  const listeners = new Map<string, Set<EventListener>>();
  const disconnectListeners: (() => void)[] = [];
  /** Events waiting to be sent, each as the NOTIFY payloads of one statement. */
  const outbox: string[][] = [];
  /** Chunked events being reassembled, by id. */
  const partial = new Map<string, string[]>();
  let client: pg.Client | null = null;
  let closing = false;
  let flushing: Promise<void> | null = null;
  let firstConnect: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | undefined;

  const deliver = (text: string) => {
    let event: { type: string; detail: unknown };
    try {
      event = decodeEvent(text) as typeof event;
    } catch (error) {
      logger.warn({ err: error }, 'an unreadable event arrived on the PostgreSQL event bus: ignored');
      return;
    }
    for (const listener of listeners.get(event.type) ?? []) {
      listener(new CustomEvent(event.type, { detail: event.detail }));
    }
  };

  const received = (message: pg.Notification) => {
    const payload = message.payload;
    if (message.channel !== channel || !payload) return;
    if (!payload.startsWith('~')) return deliver(payload);
    const [, id = '', index = '', count = ''] = payload.match(/^~([^:]+):(\d+):(\d+):/) ?? [];
    const total = Number(count);
    const parts = partial.get(id) ?? new Array<string>(total);
    partial.set(id, parts);
    parts[Number(index)] = payload.slice(`~${id}:${index}:${count}:`.length);
    if (parts.filter((part) => part !== undefined).length === total) {
      partial.delete(id);
      deliver(parts.join(''));
    }
  };

  /** Sends the outbox in order, one event per statement; one sender at a time. */
  const flush = (): Promise<void> => {
    if (!flushing) {
      flushing = send().finally(() => {
        flushing = null;
        // An event published while the loop was finishing.
        if (client && outbox.length > 0) void flush();
      });
    }
    return flushing;
  };
  const send = async () => {
    // Deferred a tick, so `flushing` is set before the loop can finish.
    await Promise.resolve();
    while (client && outbox.length > 0) {
      const payloads = outbox[0] as string[];
      const calls = payloads.map((_, i) => `pg_notify($1, $${i + 2})`).join(', ');
      try {
        await client.query(`SELECT ${calls}`, [channel, ...payloads]);
        outbox.shift();
      } catch (error) {
        // The connection broke: the event waits for the next one. Anything else is the event's own fault.
        if (!client) break;
        outbox.shift();
        logger.error({ err: error }, 'an event could not be published through PostgreSQL: it is lost');
      }
    }
  };

  const lost = (from: pg.Client) => {
    if (client !== from) return;
    client = null;
    partial.clear();
    from.removeAllListeners('notification');
    void from.end().catch(() => {});
    if (closing) return;
    logger.warn('PostgreSQL event bus connection lost: open subscriptions end with EVENTS_MISSED');
    for (const listener of disconnectListeners) listener();
    schedule(100);
  };

  const connect = async (): Promise<void> => {
    // Named, so pg_stat_activity tells an operator whose connection this is.
    const next = new pg.Client({
      connectionString: options.url,
      keepAlive: true,
      application_name: `${channel}-events`,
    });
    // Errors of a live connection (pg_terminate_backend, a restart) arrive here, then 'end'.
    next.on('error', (error) => {
      logger.warn({ err: error }, 'PostgreSQL event bus error');
      lost(next);
    });
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    next.on('notification', received);
    client = next;
    void flush();
  };

  const schedule = (delayMs: number) => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      connect().then(
        () => logger.info('PostgreSQL event bus reconnected'),
        (error: unknown) => {
          logger.warn({ err: error }, 'PostgreSQL event bus cannot reconnect yet');
          if (!closing) schedule(Math.min(delayMs * 2, MAX_BACKOFF_MS));
        },
      );
    }, delayMs);
  };

  const target: EventTarget = {
    addEventListener(type, callback) {
      if (typeof callback !== 'function') return;
      const set = listeners.get(type) ?? new Set();
      set.add(callback);
      listeners.set(type, set);
    },
    removeEventListener(type, callback) {
      const set = listeners.get(type);
      if (typeof callback !== 'function' || !set) return;
      set.delete(callback);
      if (set.size === 0) listeners.delete(type);
    },
    dispatchEvent(event) {
      const text = encodeEvent({ type: event.type, detail: (event as CustomEvent).detail });
      if (Buffer.byteLength(text) <= CHUNK_BYTES) outbox.push([text]);
      else {
        const id = randomBytes(6).toString('hex');
        const pieces = splitUtf8(text, CHUNK_BYTES);
        outbox.push(pieces.map((piece, index) => `~${id}:${index}:${pieces.length}:${piece}`));
      }
      void flush();
      return true;
    },
  };

  return {
    target,
    connected: () => client !== null,
    onDisconnect: (listener) => disconnectListeners.push(listener),
    ready: () => (firstConnect ??= connect()),
    async close() {
      closing = true;
      clearTimeout(retryTimer);
      // A command that only published (`engram erase`) connects now, to send what it published.
      if (!firstConnect && outbox.length > 0) firstConnect = connect();
      await firstConnect?.catch((error: unknown) =>
        logger.error({ err: error }, 'events could not be sent through PostgreSQL: they are lost'),
      );
      await flush();
      const last = client;
      client = null;
      await last?.end().catch(() => {});
    },
  };
}
