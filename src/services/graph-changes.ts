/**
 * The Neo4j mirror's outbox (table graph_change): what a write tells the mirror, inserted in the
 * write's own transaction so that a committed write always has its row and a rolled-back one none.
 * Rows hold ids only; the mirror reads each triple's state when it applies the row. Writers call
 * these only while the mirror is configured (`ServiceDeps.graphMirror`).
 */
import type { Tx } from './transactions.ts';

/** Records that these triples of an entity changed (written, superseded, reopened or deleted). */
export async function recordTripleChanges(
  tx: Tx,
  entityId: number,
  tripleIds: readonly number[],
): Promise<void> {
  if (tripleIds.length === 0) return;
  await tx.graphChange.createMany({
    data: [...new Set(tripleIds)].map((tripleId) => ({ entityId, tripleId })),
  });
}

/**
 * Records an erased entity: its pending rows go (the erase supersedes them) and one row, carrying
 * the external id Neo4j keys the entity's names by, asks the mirror to remove the whole entity.
 * That row is deleted as soon as the erase reached Neo4j.
 */
export async function recordEntityErased(tx: Tx, entityId: number, externalId: string): Promise<void> {
  await tx.graphChange.deleteMany({ where: { entityId } });
  await tx.graphChange.create({ data: { entityId, erasedEntity: externalId } });
}
