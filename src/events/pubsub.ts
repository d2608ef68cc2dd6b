import { createPubSub, filter, pipe, Repeater } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type {
  AuditEntry,
  AugmentationJob,
  ConversationMessage,
  EntityFact,
  Triple,
} from '../db/generated/client.ts';
import { EngramError } from '../errors.ts';

export type ChangeKind = 'CREATED' | 'MENTIONED' | 'FORGOTTEN' | 'SUPERSEDED';

export interface FactChangedEvent {
  kind: ChangeKind;
  fact: EntityFact;
  entity: string;
}

export interface TripleChangedEvent {
  kind: ChangeKind;
  triple: Triple;
  entity: string;
}

/** An entity was erased (by any process): its events still in flight are dropped everywhere. */
export interface EntityErasedEvent {
  entity: string;
  sessionIds: number[];
}

/**
 * Typed topics, each keyed by what subscribers filter on (a session's database id, an
 * entity's external id), so a subscriber only receives its own events, even for an entity
 * that does not exist yet when it subscribes. On a bus between processes the key is part of the
 * channel, so a process is sent only what its own subscribers asked for (Redis).
 */
export type EngramTopics = {
  'message-added': [sessionId: number, payload: ConversationMessage];
  'fact-changed': [entityExternalId: string, payload: FactChangedEvent];
  'triple-changed': [entityExternalId: string, payload: TripleChangedEvent];
  'augmentation-completed': [entityExternalId: string, payload: AugmentationJob];
  /** Every audit entry, once committed: one topic, filtered by the (administrator) subscriber. */
  'audit-logged': [payload: AuditEntry];
};

/** The event type the bus's own erase notices travel under (no subscriber can name it). */
export const ERASED_TOPIC = 'entity-erased';

/**
 * Where events go between processes: an EventTarget whose `dispatchEvent` sends an event to
 * every process (this one included) and whose listeners are called as events arrive, in the
 * broker's order. The memory bus needs none.
 */
export interface EventTransport {
  target: EventTarget;
  /** Whether events are arriving now; false while the connection to the broker is down. */
  connected(): boolean;
  /** `listener` is called each time the connection drops (events may be lost until it is back). */
  onDisconnect(listener: () => void): void;
  /** Resolves once the connection is up (it reconnects on its own after that). */
  ready(): Promise<void>;
  /** Sends what is still queued, then closes. */
  close(): Promise<void>;
}

/**
 * What a subscription ends with when events may have been lost on the way (the bus connection
 * dropped): the client should read the current state again and subscribe anew.
 */
export class EventsMissedError extends EngramError {
  constructor() {
    super(
      'EVENTS_MISSED',
      'the event bus lost its connection, so events may have been missed: read the current state again and resubscribe',
    );
    this.name = 'EventsMissedError';
  }
}

export type EngramPubSub = ReturnType<typeof createEventBus>;

/** Erasures remembered, for events still queued to subscribers; older ones have long been delivered. */
const ERASURES_KEPT = 10_000;

/**
 * The event bus behind every subscription; published only after the writing transaction commits.
 *
 * Without a transport it is one process's (EVENT_BUS=memory). With one, every event goes out
 * through it and reaches this process's subscribers only as it comes back, so all processes see
 * the events, erase notices included, in one order: the broker's.
 *
 * An event is queued to each subscriber when it arrives and delivered when the subscriber next
 * pulls. `erased()` (called by eraseEntity after its commit) makes every event about that entity
 * (or its sessions) that arrived before the erase undeliverable, in every process, so no event
 * still in flight carries erased memory to anyone. When the transport's connection drops, every
 * open subscription ends with {@link EventsMissedError}, since what was published meanwhile is lost.
 */
export function createEventBus(transport: EventTransport | null = null) {
  const target = transport?.target ?? new EventTarget();
  let sequence = 0;
  /** When each payload arrived (payloads are objects, one per event). */
  const arrivedAt = new WeakMap<object, number>();
  /** `entity:<external id>` or `session:<id>` → the sequence number of its erase. */
  const erasedAt = new LRUCache<string, number>({ max: ERASURES_KEPT });
  const markErased = ({ entity, sessionIds }: EntityErasedEvent) => {
    const at = ++sequence;
    erasedAt.set(`entity:${entity}`, at);
    for (const id of sessionIds) erasedAt.set(`session:${id}`, at);
  };
  /** Subscriptions to end when the connection drops. */
  const open = new Set<() => void>();
  transport?.onDisconnect(() => {
    for (const end of [...open]) end();
  });

  // Stamped as it arrives, before any subscriber's queue holds it: the erase check compares this.
  const stamp = (event: Event) => {
    const detail = (event as CustomEvent).detail as unknown;
    if (detail && typeof detail === 'object' && !arrivedAt.has(detail)) arrivedAt.set(detail, ++sequence);
  };
  const listeners = new WeakMap<EventListener, EventListener>();
  const stamped: EventTarget = {
    addEventListener(type, callback) {
      if (!callback) return;
      const handle = typeof callback === 'function' ? callback : callback.handleEvent.bind(callback);
      const wrapped: EventListener = (event) => {
        stamp(event);
        handle(event);
      };
      listeners.set(handle, wrapped);
      target.addEventListener(type, wrapped);
    },
    removeEventListener(type, callback) {
      if (!callback) return;
      const handle = typeof callback === 'function' ? callback : callback.handleEvent;
      const wrapped = listeners.get(handle);
      if (wrapped) target.removeEventListener(type, wrapped);
    },
    dispatchEvent: (event) => target.dispatchEvent(event),
  };
  const pubsub = createPubSub<EngramTopics>({ eventTarget: stamped as never });
  let listening = false;

  const keyOf = (topic: keyof EngramTopics, id: unknown) =>
    topic === 'message-added'
      ? `session:${String(id)}`
      : topic === 'audit-logged'
        ? null
        : `entity:${String(id)}`;

  /** The source, ending with EVENTS_MISSED if the connection drops while it is open. */
  const untilDisconnect = <T>(source: AsyncIterable<T>): AsyncIterable<T> => {
    if (!transport) return source;
    return new Repeater<T>(async (push, stop) => {
      const iterator = source[Symbol.asyncIterator]();
      const end = () => stop(new EventsMissedError());
      open.add(end);
      if (!transport.connected()) end();
      stop.then(() => {
        open.delete(end);
        void iterator.return?.();
      });
      const stopped = stop.then(() => ({ done: true, value: undefined }) as const);
      for (;;) {
        const result = await Promise.race([iterator.next(), stopped]);
        if (result.done) break;
        await push(result.value);
      }
      stop();
    });
  };

  return {
    publish: pubsub.publish,
    subscribe: ((topic: keyof EngramTopics, id?: unknown) => {
      const source = untilDisconnect(
        (pubsub.subscribe as unknown as (...values: unknown[]) => AsyncIterable<unknown>)(
          ...(id === undefined ? [topic] : [topic, id]),
        ),
      );
      const key = keyOf(topic, id);
      if (key === null) return source;
      // Checked as the subscriber pulls, so an erase reaches events already queued to it.
      return pipe(
        source,
        filter((payload) => {
          const erased = erasedAt.get(key);
          return (
            erased === undefined || (arrivedAt.get(payload as object) ?? Number.POSITIVE_INFINITY) > erased
          );
        }),
      );
    }) as typeof pubsub.subscribe,
    /** Drops the entity's (and its sessions') events that arrived until now and are not yet delivered, in every process. */
    erased(entityExternalId: string, sessionIds: readonly number[]): void {
      const notice: EntityErasedEvent = { entity: entityExternalId, sessionIds: [...sessionIds] };
      // At once here; and again in every process (this one included) as the notice arrives, which
      // covers what was published elsewhere before the erase and is still on its way.
      markErased(notice);
      if (transport) target.dispatchEvent(new CustomEvent(ERASED_TOPIC, { detail: notice }));
    },
    /** Listens for erase notices and resolves once events flow (at once in memory). */
    ready(): Promise<void> {
      if (!transport) return Promise.resolve();
      if (!listening) {
        listening = true;
        // Erase notices from every process (this one's too) are applied the moment they arrive.
        target.addEventListener(ERASED_TOPIC, (event) =>
          markErased((event as CustomEvent<EntityErasedEvent>).detail),
        );
      }
      return transport.ready();
    },
    /** Whether events are arriving now (always in memory). */
    connected: (): boolean => transport?.connected() ?? true,
    close: (): Promise<void> => transport?.close() ?? Promise.resolve(),
  };
}
