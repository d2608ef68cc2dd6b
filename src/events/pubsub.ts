import { createPubSub, filter, pipe } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type {
  AuditEntry,
  AugmentationJob,
  ConversationMessage,
  EntityFact,
  Triple,
} from '../db/generated/client.ts';

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

/**
 * Typed topics, each keyed by what subscribers filter on (a session's database id, an
 * entity's external id), so a subscriber only receives its own events, even for an entity
 * that does not exist yet when it subscribes.
 */
export type EngramTopics = {
  'message-added': [sessionId: number, payload: ConversationMessage];
  'fact-changed': [entityExternalId: string, payload: FactChangedEvent];
  'triple-changed': [entityExternalId: string, payload: TripleChangedEvent];
  'augmentation-completed': [entityExternalId: string, payload: AugmentationJob];
  /** Every audit entry, once committed: one topic, filtered by the (administrator) subscriber. */
  'audit-logged': [payload: AuditEntry];
};

export type EngramPubSub = ReturnType<typeof createEventBus>;

/** Erasures remembered, for events still queued to subscribers; older ones have long been delivered. */
const ERASURES_KEPT = 10_000;

/**
 * In-process pub/sub; published only after the writing transaction commits.
 *
 * An event is queued to each subscriber when it is published and delivered when the subscriber
 * next pulls. `erased()` (called by eraseEntity after its commit) makes every event about that
 * entity (or its sessions) published before the erase undeliverable, so no event still in flight
 * carries erased memory to anyone.
 */
export function createEventBus() {
  const pubsub = createPubSub<EngramTopics>();
  let sequence = 0;
  /** When each payload was published (payloads are objects, one per publish). */
  const publishedAt = new WeakMap<object, number>();
  /** `entity:<external id>` or `session:<id>` → the sequence number of its erase. */
  const erasedAt = new LRUCache<string, number>({ max: ERASURES_KEPT });
  const keyOf = (topic: keyof EngramTopics, id: unknown) =>
    topic === 'message-added'
      ? `session:${String(id)}`
      : topic === 'audit-logged'
        ? null
        : `entity:${String(id)}`;

  const bus = {
    publish: ((...args: unknown[]) => {
      const payload = args.at(-1);
      if (payload && typeof payload === 'object') publishedAt.set(payload, ++sequence);
      (pubsub.publish as (...values: unknown[]) => void)(...args);
    }) as typeof pubsub.publish,
    subscribe: ((topic: keyof EngramTopics, id?: unknown) => {
      const source = (pubsub.subscribe as unknown as (...values: unknown[]) => AsyncIterable<unknown>)(
        ...(id === undefined ? [topic] : [topic, id]),
      );
      const key = keyOf(topic, id);
      if (key === null) return source;
      return pipe(
        source,
        filter((payload) => {
          const erased = erasedAt.get(key);
          return (
            erased === undefined || (publishedAt.get(payload as object) ?? Number.POSITIVE_INFINITY) > erased
          );
        }),
      );
    }) as typeof pubsub.subscribe,
    /** Drops the entity's (and its sessions') events published until now and not yet delivered. */
    erased(entityExternalId: string, sessionIds: readonly number[]): void {
      const at = ++sequence;
      erasedAt.set(`entity:${entityExternalId}`, at);
      for (const id of sessionIds) erasedAt.set(`session:${id}`, at);
    },
  };
  return bus;
}
