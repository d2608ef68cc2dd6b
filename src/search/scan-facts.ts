import type { Db } from '../db/client.ts';
import { BATCH, FACT_STATE_COLUMNS, toFactState } from './fact-rows.ts';
import { MESSAGE_STATE_COLUMNS, toMessageState } from './message-rows.ts';
import type { CallSearchThread } from './search-protocol.ts';

/** Progress of a long operation (a rebuild): `done` of `total` facts. */
export type ProgressListener = (done: number, total: number) => void;

/**
 * Empties the search thread's index and loads every fact and indexed message of the database into it, in bulk (the
 * HNSW graphs are built once at the end). Returns when the scan began, where following the
 * change log has to resume from (see ChangeFollower.restartAfterScan).
 */
export async function scanFactsInto(
  db: Db,
  call: CallSearchThread,
  dimension: number,
  onProgress: ProgressListener,
): Promise<number> {
  await call('clear');
  await call('beginBulk');
  const scanStarted = Date.now();
  const total = (await db.entityFact.count()) + (await db.messageIndex.count());
  let done = 0;
  let cursor = 0;
  for (;;) {
    const rows = await db.entityFact.findMany({
      where: { id: { gt: cursor } },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: FACT_STATE_COLUMNS,
    });
    if (rows.length === 0) break;
    await call(
      'apply',
      rows.map((row) => toFactState(row, dimension)),
    );
    done += rows.length;
    cursor = (rows.at(-1) as { id: number }).id;
    onProgress(done, total);
  }
  // Then the messages' index entries (message-rows.ts), the same way.
  cursor = 0;
  for (;;) {
    const rows = await db.messageIndex.findMany({
      where: { messageId: { gt: cursor } },
      orderBy: { messageId: 'asc' },
      take: BATCH,
      select: MESSAGE_STATE_COLUMNS,
    });
    if (rows.length === 0) break;
    await call(
      'apply',
      rows.map((row) => toMessageState(row, dimension)),
    );
    done += rows.length;
    cursor = (rows.at(-1) as { messageId: number }).messageId;
    onProgress(done, total);
  }
  await call('finishLoad');
  return scanStarted;
}
