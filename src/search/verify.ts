import type { Db } from '../db/client.ts';
import { BATCH } from './fact-rows.ts';
import { messageDocument } from './message-rows.ts';
import type { PartitionSet } from './partition-set.ts';

/** How the index and the database differ. */
export interface VerifyReport {
  facts: number;
  vectors: number;
  /** Facts (or their vectors) in the database that the index lacks; at most 100 ids (a message's negated). */
  missing: number[];
  /** Facts (or vectors) in the index that the database no longer has; at most 100 ids. */
  orphans: number[];
}

/**
 * Compares what the index holds (`held`, from the search thread) with the database, fact by fact:
 * a fact whose vector has the index's dimension must be there with its vector, any other fact
 * without one.
 */
export async function compareWithDatabase(
  db: Db,
  held: ReturnType<PartitionSet['listFacts']>,
  dimension: number,
): Promise<VerifyReport> {
  const inIndex = new Map<number, boolean>();
  held.factIds.forEach((factId, i) => {
    inIndex.set(factId, held.withVector[i] === 1);
  });
  const missing: number[] = [];
  const orphans: number[] = [];
  let facts = 0;
  let vectors = 0;
  let cursor = 0;
  for (;;) {
    const rows = await db.entityFact.findMany({
      where: { id: { gt: cursor } },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: { id: true, embeddingDim: true },
    });
    if (rows.length === 0) break;
    for (const row of rows) {
      facts++;
      const hasVector = row.embeddingDim === dimension;
      if (hasVector) vectors++;
      const indexed = inIndex.get(row.id);
      if (indexed === undefined || indexed !== hasVector) {
        if (indexed === true) orphans.push(row.id);
        else missing.push(row.id);
      }
      inIndex.delete(row.id);
    }
    cursor = (rows.at(-1) as { id: number }).id;
  }
  // Messages' entries, under their document ids (message-rows.ts).
  cursor = 0;
  for (;;) {
    const rows = await db.messageIndex.findMany({
      where: { messageId: { gt: cursor } },
      orderBy: { messageId: 'asc' },
      take: BATCH,
      select: { messageId: true, embeddingDim: true },
    });
    if (rows.length === 0) break;
    for (const row of rows) {
      const document = messageDocument(row.messageId);
      const hasVector = row.embeddingDim === dimension;
      const indexed = inIndex.get(document);
      if (indexed === undefined || indexed !== hasVector) {
        if (indexed === true) orphans.push(document);
        else missing.push(document);
      }
      inIndex.delete(document);
    }
    cursor = (rows.at(-1) as { messageId: number }).messageId;
  }
  for (const factId of inIndex.keys()) orphans.push(factId);
  return { facts, vectors, missing: missing.slice(0, 100), orphans: orphans.slice(0, 100) };
}
