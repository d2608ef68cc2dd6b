/**
 * The Neo4j mirror: sends the outbox (graph_change, written in each triple write's transaction by
 * src/services/graph-changes.ts) to Neo4j with the official driver, in managed write transactions
 * (the driver retries transient failures), batch after batch, and records how far it got.
 *
 * - Exactly once in effect: each batch's transaction also moves the position node in Neo4j
 *   (graph/write/advance-position.cypher) to the contiguous watermark (every change at or below it
 *   applied, holes skipped only after their grace period), and every relationship carries the id
 *   of the change that last wrote it, so what a restart replays above the position (or a late,
 *   older change) changes nothing.
 * - State, not deltas: a change row names a triple; the mirror reads the triple as it is when it
 *   sends the row (absent: deleted in Neo4j), so the mirror converges on SQL whatever it missed.
 * - Nothing lost while Neo4j is down: rows wait in SQL, the lag grows, and the mirror retries with
 *   a doubling backoff (up to NEO4J_MIRROR_MAX_BACKOFF_MS) and catches up on its own.
 * - One sender across replicas: a lease on the graph_mirror row; the others stand by.
 * - Pruning: rows at or below the position and older than GRAPH_CHANGE_RETENTION_HOURS are deleted;
 *   an erase row as soon as the erase reached Neo4j (it names the entity).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import neo4j, { type Driver, type ManagedTransaction } from 'neo4j-driver';
import type { Db } from '../db/client.ts';
import { databaseId } from '../db/identity.ts';
import { loadCypher, MIRROR_STATEMENTS, SCHEMA_STATEMENTS } from '../graph/cypher.ts';
import type { Logger } from '../observability/logger.ts';
import { ChangeWatermark } from '../search/change-watermark.ts';

/** What the mirror needs from the configuration (`mirror`). */
export interface MirrorOptions {
  url: string;
  user: string;
  password: string;
  /** null: the server's default database. */
  database: string | null;
  /** Most outbox changes per Neo4j transaction. @default 500 */
  batchSize: number;
  /** Poll interval once caught up, in milliseconds. @default 500 */
  pollMs: number;
  /** Longest backoff while Neo4j fails, in milliseconds. @default 30000 */
  maxBackoffMs: number;
  /** Applied outbox rows are deleted after this long, in milliseconds. @default 86400000 */
  retentionMs: number;
  /** How long a sender's lease lasts without renewal, in milliseconds. @default 30000 */
  leaseMs?: number;
  /** How long a hole in the change ids may be an open transaction before it is skipped. @default 60000 */
  gapGraceMs?: number;
}

/** The mirror as /health and GraphQL report it. */
export interface MirrorStatus {
  /** following: this replica sends; standby: another replica holds the lease; failing: Neo4j errors. */
  state: 'starting' | 'following' | 'standby' | 'failing' | 'stopped';
  /** The last outbox change applied (every lower one too). */
  position: number;
  /** Changes written but not applied yet. */
  lagChanges: number;
  /** Age of the oldest change not applied yet, in seconds (0 when caught up). */
  lagSeconds: number;
  lastError: string | null;
  lastAppliedAt: Date | null;
}

/** The id of the position node and of the graph_mirror row. */
export const MIRROR_ID = 'default';

/**
 * The Neo4j database holds the mirror of another Engram database: nothing is written to it (names
 * and relationships are keyed by entity external id, so two databases' graphs would mix).
 */
export class ForeignMirrorError extends Error {
  constructor(theirs: string, ours: string | null) {
    super(
      `Neo4j holds the mirror of another Engram database (${theirs}; this one is ${ours ?? 'unnamed'}): ` +
        'nothing is written to it. Set NEO4J_DATABASE to a database of its own, or run `engram graph resync` ' +
        'to replace its graph with this database’s',
    );
    this.name = 'ForeignMirrorError';
  }
}

/** Names an erase deletes per Neo4j transaction. */
const ERASE_BATCH = 1000;
/** Holes looked up again per pass. */
const HOLES_PER_PASS = 100;
/** How often applied rows are pruned, in milliseconds. */
const PRUNE_EVERY_MS = 60_000;

interface ChangeRow {
  id: number;
  entityId: number;
  tripleId: number | null;
  erasedEntity: string | null;
}

/** A triple as the mirror reads it: its row with the names and earlier periods (Prisma's include). */
export interface MirroredTriple {
  id: number;
  mentionCount: number;
  lastMentionedAt: Date | string;
  validFrom: Date | string;
  validTo: Date | string | null;
  subject: { name: string; type: string | null };
  predicate: { name: string };
  object: { name: string; type: string | null };
  intervals: { validFrom: Date | string; validTo: Date | string }[];
}

const int = (value: number) => neo4j.int(value);
const dateTime = (value: Date) => neo4j.types.DateTime.fromStandardDate(value);
/** Drivers return DATETIME as Date (Prisma adapters), text (SQLite raw) or numbers; all to Date. */
const toDate = (value: unknown) => (value instanceof Date ? value : new Date(value as string));
const toInt = (value: unknown) => (typeof value === 'number' ? value : Number(value));
const at = (value: Date | string) => dateTime(toDate(value));

/** The parameters of graph/write/upsert-triples.cypher for one triple (the mirror's and resync's). */
export function upsertRow(triple: MirroredTriple, entity: string, version: number): Record<string, unknown> {
  return {
    id: int(triple.id),
    entity,
    subject: triple.subject.name,
    subjectType: triple.subject.type,
    object: triple.object.name,
    objectType: triple.object.type,
    predicate: triple.predicate.name,
    mentionCount: int(triple.mentionCount),
    lastMentionedAt: at(triple.lastMentionedAt),
    validFrom: at(triple.validFrom),
    validTo: triple.validTo ? at(triple.validTo) : null,
    periodsFrom: triple.intervals.map((period) => at(period.validFrom)),
    periodsTo: triple.intervals.map((period) => at(period.validTo)),
    version: int(version),
  };
}

/** Opens the driver the configuration describes (no connection is made until it is used). */
export function createNeo4jDriver(options: Pick<MirrorOptions, 'url' | 'user' | 'password'>): Driver {
  return neo4j.driver(options.url, neo4j.auth.basic(options.user, options.password), {
    // Transient failures inside one batch are retried by the driver for this long; past it the
    // mirror's own backoff takes over.
    maxTransactionRetryTime: 5_000,
    connectionAcquisitionTimeout: 10_000,
    connectionTimeout: 5_000,
    logging: { level: 'error', logger: () => {} },
  });
}

export class GraphMirror {
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly watermark: ChangeWatermark;
  private readonly leaseMs: number;
  private state: MirrorStatus['state'] = 'starting';
  private lastError: string | null = null;
  private lastAppliedAt: Date | null = null;
  private failures = 0;
  private schemaReady = false;
  private positionKnown = false;
  private lastPrune = 0;
  /** When this replica's lease ends (ms), or null when it holds none. */
  private leaseUntil: number | null = null;
  /** The position Neo4j holds, as far as this replica knows (null: unknown). */
  private storedPosition: number | null = null;
  private rowReady = false;
  /** This Engram database's name (src/db/identity.ts), read once. */
  private database: string | null | undefined;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly driver: Driver,
    private readonly options: MirrorOptions,
    private readonly logger: Logger,
  ) {
    this.watermark = new ChangeWatermark(options.gapGraceMs ?? 60_000);
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** The driver and database, for `engram graph verify` and `resync`. */
  get target(): { driver: Driver; database: string | null } {
    return { driver: this.driver, database: this.options.database };
  }

  /** Starts following the outbox in the background. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks for new changes now instead of at the next poll (a write in this process). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Finishes the batch under way, gives the lease up and closes the driver. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.state = 'stopped';
    this.leaseUntil = null;
    await this.db.graphMirrorState
      .updateMany({ where: { id: MIRROR_ID, owner: this.owner }, data: { owner: null, leaseUntil: null } })
      .catch(() => {});
    await this.driver.close().catch(() => {});
  }

  /** The mirror's state; lag figures are read from the database (any replica may ask). */
  async status(): Promise<MirrorStatus> {
    const stored = await this.db.graphMirrorState.findUnique({ where: { id: MIRROR_ID } });
    const position = Math.max(stored?.position ?? 0, this.watermark.watermark);
    const pending = await this.db.graphChange.aggregate({
      where: { id: { gt: position } },
      _count: { _all: true },
      _min: { createdAt: true },
    });
    const oldest = pending._min.createdAt;
    return {
      state: this.state,
      position,
      lagChanges: pending._count._all,
      lagSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0,
      lastError: this.lastError ?? stored?.lastError ?? null,
      lastAppliedAt: this.lastAppliedAt ?? stored?.appliedAt ?? null,
    };
  }

  /** One pass, for tests and `engram graph` commands: sends what is pending; true when caught up. */
  async pass(): Promise<boolean> {
    if (!(await this.holdLease())) {
      this.state = 'standby';
      return true;
    }
    await this.prepare();
    const batch = await this.nextBatch();
    if (batch.length === 0) {
      this.state = 'following';
      // Holes skipped after their grace period move the watermark without a batch: store it.
      if (this.storedPosition !== null && this.watermark.watermark > this.storedPosition) {
        const position = this.watermark.watermark;
        await this.write((tx) => this.advance(tx, position));
        await this.recordPosition();
      }
      await this.prune();
      return true;
    }
    await this.apply(batch);
    this.watermark.applied(batch, Date.now());
    this.lastAppliedAt = new Date();
    this.lastError = null;
    this.state = 'following';
    await this.recordPosition();
    return false;
  }

  /** The database's copy of the position, for status and pruning. */
  private async recordPosition(): Promise<void> {
    await this.db.graphMirrorState.updateMany({
      where: { id: MIRROR_ID, owner: this.owner },
      data: {
        position: this.watermark.watermark,
        appliedAt: this.lastAppliedAt,
        lastError: null,
        updatedAt: new Date(),
      },
    });
  }

  /**
   * Moves Neo4j's position node, in the caller's transaction, and checks in that same transaction
   * that the mirror is this database's: if another database claimed it meanwhile, the throw rolls
   * the whole batch back.
   */
  private async advance(tx: ManagedTransaction, position: number): Promise<void> {
    const result = await tx.run(loadCypher(MIRROR_STATEMENTS.advancePosition), {
      mirror: MIRROR_ID,
      position: int(position),
      database: this.database ?? null,
    });
    const theirs = result.records[0]?.get('database') as string | null | undefined;
    if (theirs && theirs !== this.database) throw new ForeignMirrorError(theirs, this.database ?? null);
    this.storedPosition = Math.max(this.storedPosition ?? 0, position);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let caughtUp = true;
      try {
        caughtUp = await this.pass();
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        this.state = 'failing';
        this.lastError = error instanceof Error ? error.message : String(error);
        // Schema and position are checked again once Neo4j answers (it may be a new server).
        this.schemaReady = false;
        this.positionKnown = false;
        this.logger.warn({ err: error, failures: this.failures }, 'neo4j mirror: batch failed, retrying');
        await this.db.graphMirrorState
          .updateMany({
            where: { id: MIRROR_ID, owner: this.owner },
            data: { lastError: this.lastError.slice(0, 2000), updatedAt: new Date() },
          })
          .catch(() => {});
      }
      if (!this.running) break;
      const backoff = Math.min(this.options.maxBackoffMs, 250 * 2 ** Math.min(this.failures, 20));
      const wait = this.failures > 0 ? backoff : caughtUp ? this.options.pollMs : 0;
      if (wait > 0) await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = () => {
        if (this.timer) clearTimeout(this.timer);
        this.wakeUp = null;
        resolve();
      };
      this.timer = setTimeout(() => this.wakeUp?.(), ms);
    });
  }

  /**
   * Takes or renews the lease; false while another replica holds it. A held lease is renewed only
   * once half of it has run, so a caught-up mirror polling every NEO4J_MIRROR_POLL_MS does not
   * write to the database each time (on SQLite every write waits for the one writer).
   */
  private async holdLease(): Promise<boolean> {
    const now = new Date();
    if (this.leaseUntil !== null && this.leaseUntil - now.getTime() > this.leaseMs / 2) return true;
    if (!this.rowReady) {
      await this.db.graphMirrorState.upsert({
        where: { id: MIRROR_ID },
        create: { id: MIRROR_ID, updatedAt: now },
        update: {},
      });
      this.rowReady = true;
    }
    const until = new Date(now.getTime() + this.leaseMs);
    const { count } = await this.db.graphMirrorState.updateMany({
      where: {
        id: MIRROR_ID,
        OR: [{ owner: this.owner }, { owner: null }, { leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      data: { owner: this.owner, leaseUntil: until },
    });
    if (count === 1) {
      this.leaseUntil = until.getTime();
      return true;
    }
    // Another replica sends: whoever holds the lease moves the position; start from Neo4j's when back.
    this.leaseUntil = null;
    this.positionKnown = false;
    return false;
  }

  /** Constraints once per connection to a server, and the position from Neo4j itself. */
  private async prepare(): Promise<void> {
    if (!this.schemaReady) {
      const session = this.session();
      try {
        // Schema statements cannot share a transaction with writes: each runs on its own.
        for (const name of SCHEMA_STATEMENTS) await session.run(loadCypher(name));
      } finally {
        await session.close();
      }
      this.schemaReady = true;
    }
    if (this.database === undefined) this.database = await databaseId(this.db);
    if (!this.positionKnown) {
      const session = this.session();
      try {
        const result = await session.executeRead((tx) =>
          tx.run(loadCypher(MIRROR_STATEMENTS.readPosition), { mirror: MIRROR_ID }),
        );
        const theirs = result.records[0]?.get('database') as string | null | undefined;
        if (theirs && theirs !== this.database) throw new ForeignMirrorError(theirs, this.database);
        const value = result.records[0]?.get('position');
        const position = value === null || value === undefined ? 0 : toInt(neo4j.integer.toNumber(value));
        this.watermark.reset(position);
        this.storedPosition = position;
      } finally {
        await session.close();
      }
      this.positionKnown = true;
    }
  }

  private session() {
    return this.driver.session({
      defaultAccessMode: neo4j.session.WRITE,
      ...(this.options.database ? { database: this.options.database } : {}),
    });
  }

  /** The next changes to send, in id order: new ones, and holes that have since committed. */
  private async nextBatch(): Promise<ChangeRow[]> {
    const select = { id: true, entityId: true, tripleId: true, erasedEntity: true } as const;
    const rows: ChangeRow[] = await this.db.graphChange.findMany({
      where: { id: { gt: this.watermark.highest } },
      orderBy: { id: 'asc' },
      take: this.options.batchSize,
      select,
    });
    const holes = this.watermark.holes(HOLES_PER_PASS);
    if (holes.length > 0)
      rows.push(...(await this.db.graphChange.findMany({ where: { id: { in: holes } }, select })));
    const fresh = this.watermark.select(rows);
    if (fresh.length === 0 && holes.length > 0) {
      // Only holes left: let the grace period move the watermark over them.
      this.watermark.applied([], Date.now());
    }
    return fresh;
  }

  /**
   * Sends a batch: triple changes in one transaction per run between erasures, each erase on its
   * own. Each transaction stores the contiguous watermark the batch's changes so far reach.
   */
  private async apply(batch: ChangeRow[]): Promise<void> {
    const now = Date.now();
    const upTo = (index: number) => this.watermark.preview(batch.slice(0, index + 1), now);
    let run: ChangeRow[] = [];
    for (const [index, change] of batch.entries()) {
      if (change.erasedEntity === null) {
        run.push(change);
        continue;
      }
      if (run.length > 0) await this.applyTriples(run, upTo(index - 1));
      run = [];
      await this.applyErase(change, upTo(index));
    }
    if (run.length > 0) await this.applyTriples(run, upTo(batch.length - 1));
  }

  private async applyTriples(changes: ChangeRow[], position: number): Promise<void> {
    // The newest change of each triple is its version.
    const versions = new Map<number, number>();
    for (const change of changes) if (change.tripleId !== null) versions.set(change.tripleId, change.id);
    const states = await this.readTriples([...versions.keys()]);
    const upserts: Record<string, unknown>[] = [];
    const deletes: Record<string, unknown>[] = [];
    for (const [tripleId, version] of versions) {
      const state = states.get(tripleId);
      if (!state) {
        deletes.push({ id: int(tripleId), version: int(version) });
        continue;
      }
      upserts.push(upsertRow(state, state.entity.externalId, version));
    }
    await this.write(async (tx) => {
      if (upserts.length > 0) await tx.run(loadCypher(MIRROR_STATEMENTS.upsertTriples), { rows: upserts });
      if (deletes.length > 0) await tx.run(loadCypher(MIRROR_STATEMENTS.deleteTriples), { rows: deletes });
      await this.advance(tx, position);
    });
  }

  private async applyErase(change: ChangeRow, position: number): Promise<void> {
    const entity = change.erasedEntity as string;
    for (;;) {
      const deleted = await this.write(async (tx) => {
        const result = await tx.run(loadCypher(MIRROR_STATEMENTS.eraseEntity), {
          entity,
          batch: int(ERASE_BATCH),
        });
        return neo4j.integer.toNumber(result.records[0]?.get('deleted') ?? 0);
      });
      if (deleted === 0) break;
    }
    await this.write((tx) => this.advance(tx, position));
    // The row names the entity: it goes as soon as Neo4j no longer holds it.
    await this.db.graphChange.deleteMany({ where: { id: change.id } });
  }

  private async write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const session = this.session();
    try {
      return await session.executeWrite(work);
    } finally {
      await session.close();
    }
  }

  /** The triples as they are now, with their earlier periods; absent ids were deleted. */
  private async readTriples(ids: number[]) {
    const found = new Map<number, Awaited<ReturnType<GraphMirror['readTriplePage']>>[number]>();
    // Prisma's SQLite adapter refuses statements with more than 999 parameters.
    for (let i = 0; i < ids.length; i += 500) {
      for (const row of await this.readTriplePage(ids.slice(i, i + 500))) found.set(row.id, row);
    }
    return found;
  }

  private readTriplePage(ids: number[]) {
    return this.db.triple.findMany({
      where: { id: { in: ids } },
      include: {
        entity: { select: { externalId: true } },
        subject: true,
        predicate: true,
        object: true,
        intervals: { orderBy: { validFrom: 'asc' } },
      },
    });
  }

  /** Deletes applied rows past the retention period (at most once a minute). */
  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const cutoff = new Date(now - this.options.retentionMs);
    await this.db.graphChange.deleteMany({
      where: { id: { lte: this.watermark.watermark }, createdAt: { lt: cutoff } },
    });
  }
}
