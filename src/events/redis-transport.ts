import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { decodeEvent, encodeEvent } from './codec.ts';
import type { EventTransport } from './pubsub.ts';

export interface RedisTransportOptions {
  /** REDIS_URL. */
  url: string;
  /** Prefix of every channel, so deployments can share a Redis. @default 'engram' (EVENT_BUS_CHANNEL) */
  channel: string;
  logger: Logger;
}

/** How long a start waits for Redis before failing (ioredis keeps trying meanwhile). */
const READY_TIMEOUT_MS = 15_000;

function whenReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'wait') client.connect().catch(() => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', done);
      reject(new Error(`Redis (REDIS_URL) did not answer within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    function done() {
      clearTimeout(timer);
      resolve();
    }
    client.once('ready', done);
  });
}

/**
 * EVENT_BUS=redis: Redis pub/sub through `@graphql-yoga/redis-event-target`, one channel per
 * topic and key (`engram:fact-changed:alice`), so Redis sends a process only the events its own
 * subscribers asked for. Two connections: a subscriber connection can issue nothing but
 * (un)subscribe.
 */
export function createRedisTransport(options: RedisTransportOptions): EventTransport {
  const { logger } = options;
  // With ioredis 5.11 the handshake's CLIENT SETINFO and ready check (INFO) can race the first
  // SUBSCRIBE, and that subscription is silently lost (#2037): the subscriber sends neither. Named,
  // so CLIENT LIST tells an operator whose connections these are. Lazy: a command that only
  // publishes (`engram erase`) opens no subscriber connection.
  const common = { disableClientInfo: true, lazyConnect: true };
  const publisher = new Redis(options.url, { ...common, connectionName: `${options.channel}-publisher` });
  const subscriber = new Redis(options.url, {
    ...common,
    enableReadyCheck: false,
    connectionName: `${options.channel}-subscriber`,
  });
  const disconnectListeners: (() => void)[] = [];
  let up = false;
  let closing = false;
  for (const [name, client] of [
    ['publisher', publisher],
    ['subscriber', subscriber],
  ] as const) {
    // Without a listener ioredis prints every connection error; it reconnects on its own.
    client.on('error', (error: Error) =>
      logger.warn({ err: error, connection: name }, 'Redis event bus error'),
    );
  }
  subscriber.on('ready', () => {
    if (!up) logger.info('Redis event bus connected');
    up = true;
  });
  subscriber.on('close', () => {
    if (!up || closing) return;
    up = false;
    // Whatever was published until it resubscribes (ioredis does, on reconnecting) is lost to us.
    logger.warn('Redis event bus connection lost: open subscriptions end with EVENTS_MISSED');
    for (const listener of disconnectListeners) listener();
  });

  const prefix = `${options.channel}:`;
  const inner = createRedisEventTarget({
    // A failed publish must not become an unhandled rejection (the event target does not await it).
    publishClient: {
      publish: (channel: string, message: string) =>
        publisher.publish(channel, message).catch((error: unknown) => {
          logger.error({ err: error, channel }, 'an event could not be published to Redis: it is lost');
          return 0;
        }),
    } as unknown as Redis,
    subscribeClient: subscriber,
    serializer: { stringify: encodeEvent, parse: decodeEvent },
  });
  // Prefixed here, so the bus and the subscribers keep the plain topic names.
  const target: EventTarget = {
    addEventListener: (type, callback) => inner.addEventListener(prefix + type, callback as never),
    removeEventListener: (type, callback) => inner.removeEventListener(prefix + type, callback as never),
    dispatchEvent: (event) =>
      inner.dispatchEvent(
        new CustomEvent(prefix + event.type, { detail: (event as CustomEvent).detail }) as never,
      ),
  };

  return {
    target,
    connected: () => up,
    onDisconnect: (listener) => disconnectListeners.push(listener),
    ready: () => Promise.all([publisher, subscriber].map(whenReady)).then(() => {}),
    async close() {
      closing = true;
      // quit() waits for the replies of what was sent (the last publishes), unlike disconnect().
      await Promise.all(
        [publisher, subscriber].map((client) =>
          client.status === 'wait' || client.status === 'end'
            ? undefined
            : client.quit().catch(() => client.disconnect()),
        ),
      );
    },
  };
}
