import { Worker } from 'node:worker_threads';
import type { Db } from '../db/client.ts';
import type { Logger } from '../observability/logger.ts';
import { EngramError } from '../services/errors.ts';
import { bytesToVector } from './codec.ts';
import type { LexicalHit } from './lexical.ts';
import type { PartitionOptions, VectorHit } from './partition.ts';
import type { FactState } from './partition-set.ts';
import type { WorkerCalls, WorkerRequest, WorkerResponse } from './worker.ts';

/** Configuration of the vector index; every field comes from env.ts. */
export interface VectorIndexOptions extends PartitionOptions {
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
}

export type IndexState = 'starting' | 'building' | 'ready' | 'failed' | 'closed';

export interface IndexStatus {
  state: IndexState;
  dimension: number;
  entities: number;
  facts: number;
  vectors: number;
  graphs: number;
  /** Last change id applied with every earlier one. */
  watermark: number;
  /** 0..1 while building. */
  progress: number | null;
  error: string | null;
}

export interface VerifyReport {
  facts: number;
  vectors: number;
  /** Facts (or their vectors) in the database that the index lacks; at most 100 ids. */
  missing: number[];
  /** Facts (or vectors) in the index that the database no longer has; at most 100 ids. */
  orphans: number[];
}

type Call<K extends keyof WorkerCalls> = (
  ...args: Parameters<WorkerCalls[K]>
) => Promise<ReturnType<WorkerCalls[K]>>;

const BATCH = 2000;

/** Progress of a long operation (a rebuild): `done` of `total` facts. */
export type ProgressListener = (done: number, total: number) => void;

/**
 * The semantic and lexical index of every entity's facts, kept in a worker thread so that
 * searching and building never block the event loop. It follows the database through the
 * `vector_change` table: every fact write adds a row in its own transaction, and the index
 * applies rows in id order, re-reading each fact's current state (so replaying is idempotent).
 * A snapshot on disk records the last applied id; on start the index loads it and replays what
 * came after, which is also how it repairs itself after a crash: no vector missing, none orphaned.
 */
export class VectorIndex {
  private worker!: Worker;
  private recovering: NodeJS.Timeout | null = null;
  private recoverDelayMs = 1000;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private state: IndexState = 'starting';
  private error: string | null = null;
  private progress: number | null = null;
  private watermark = 0;
  private highest = 0;
  private readonly seen = new Set<number>();
  private readonly gapSince = new Map<number, number>();
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private dirty = false;
  private timers: NodeJS.Timeout[] = [];
  private ready: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    readonly options: VectorIndexOptions,
  ) {
    this.spawnWorker();
  }

  private spawnWorker(): void {
    const { dimension, hnswThreshold, connectivity, expansionAdd, expansionSearch, quantization } =
      this.options;
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { dimension, hnswThreshold, connectivity, expansionAdd, expansionSearch, quantization },
    });
    worker.on('message', (response: WorkerResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if ('error' in response) waiter.reject(new Error(`vector index worker: ${response.error}`));
      else waiter.resolve(response.result);
    });
    worker.on('error', (error) => {
      if (worker === this.worker) this.fail(error);
    });
    worker.on('exit', (code) => {
      if (worker === this.worker && this.state !== 'closed') {
        this.fail(new Error(`vector index worker exited with code ${code}`));
      }
    });
    this.worker = worker;
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
   * After a failure (the worker died, or the database was unreachable while opening), starts over
   * the way a restart would: a new worker loads the last snapshot and replays the change log.
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
      void this.worker.terminate().catch(() => {});
      this.spawnWorker();
      this.state = 'starting';
      this.error = null;
      this.syncing = null;
      this.seen.clear();
      this.gapSince.clear();
      this.open(undefined, false).then(
        () => this.followChanges(),
        (error: unknown) => this.fail(error),
      );
    }, delay);
    this.recovering.unref();
  }

  status(stats?: Awaited<ReturnType<Call<'stats'>>>): IndexStatus {
    return {
      state: this.state,
      dimension: this.options.dimension,
      entities: stats?.entities ?? 0,
      facts: stats?.facts ?? 0,
      vectors: stats?.vectors ?? 0,
      graphs: stats?.graphs ?? 0,
      watermark: this.watermark,
      progress: this.progress,
      error: this.error,
    };
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
   * Applies every change committed so far. Writers await it after their transaction so their
   * own change is searchable when they answer; concurrent callers share one pass.
   */
  async sync(): Promise<void> {
    if (this.state !== 'ready') return;
    await this.followLog();
  }

  /**
   * Replays the change log into a freshly loaded or built index, then opens it for searches: a
   * search right after `ready` sees every change committed before it (not only the snapshot's).
   * The second pass catches what committed during the first, when writers could not yet sync.
   */
  private async catchUpThenOpen(): Promise<void> {
    await this.followLog();
    this.state = 'ready';
    await this.sync();
  }

  private async followLog(): Promise<void> {
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
          while ((await this.syncOnce()) === BATCH) {}
        } while (this.syncAgain);
      } finally {
        this.syncing = null;
      }
    })();
    await this.syncing;
  }

  /** Throws away the index and builds it again from the database, then saves it. */
  async rebuild(onProgress?: ProgressListener): Promise<void> {
    await this.syncing;
    const previous = this.state;
    await this.buildFromDatabase(onProgress);
    if (previous === 'ready') this.state = 'ready';
    await this.save();
  }

  /** Saves the snapshot now (when there is a folder). */
  async save(): Promise<void> {
    if (!this.options.dir) return;
    this.dirty = false;
    await this.call('save', this.options.dir, {
      watermark: this.watermark,
      model: this.options.model,
      savedAt: new Date().toISOString(),
    });
  }

  /** Compares the index with the database, fact by fact. */
  async verify(): Promise<VerifyReport> {
    await this.sync();
    const held = await this.call('listFacts');
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
      const rows = await this.db.entityFact.findMany({
        where: { id: { gt: cursor } },
        orderBy: { id: 'asc' },
        take: BATCH,
        select: { id: true, embeddingDim: true },
      });
      if (rows.length === 0) break;
      for (const row of rows) {
        facts++;
        const hasVector = row.embeddingDim === this.options.dimension;
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
    for (const factId of inIndex.keys()) orphans.push(factId);
    return { facts, vectors, missing: missing.slice(0, 100), orphans: orphans.slice(0, 100) };
  }

  /** Stops following the database, saves the snapshot and ends the worker. */
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
    await this.worker.terminate();
  }

  private async open(onProgress: ProgressListener | undefined, fromScratch: boolean): Promise<void> {
    const { dir, logger, retentionMs } = this.options;
    const started = Date.now();
    const loaded = dir && !fromScratch ? await this.call('load', dir) : null;
    const tooOld = loaded && Date.now() - Date.parse(loaded.savedAt) > retentionMs;
    if (loaded && !tooOld) {
      this.watermark = this.highest = loaded.watermark;
      await this.catchUpThenOpen();
      const stats = await this.call('stats');
      logger.info(
        {
          ...stats,
          watermark: this.watermark,
          appliedUpTo: this.highest,
          replayedFrom: loaded.watermark,
          ms: Date.now() - started,
        },
        'vector index loaded from its snapshot and brought up to date',
      );
      return;
    }
    if (tooOld) await this.call('clear');
    logger.info(
      {
        reason: dir
          ? tooOld
            ? 'snapshot older than the change retention'
            : 'no usable snapshot'
          : 'in-memory index',
      },
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
    await this.call('clear');
    await this.call('beginBulk');
    const scanStarted = Date.now();
    const total = await this.db.entityFact.count();
    let done = 0;
    let cursor = 0;
    for (;;) {
      const rows = await this.db.entityFact.findMany({
        where: { id: { gt: cursor } },
        orderBy: { id: 'asc' },
        take: BATCH,
        select: { id: true, entityId: true, content: true, embedding: true, embeddingDim: true },
      });
      if (rows.length === 0) break;
      await this.call(
        'apply',
        rows.map((row) => this.toState(row)),
      );
      done += rows.length;
      cursor = (rows.at(-1) as { id: number }).id;
      this.progress = total ? Math.min(1, done / total) : 1;
      onProgress?.(done, Math.max(total, done));
    }
    await this.call('finishLoad');
    // A transaction that was open during the scan may have committed a change behind it:
    // replay every change recorded since shortly before the scan began (replay is idempotent).
    const since = new Date(scanStarted - this.options.gapGraceMs);
    const first = await this.db.vectorChange.findFirst({
      where: { createdAt: { gte: since } },
      orderBy: { id: 'asc' },
      select: { id: true },
    });
    const last = await this.db.vectorChange.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
    this.watermark = this.highest = first ? first.id - 1 : (last?.id ?? 0);
    this.seen.clear();
    this.gapSince.clear();
    this.progress = null;
    await this.catchUpThenOpen();
  }

  /** One pass: new changes plus any hole below them that has since been filled. */
  private async syncOnce(): Promise<number> {
    const rows = await this.db.vectorChange.findMany({
      where: { id: { gt: this.highest } },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: { id: true, entityId: true, factId: true },
    });
    const fresh = rows.length;
    const holes: number[] = [];
    for (let id = this.watermark + 1; id <= this.highest && holes.length < BATCH; id++) {
      if (!this.seen.has(id)) holes.push(id);
    }
    if (holes.length) {
      rows.push(
        ...(await this.db.vectorChange.findMany({
          where: { id: { in: holes } },
          select: { id: true, entityId: true, factId: true },
        })),
      );
    }
    if (rows.length) await this.applyChanges(rows);
    for (const row of rows) {
      this.seen.add(row.id);
      if (row.id > this.highest) this.highest = row.id;
    }
    this.advanceWatermark();
    return fresh;
  }

  private advanceWatermark(): void {
    const now = Date.now();
    while (this.watermark < this.highest) {
      const next = this.watermark + 1;
      if (!this.seen.delete(next)) {
        // A hole: a transaction that has not committed yet, or one that rolled back.
        const since = this.gapSince.get(next) ?? now;
        this.gapSince.set(next, since);
        if (now - since < this.options.gapGraceMs) return;
      }
      this.gapSince.delete(next);
      this.watermark = next;
    }
  }

  private async applyChanges(rows: { entityId: number; factId: number | null }[]): Promise<void> {
    const factIds = new Set<number>();
    const entityIds = new Set<number>();
    for (const row of rows) {
      if (row.factId === null) entityIds.add(row.entityId);
      else factIds.add(row.factId);
    }
    const select = { id: true, entityId: true, content: true, embedding: true, embeddingDim: true } as const;
    for (const entityId of entityIds) {
      const facts = await this.db.entityFact.findMany({ where: { entityId }, select });
      await this.call(
        'resetEntity',
        entityId,
        facts.map((fact) => this.toState(fact)),
      );
    }
    const ids = [...factIds];
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      const found = await this.db.entityFact.findMany({ where: { id: { in: chunk } }, select });
      const byId = new Map(found.map((fact) => [fact.id, fact]));
      const states = chunk.map((factId): FactState => {
        const fact = byId.get(factId);
        return fact ? this.toState(fact) : { factId, entityId: -1, content: null, vector: null };
      });
      await this.call('apply', states);
    }
    this.dirty = true;
  }

  private toState(row: {
    id: number;
    entityId: number;
    content: string;
    embedding: Uint8Array | null;
    embeddingDim: number | null;
  }): FactState {
    const vector =
      row.embedding && row.embeddingDim === this.options.dimension ? bytesToVector(row.embedding) : null;
    return { factId: row.id, entityId: row.entityId, content: row.content, vector };
  }

  /** Periodic upkeep: save when changed, prune changes every replica has had time to apply. */
  private async maintain(): Promise<void> {
    try {
      if (this.dirty) await this.save();
      await this.options.pruner?.vectorChange.deleteMany({
        where: { createdAt: { lt: new Date(Date.now() - this.options.retentionMs) } },
      });
    } catch (error) {
      this.options.logger.warn({ err: error }, 'vector index upkeep failed; retrying later');
    }
  }

  private assertReady(): void {
    if (this.state === 'ready') return;
    if (this.state === 'building' || this.state === 'starting') {
      const done = this.progress === null ? '' : ` (${Math.round(this.progress * 100)}% done)`;
      throw new EngramError('INDEX_NOT_READY', `the vector index is being built${done}; retry shortly`);
    }
    throw new EngramError(
      'INDEX_UNAVAILABLE',
      this.state === 'closed'
        ? 'the vector index is closed (the server is shutting down)'
        : `the vector index failed (${this.error}) and is recovering; retry shortly`,
    );
  }

  private logSyncError(error: unknown): void {
    this.options.logger.warn({ err: error }, 'vector index could not read changes; retrying');
  }

  private fail(error: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'failed';
    this.error = error instanceof Error ? error.message : String(error);
    this.options.logger.error({ err: error }, 'vector index failed; it will recover from its snapshot');
    for (const waiter of this.pending.values())
      waiter.reject(new Error(`vector index failed: ${this.error}`));
    this.pending.clear();
    this.scheduleRecovery();
  }

  private call<K extends keyof WorkerCalls>(
    op: K,
    ...args: Parameters<WorkerCalls[K]>
  ): Promise<ReturnType<WorkerCalls[K]>> {
    if (this.state === 'failed' || this.state === 'closed') {
      return Promise.reject(new EngramError('INDEX_UNAVAILABLE', `the vector index is ${this.state}`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, op, args } satisfies WorkerRequest);
    });
  }
}
