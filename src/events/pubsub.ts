import { createPubSub } from 'graphql-yoga';
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

/** In-process pub/sub; published only after the writing transaction commits. */
export function createEventBus() {
  return createPubSub<EngramTopics>();
}
