import { bytesToVector } from './codec.ts';
import type { FactState } from './partition-set.ts';

/*
 * Messages in the search index. The index holds documents per partition: an entity's facts under
 * the entity's id, its messages (their `message_index` rows) under the negated entity id, each
 * message under its negated message id. Fact and message ids never meet, so the partitions, the
 * change log's replay, the snapshots and their purge handle messages as they handle facts.
 */

/** The partition of an entity's messages. */
export const messagePartition = (entityId: number): number => -entityId;

/** A message's document id in the index. */
export const messageDocument = (messageId: number): number => -messageId;

/** The message a document id stands for, or null when it is a fact's. */
export const messageOfDocument = (documentId: number): number | null => (documentId < 0 ? -documentId : null);

/** The columns of `message_index` a document is made from. */
export const MESSAGE_STATE_COLUMNS = {
  messageId: true,
  entityId: true,
  text: true,
  embedding: true,
  embeddingDim: true,
} as const;

/** A `message_index` row as read with {@link MESSAGE_STATE_COLUMNS}. */
export interface MessageRow {
  messageId: number;
  entityId: number;
  text: string;
  embedding: Uint8Array | null;
  embeddingDim: number | null;
}

/** The document the index should hold for a message; a vector of another dimension is left out. */
export function toMessageState(row: MessageRow, dimension: number): FactState {
  const vector = row.embedding && row.embeddingDim === dimension ? bytesToVector(row.embedding) : null;
  return {
    factId: messageDocument(row.messageId),
    entityId: messagePartition(row.entityId),
    content: row.text,
    vector,
  };
}

/** A message no longer indexed (deleted, or its entry gone): the index drops its document. */
export function goneMessageState(messageId: number): FactState {
  return { factId: messageDocument(messageId), entityId: -1, content: null, vector: null };
}
