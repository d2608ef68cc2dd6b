import type { Tx } from '../db/client.ts';
import type { RecordKind } from './format.ts';

/** The Prisma delegate of each record kind. */
export const DELEGATES = {
  process: 'process',
  processAttribute: 'processAttribute',
  entity: 'entity',
  session: 'session',
  conversation: 'conversation',
  message: 'conversationMessage',
  job: 'augmentationJob',
  call: 'idempotentCall',
  fact: 'entityFact',
  factMention: 'factMention',
  subject: 'tripleSubject',
  predicate: 'triplePredicate',
  object: 'tripleObject',
  triple: 'triple',
  tripleInterval: 'tripleInterval',
  tripleMention: 'tripleMention',
  tombstone: 'tombstone',
  audit: 'auditEntry',
} as const satisfies Record<RecordKind, keyof Tx>;

/** The physical table of each kind (for the id sequences). */
export const TABLE_NAMES: Record<RecordKind, string> = {
  process: 'process',
  processAttribute: 'process_attribute',
  entity: 'entity',
  session: 'session',
  conversation: 'conversation',
  message: 'conversation_message',
  job: 'augmentation_job',
  call: 'idempotent_call',
  fact: 'entity_fact',
  factMention: 'fact_mention',
  subject: 'subject',
  predicate: 'predicate',
  object: 'object',
  triple: 'knowledge_graph',
  tripleInterval: 'triple_interval',
  tripleMention: 'triple_mention',
  tombstone: 'tombstone',
  audit: 'audit_entry',
};

/**
 * The delegate of a kind, loosely typed: the backup code moves rows of every table through the
 * same few calls (findMany with a cursor, createMany, count), which Prisma types per model.
 */
export interface LooseDelegate {
  findMany(args: object): Promise<Record<string, unknown>[]>;
  createMany(args: { data: object[] }): Promise<{ count: number }>;
  count(args: object): Promise<number>;
  deleteMany(args: object): Promise<{ count: number }>;
  aggregate(args: object): Promise<{ _max: { id: number | null } }>;
}

export function delegate(client: Tx, kind: RecordKind): LooseDelegate {
  return client[DELEGATES[kind]] as unknown as LooseDelegate;
}
