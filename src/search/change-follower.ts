import type { Db } from '../db/client.ts';
import { ChangeWatermark, pruneBefore, watermarkAfterScan } from './change-watermark.ts';
import { BATCH, FACT_STATE_COLUMNS, toFactState } from './fact-rows.ts';
import { goneMessageState, MESSAGE_STATE_COLUMNS, toMessageState } from './message-rows.ts';
import type { FactState } from './partition-set.ts';
import type { CallSearchThread } from './search-protocol.ts';

export interface ChangeFollowerOptions {
  /** Dimension of the index; facts with vectors of another are indexed for words only. */
  dimension: number;
  /** How long a hole in the change ids may be an uncommitted transaction before it is skipped. */
  gapGraceMs: number;
  /** Changes older than this are pruned. */
  retentionMs: number;
  /** The connection that prunes old changes; null leaves pruning to another process. */
  pruner: Db | null;
}

type ChangeRow = { id: number; entityId: number; factId: number | null; messageId: number | null };

/** What one pass of changes did beyond single facts: entities resynchronized whole (erased). */
export interface AppliedChanges {
  /** Entities whose change was "resynchronize the whole entity" (an erase writes one). */
  resetEntities: number[];
  /** Texts the index held for those entities and no longer does. */
  droppedTexts: string[];
}

const CHANGE_COLUMNS = { id: true, entityId: true, factId: true, messageId: true } as const;

/**
 * Follows the `vector_change` table into the search thread: every fact or message index write
 * adds a row in its own transaction, and rows are applied in id order by re-reading each fact's
 * (or message's) current state (so replaying a row twice is harmless). Where it stands is a {@link ChangeWatermark}.
 */
export class ChangeFollower {
  private readonly position: ChangeWatermark;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;

  /** @param onApplied told after changes were applied (the snapshot is then out of date) */
  constructor(
    private readonly db: Db,
    private readonly call: CallSearchThread,
    private readonly options: ChangeFollowerOptions,
    private readonly onApplied: (applied: AppliedChanges) => void,
  ) {
    this.position = new ChangeWatermark(options.gapGraceMs);
  }

  /** Last change id applied with every earlier one. */
  get watermark(): number {
    return this.position.watermark;
  }

  /** Highest change id applied. */
  get highest(): number {
    return this.position.highest;
  }

  /** The pass under way, if any (a rebuild waits for it). */
  get running(): Promise<void> | null {
    return this.syncing;
  }

  /** Follows on from a snapshot's watermark. */
  restartFrom(watermark: number): void {
    this.position.reset(watermark);
  }

  /** Forgets the pass under way and the holes, for a recovery that reloads the index. */
  forget(): void {
    this.syncing = null;
    this.position.reset(this.position.watermark);
  }

  /** Follows on from a full scan of the facts that began at `scanStarted`. */
  async restartAfterScan(scanStarted: number): Promise<void> {
    const since = new Date(scanStarted - this.options.gapGraceMs);
    const first = await this.db.vectorChange.findFirst({
      where: { createdAt: { gte: since } },
      orderBy: { id: 'asc' },
      select: { id: true },
    });
    const last = await this.db.vectorChange.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
    this.position.reset(watermarkAfterScan(first?.id ?? null, last?.id ?? null));
  }

  /** Applies every change committed so far; concurrent callers share one pass. */
  async follow(): Promise<void> {
    if (this.syncing) {
      // A pass that started before the caller's commit may miss it: ask for one more pass,
      // which runs inside the same promise.
      this.syncAgain = true;
      await this.syncing;
      return;
    }
    this.syncing = (async () => {
      try {
        do {
          this.syncAgain = false;
          while ((await this.followOnce()) === BATCH) {}
        } while (this.syncAgain);
      } finally {
        this.syncing = null;
      }
    })();
    await this.syncing;
  }

  /** Deletes the changes every replica has had time to apply (when this process may). */
  async prune(): Promise<void> {
    await this.options.pruner?.vectorChange.deleteMany({
      where: { createdAt: { lt: pruneBefore(Date.now(), this.options.retentionMs) } },
    });
  }

  /** One pass: new changes plus any hole below them that has since been filled. */
  private async followOnce(): Promise<number> {
    const rows: ChangeRow[] = await this.db.vectorChange.findMany({
      where: { id: { gt: this.position.highest } },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: CHANGE_COLUMNS,
    });
    const fresh = rows.length;
    const holes = this.position.holes(BATCH);
    if (holes.length) {
      rows.push(
        ...(await this.db.vectorChange.findMany({ where: { id: { in: holes } }, select: CHANGE_COLUMNS })),
      );
    }
    const toApply = this.position.select(rows);
    if (toApply.length) await this.applyChanges(toApply);
    this.position.applied(toApply, Date.now());
    return fresh;
  }

  private async applyChanges(rows: ChangeRow[]): Promise<void> {
    const { dimension } = this.options;
    const factIds = new Set<number>();
    const messageIds = new Set<number>();
    const entityIds = new Set<number>();
    for (const row of rows) {
      if (row.factId !== null) factIds.add(row.factId);
      else if (row.messageId !== null) messageIds.add(row.messageId);
      else entityIds.add(row.entityId);
    }
    const droppedTexts: string[] = [];
    for (const entityId of entityIds) {
      const facts = await this.db.entityFact.findMany({ where: { entityId }, select: FACT_STATE_COLUMNS });
      const messages = await this.db.messageIndex.findMany({
        where: { entityId },
        select: MESSAGE_STATE_COLUMNS,
      });
      const dropped = await this.call('resetEntity', entityId, [
        ...facts.map((fact) => toFactState(fact, dimension)),
        ...messages.map((message) => toMessageState(message, dimension)),
      ]);
      droppedTexts.push(...dropped);
    }
    const messageList = [...messageIds];
    for (let i = 0; i < messageList.length; i += BATCH) {
      const chunk = messageList.slice(i, i + BATCH);
      const found = await this.db.messageIndex.findMany({
        where: { messageId: { in: chunk } },
        select: MESSAGE_STATE_COLUMNS,
      });
      const byId = new Map(found.map((row) => [row.messageId, row]));
      await this.call(
        'apply',
        chunk.map((messageId) => {
          const row = byId.get(messageId);
          return row ? toMessageState(row, dimension) : goneMessageState(messageId);
        }),
      );
    }
    const ids = [...factIds];
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      const found = await this.db.entityFact.findMany({
        where: { id: { in: chunk } },
        select: FACT_STATE_COLUMNS,
      });
      const byId = new Map(found.map((fact) => [fact.id, fact]));
      const states = chunk.map((factId): FactState => {
        const fact = byId.get(factId);
        return fact ? toFactState(fact, dimension) : { factId, entityId: -1, content: null, vector: null };
      });
      await this.call('apply', states);
    }
    this.onApplied({ resetEntities: [...entityIds], droppedTexts });
  }
}
