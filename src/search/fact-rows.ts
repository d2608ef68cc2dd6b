import { bytesToVector } from './codec.ts';
import type { FactState } from './partition-set.ts';

/** Rows read from the database at once, while building, following changes and verifying. */
export const BATCH = 2000;

/** The columns of `entity_fact` a {@link FactState} is made from. */
export const FACT_STATE_COLUMNS = {
  id: true,
  entityId: true,
  content: true,
  embedding: true,
  embeddingDim: true,
} as const;

/** A fact as read with {@link FACT_STATE_COLUMNS}. */
export interface FactRow {
  id: number;
  entityId: number;
  content: string;
  embedding: Uint8Array | null;
  embeddingDim: number | null;
}

/** The state the index should hold for a fact; a vector of another dimension is left out. */
export function toFactState(row: FactRow, dimension: number): FactState {
  const vector = row.embedding && row.embeddingDim === dimension ? bytesToVector(row.embedding) : null;
  return { factId: row.id, entityId: row.entityId, content: row.content, vector };
}
