import type { EngramPubSub } from '../../src/events/pubsub.ts';
import type { SubscriptionGroups } from '../../src/http/shared-subscriptions.ts';

interface ListenerLog {
  /** Listeners the server has registered on the event bus so far. */
  registered: number;
  /** Waiting for the count to reach their number. */
  waiting: { count: number; resolve: () => void }[];
}

const logs = new WeakMap<EngramPubSub, ListenerLog>();

function registered(log: ListenerLog): void {
  log.registered += 1;
  for (const waiter of log.waiting.filter((waiter) => log.registered >= waiter.count)) waiter.resolve();
  log.waiting = log.waiting.filter((waiter) => log.registered < waiter.count);
}

/**
 * A graphql-ws subscription that joins a running group (src/http/shared-subscriptions.ts) listens
 * through the group's listener and registers none of its own: it counts as one all the same.
 */
export function countFollowsAsListeners(events: EngramPubSub, groups: SubscriptionGroups): void {
  const log = listenerLog(events);
  groups.onFollow(() => registered(log));
}

/**
 * Counts the server's subscription listeners as they are registered, by wrapping the event bus's
 * `subscribe`. yoga's pub/sub returns a lazy Repeater: it adds its event listener synchronously in
 * its first `next()`, which graphql-ws calls as soon as it starts iterating the subscription. So
 * once that first `next()` has run, an event published is an event received: no sleep needed.
 */
function listenerLog(events: EngramPubSub): ListenerLog {
  const existing = logs.get(events);
  if (existing) return existing;
  const log: ListenerLog = { registered: 0, waiting: [] };
  logs.set(events, log);
  const subscribe = events.subscribe;
  events.subscribe = ((...args: Parameters<typeof subscribe>) => {
    const iterator = subscribe(...args);
    let started = false;
    const wrapped: AsyncIterableIterator<unknown> = {
      [Symbol.asyncIterator]: () => wrapped,
      next: (...value: [] | [unknown]) => {
        const result = iterator.next(...value);
        if (!started) {
          started = true;
          registered(log);
        }
        return result;
      },
      return: (value?: unknown) => iterator.return(value),
      throw: (error?: unknown) => iterator.throw(error),
    };
    return wrapped;
  }) as typeof subscribe;
  return log;
}

/**
 * Resolves once the server has registered one more subscription listener than it had when this was
 * called: call it before subscribing, await it before publishing. Subscriptions opened at the same
 * time would all resolve on the first one: open them one after the other.
 */
export function nextListener(events: EngramPubSub): Promise<void> {
  const log = listenerLog(events);
  const count = log.registered + 1;
  return new Promise((resolve) => log.waiting.push({ count, resolve }));
}
