import { Prisma } from './generated/client.ts';

/**
 * The physical table of each Prisma model (its `@@map` in prisma/schema.prisma), for the SQL
 * written by hand: planned reads, row locks, batched counts. Typed by the models, so a new model
 * is a type error until it is named here; tests/db-tables.test.ts checks the names against the
 * schema.
 */
export const TABLES = {
  Entity: 'entity',
  Process: 'process',
  ProcessAttribute: 'process_attribute',
  Session: 'session',
  Conversation: 'conversation',
  ConversationMessage: 'conversation_message',
  MessageIndex: 'message_index',
  EntityFact: 'entity_fact',
  FactMention: 'fact_mention',
  TripleSubject: 'subject',
  TriplePredicate: 'predicate',
  TripleObject: 'object',
  Triple: 'knowledge_graph',
  TripleInterval: 'triple_interval',
  TripleMention: 'triple_mention',
  VectorChange: 'vector_change',
  AugmentationJob: 'augmentation_job',
  IdempotentCall: 'idempotent_call',
  AuditEntry: 'audit_entry',
  Tombstone: 'tombstone',
  GraphChange: 'graph_change',
  GraphMirrorState: 'graph_mirror',
  GraphDegree: 'graph_degree',
  EngramMeta: 'engram_meta',
} as const satisfies Record<Prisma.ModelName, string>;

/** A model's table as a fragment of a Prisma tagged template (`$queryRaw`): a constant, never input. */
export function tableSql(model: keyof typeof TABLES): Prisma.Sql {
  return Prisma.raw(TABLES[model]);
}
