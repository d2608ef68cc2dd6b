import type { Db } from '../db/client.ts';
import { databaseId } from '../db/identity.ts';
import { EngramError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { ThreadClient } from '../runtime/thread-client.ts';
import { ChangeFollower } from './change-follower.ts';
import { outlivedRetention } from './change-watermark.ts';
import { type IndexState, type IndexStatus, indexStatus, notReadyError } from './index-status.ts';
import type { LexicalHit } from './lexical.ts';
import { messageDocument, messagePartition } from './message-rows.ts';
import type { PartitionOptions, VectorHit } from './partition.ts';
import type { PartitionSetStats } from './partition-set.ts';
import { type ProgressListener, scanFactsInto } from './scan-facts.ts';
import { type CallSearchThread, SEARCH_THREAD_URL, type SearchCalls } from './search-protocol.ts';
import { purgeSnapshots } from './snapshot-purge.ts';
import { compareWithDatabase, type VerifyReport } from './verify.ts';

export type { IndexState, IndexStatus } from './index-status.ts';
export type { ProgressListener } from './scan-facts.ts';
export type { VerifyReport } from './verify.ts';

/** Configuration of the search index; every field comes from configuration (src/config/config.ts, `searchIndex`). */
export interface SearchIndexOptions extends PartitionOptions {
  /** Folder of the persisted snapshot; null keeps the index in memory only (rebuilt on every start). */
  dir: string | null;
  /** Model id of the configured embedder, recorded in the snapshot. */
  model: string | null;
  /** How often changes made by other processes are picked up. @default 1000 */
  syncIntervalMs: number;
  /** How often a changed index is saved (it is always saved on a clean shutdown). @default 300000 */
  saveIntervalMs: number;
  /** How long a hole in the change ids may be an uncommitted transaction before it is skipped. @default 60000 */
  gapGraceMs: number;
  /** Changes older than this are pruned; an older snapshot is rebuilt instead of replayed. @default 7 days */
  retentionMs: number;
  logger: Logger;
  /**
   * The connection that prunes old changes. The index reads through a read-only connection on
   * SQLite, which cannot delete (SQLITE_READONLY); pruning needs the writer.
   * @default none: changes are not pruned here (a process that holds the writer prunes them)
   */
  pruner?: Db | null;
  /**
   * Told the texts of an erased entity's facts once the index has dropped them (on every process
   * that follows the change log), so that other caches of them go too: the composition root drops
   * them from the embedding cache. @default nothing
   */
  onTextsDropped?: (texts: string[]) => void;
}

/**
 * The semantic and lexical index of every entity's facts, kept in a worker thread (the search
 * thread, search-thread.ts) so that searching and building never block the event loop. It
 * follows the database through the `vector_change` table (ChangeFollower). A snapshot on disk
 * (snapshot-file.ts) records the last applied change; on start the index loads it and replays what
 * came after, which is also how it repairs itself after a crash: no vector missing, none orphaned.
 * This class ties those together: its life (start, recovery, close), its timers, and the calls.
 */
export class SearchIndex {
  /** The search thread (the field keeps its name: tests/vector-crash.test.ts terminates it). */
  private readonly worker: ThreadClient<SearchCalls>;
  private readonly follower: ChangeFollower;
  private recovering: NodeJS.Timeout | null = null;
  private recoverDelayMs = 1000;
  private state: IndexState = 'starting';
  private error: string | null = null;
  private progress: number | null = null;
  private dirty = false;
  private timers: NodeJS.Timeout[] = [];
  private ready: Promise<void> | null = null;
  /** Erased entities still to be taken out of the snapshots on disk. */
  private readonly toPurge = new Set<number>();
  /** The name of the database followed, read once (src/db/identity.ts). */
  private database: Promise<string | null> | null = null;

  constructor(
    private readonly db: Db,
    readonly options: SearchIndexOptions,
  ) {
    const { dimension, hnswThreshold, connectivity, expansionAdd, expansionSearch, quantization } = options;
    this.worker = new ThreadClient<SearchCalls>({
      url: SEARCH_THREAD_URL,
      label: 'vector index worker',
      workerData: { dimension, hnswThreshold, connectivity, expansionAdd, expansionSearch, quantization },
      onExit: (reason, error) => this.fail(error ?? new Error(`vector index worker ${reason}`)),
    });
    this.worker.spawn();
    this.follower = new ChangeFollower(
      db,
      this.call,
      {
        dimension,
        gapGraceMs: options.gapGraceMs,
        retentionMs: options.retentionMs,
        pruner: options.pruner ?? null,
      },
      (applied) => {
        this.dirty = true;
        for (const entityId of applied.resetEntities) this.toPurge.add(entityId);
        if (applied.droppedTexts.length) options.onTextsDropped?.(applied.droppedTexts);
      },
    );
  }

  get dimension(): number {
    return this.options.dimension;
  }

  /**
   * Loads the snapshot (or builds from the database when there is none, it is too old or it
   * does not fit), replays later changes, then follows new ones. Resolves when searchable.
   */
  start(onProgress?: ProgressListener, options: { fromScratch?: boolean } = {}): Promise<void> {
    this.ready ??= this.open(onProgress, options.fromScratch ?? false).then(
      () => this.followChanges(),
      (error: unknown) => {
        this.fail(error);
        throw error;
      },
    );
    return this.ready;
  }

  private followChanges(): void {
    this.state = 'ready';
    this.recoverDelayMs = 1000;
    if (this.timers.length) return;
    const sync = setInterval(
      () => void this.sync().catch((error) => this.logSyncError(error)),
      this.options.syncIntervalMs,
    );
    const save = setInterval(() => void this.maintain(), this.options.saveIntervalMs);
    sync.unref();
    save.unref();
    this.timers.push(sync, save);
  }

  /**
   * After a failure (the thread died, or the database was unreachable while opening), starts over
   * the way a restart would: a new thread loads the last snapshot and replays the change log.
   */
  private scheduleRecovery(): void {
    if (this.recovering || this.state === 'closed') return;
    const delay = this.recoverDelayMs;
    this.recoverDelayMs = Math.min(this.recoverDelayMs * 2, 30_000);
    this.recovering = setTimeout(() => {
      this.recovering = null;
      if (this.state === 'closed') return;
      this.options.logger.info(
        { afterMs: delay },
        'vector index: recovering from its snapshot and the change log',
      );
      this.worker.spawn();
      this.state = 'starting';
      this.error = null;
      this.follower.forget();
      this.open(undefined, false).then(
        () => this.followChanges(),
        (error: unknown) => this.fail(error),
      );
    }, delay);
    this.recovering.unref();
  }

  status(stats?: PartitionSetStats): IndexStatus {
    const { state, progress, error } = this;
    return indexStatus(
      { state, dimension: this.options.dimension, watermark: this.follower.watermark, progress, error },
      stats,
    );
  }

  /** The status with the index's current counts. */
  async describe(): Promise<IndexStatus> {
    const stats = this.state === 'failed' || this.state === 'closed' ? undefined : await this.call('stats');
    return this.status(stats);
  }

  /** The k facts of an entity most similar to a unit vector, best first, exact in scope. */
  async search(entityId: number, vector: Float32Array, k: number, threshold?: number): Promise<VectorHit[]> {
    this.assertReady();
    return this.call('search', entityId, vector, k, threshold);
  }

  /** Exact similarities of some of an entity's facts to a unit vector (null: no vector). */
  async similarities(entityId: number, vector: Float32Array, factIds: number[]): Promise<(number | null)[]> {
    this.assertReady();
    return factIds.length ? this.call('similarities', entityId, vector, factIds) : [];
  }

  /** BM25 over the entity's facts. */
  async lexicalSearch(entityId: number, query: string, k: number): Promise<LexicalHit[]> {
    this.assertReady();
    return this.call('lexicalSearch', entityId, query, k);
  }

  /**
   * The entity's messages (their index entries, MESSAGE_INDEX) nearest a unit vector and by BM25,
   * and the exact similarities of given messages: as for facts, with `factId` holding the
   * message's id. Messages are held beside the facts under negated ids (message-rows.ts).
   */
  async searchMessages(entityId: number, vector: Float32Array, k: number): Promise<VectorHit[]> {
    const hits = await this.search(messagePartition(entityId), vector, k, -1);
    return hits.map((hit) => ({ factId: -hit.factId, similarity: hit.similarity }));
  }

  async messageSimilarities(
    entityId: number,
    vector: Float32Array,
    messageIds: number[],
  ): Promise<(number | null)[]> {
    return this.similarities(messagePartition(entityId), vector, messageIds.map(messageDocument));
  }

  async lexicalSearchMessages(entityId: number, query: string, k: number): Promise<LexicalHit[]> {
    const hits = await this.lexicalSearch(messagePartition(entityId), query, k);
    return hits.map((hit) => ({ factId: -hit.factId, score: hit.score }));
  }

  /**
   * Applies every change committed so far. Writers await it after their transaction so their
   * own change is searchable when they answer; concurrent callers share one pass.
   */
  async sync(): Promise<void> {
    if (this.state !== 'ready') return;
    await this.follower.follow();
    await this.purgeErased();
  }

  /**
   * Makes an erase take effect here at once: the entity's change (committed by the erase) is
   * applied, so it leaves the live index, and it is taken out of every snapshot on disk now rather
   * than at the next save. Other processes do the same when they follow the change (within
   * VECTOR_SYNC_INTERVAL_MS). While the index is loading, the live part happens when it catches
   * up; the snapshots are purged now either way.
   */
  async eraseEntity(entityId: number): Promise<void> {
    this.toPurge.add(entityId);
    if (this.state === 'ready') return this.sync();
    if (this.state === 'failed' || this.state === 'closed') {
      // No thread to do it: here, on the main thread (rare, and a purge is one pass per file).
      const dir = this.options.dir;
      this.toPurge.delete(entityId);
      if (dir) this.logPurge(purgeSnapshots(dir, [entityId]));
      return;
    }
    // Starting or building: the thread runs it after the load under way.
    await this.purgeErased();
  }

  /** Takes the erased entities seen so far out of the snapshots on disk (retried on failure). */
  private async purgeErased(): Promise<void> {
    const dir = this.options.dir;
    if (this.toPurge.size === 0) return;
    const entityIds = [...this.toPurge];
    this.toPurge.clear();
    if (!dir) return;
    try {
      this.logPurge(await this.call('purgeSnapshots', dir, entityIds));
    } catch (error) {
      for (const entityId of entityIds) this.toPurge.add(entityId);
      this.options.logger.error(
        { err: error, entityIds },
        'could not purge erased entities from the vector index snapshots; retrying at the next sync',
      );
    }
  }

  private logPurge(report: { rewritten: number; removed: number; facts: number }): void {
    this.options.logger.info(report, 'erased entities taken out of the vector index snapshots');
  }

  /**
   * Replays the change log into a freshly loaded or built index, then opens it for searches: a
   * search right after `ready` sees every change committed before it (not only the snapshot's).
   * The second pass catches what committed during the first, when writers could not yet sync.
   */
  private async catchUpThenOpen(): Promise<void> {
    await this.follower.follow();
    this.state = 'ready';
    await this.sync();
  }

  /** Throws away the index and builds it again from the database, then saves it. */
  async rebuild(onProgress?: ProgressListener): Promise<void> {
    await this.follower.running;
    const previous = this.state;
    await this.buildFromDatabase(onProgress);
    if (previous === 'ready') this.state = 'ready';
    await this.save();
  }

  /** The name of the database this index follows, recorded in and checked against snapshots. */
  private databaseId(): Promise<string | null> {
    this.database ??= databaseId(this.db).catch((error: unknown) => {
      this.database = null;
      throw error;
    });
    return this.database;
  }

  /** Saves the snapshot now (when there is a folder). */
  async save(): Promise<void> {
    if (!this.options.dir) return;
    this.dirty = false;
    await this.call('save', this.options.dir, {
      watermark: this.follower.watermark,
      model: this.options.model,
      database: await this.databaseId(),
      savedAt: new Date().toISOString(),
    });
  }

  /** Compares the index with the database, fact by fact. */
  async verify(): Promise<VerifyReport> {
    await this.sync();
    return compareWithDatabase(this.db, await this.call('listFacts'), this.options.dimension);
  }

  /** Stops following the database, saves the snapshot and ends the thread. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    for (const timer of this.timers) clearInterval(timer);
    if (this.recovering) clearTimeout(this.recovering);
    try {
      if (this.state === 'ready') {
        await this.sync();
        await this.save();
      }
    } catch (error) {
      this.options.logger.error(
        { err: error },
        'could not save the vector index on shutdown; it will be repaired on start',
      );
    }
    this.state = 'closed';
    await this.worker.stop(new EngramError('INDEX_UNAVAILABLE', 'the vector index is closed'));
  }

  private async open(onProgress: ProgressListener | undefined, fromScratch: boolean): Promise<void> {
    const { dir, logger, retentionMs } = this.options;
    const started = Date.now();
    const loaded = dir && !fromScratch ? await this.call('load', dir) : null;
    // A snapshot is replayed only onto the database it was taken of, and only while the change
    // log still holds everything after it.
    const unusable = !loaded
      ? null
      : loaded.database !== (await this.databaseId())
        ? loaded.database
          ? 'snapshot of another database'
          : 'snapshot without the name of its database (written by an older version)'
        : outlivedRetention(loaded.savedAt, Date.now(), retentionMs)
          ? 'snapshot older than the change retention'
          : null;
    if (loaded && !unusable) {
      this.follower.restartFrom(loaded.watermark);
      await this.catchUpThenOpen();
      const stats = await this.call('stats');
      logger.info(
        {
          ...stats,
          watermark: this.follower.watermark,
          appliedUpTo: this.follower.highest,
          replayedFrom: loaded.watermark,
          ms: Date.now() - started,
        },
        'vector index loaded from its snapshot and brought up to date',
      );
      return;
    }
    if (unusable) await this.call('clear');
    logger.info(
      { reason: dir ? (unusable ?? 'no usable snapshot') : 'in-memory index' },
      'building the vector index from the database',
    );
    await this.buildFromDatabase(onProgress);
    await this.save();
    const stats = await this.call('stats');
    logger.info({ ...stats, ms: Date.now() - started }, 'vector index built');
  }

  private async buildFromDatabase(onProgress?: ProgressListener): Promise<void> {
    this.state = 'building';
    this.progress = 0;
    const scanStarted = await scanFactsInto(this.db, this.call, this.options.dimension, (done, total) => {
      this.progress = total ? Math.min(1, done / total) : 1;
      onProgress?.(done, Math.max(total, done));
    });
    await this.follower.restartAfterScan(scanStarted);
    this.progress = null;
    await this.catchUpThenOpen();
  }

  /** Periodic upkeep: save when changed, prune changes every replica has had time to apply. */
  private async maintain(): Promise<void> {
    try {
      if (this.dirty) await this.save();
      await this.follower.prune();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'vector index upkeep failed; retrying later');
    }
  }

  private assertReady(): void {
    if (this.state !== 'ready') throw notReadyError(this.state, this.progress, this.error);
  }

  private logSyncError(error: unknown): void {
    this.options.logger.warn({ err: error }, 'vector index could not read changes; retrying');
  }

  private fail(error: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'failed';
    this.error = error instanceof Error ? error.message : String(error);
    this.options.logger.error({ err: error }, 'vector index failed; it will recover from its snapshot');
    // The calls still waiting are rejected, and the thread ended: recovery starts a new one.
    void this.worker.stop(new Error(`vector index failed: ${this.error}`)).catch(() => {});
    this.scheduleRecovery();
  }

  /** Calls the search thread, unless the index has failed or is closed. */
  private readonly call: CallSearchThread = (op, ...args) => {
    if (this.state === 'failed' || this.state === 'closed') {
      return Promise.reject(new EngramError('INDEX_UNAVAILABLE', `the vector index is ${this.state}`));
    }
    return this.worker.call(op, ...args);
  };
}
