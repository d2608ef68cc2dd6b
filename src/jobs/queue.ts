import type { Db, Tx } from '../db/client.ts';
import type { AugmentationJob, Prisma } from '../db/generated/client.ts';

/** How jobs are leased and retried; every field comes from configuration. */
export interface QueueOptions {
  /** Who holds a lease: unique per worker process. */
  owner: string;
  /** How long a claimed job is this worker's; after that another worker may take it over. @default 300000 */
  leaseMs: number;
  /**
   * How often a live worker renews the heartbeat of the jobs it runs. A job whose heartbeat was
   * not renewed for {@link HEARTBEAT_MISSES} intervals belongs to a dead worker and is taken over
   * before its lease ends. @default 2000
   */
  heartbeatMs: number;
  /** Runs before a failing job is parked. @default 5 */
  maxAttempts: number;
  /** First retry delay; doubled per attempt (with jitter), at most 5 minutes. @default 1000 */
  backoffMs: number;
}

/** The messages a job covers, enqueued with them. */
export interface NewJob {
  conversationId: number;
  entityId: number;
  firstMessageId: number;
  lastMessageId: number;
}

/**
 * Heartbeats a worker may miss before its jobs are taken over: enough that a worker that is slow
 * (a busy event loop, a slow database) but alive keeps its jobs, few enough that a killed one's
 * are taken over within seconds. @default 5
 */
export const HEARTBEAT_MISSES = 5;

/** Adds a job inside the transaction that stored its messages: both commit or neither does. */
export function enqueueAugmentation(tx: Tx, job: NewJob) {
  return tx.augmentationJob.create({ data: job });
}

/**
 * The job queue on Engram's own database, so the embedded default needs no other service.
 * Workers claim jobs one row at a time with a conditional update (status and lease checked in
 * the same statement), which every supported database makes atomic: any number of worker
 * processes can share the queue, on PostgreSQL, MySQL/MariaDB, CockroachDB and SQLite alike. A
 * job whose worker died is claimed again as soon as its heartbeat lapses: while a worker runs a job
 * it renews `heartbeat_until` every `heartbeatMs` (one UPDATE for all its jobs), so a killed
 * worker's jobs are free a few intervals later instead of at the end of the lease. The lease still
 * bounds a job whose live worker never finishes it. The owner sets its own deadline, so workers
 * with different heartbeat settings share a queue, but their clocks must agree to well within
 * `heartbeatMs × HEARTBEAT_MISSES` (as they must within the lease already).
 */
export class JobQueue {
  constructor(
    private readonly db: Db,
    readonly options: QueueOptions,
  ) {}

  /** How long a heartbeat vouches for its worker. */
  private get aliveMs(): number {
    return this.options.heartbeatMs * HEARTBEAT_MISSES;
  }

  private claimable(now: Date): Prisma.AugmentationJobWhereInput {
    return {
      OR: [
        { status: 'PENDING', runAt: { lte: now } },
        { status: 'RUNNING', leaseUntil: { lt: now } },
        // Its worker stopped renewing: dead. (NULL, from a worker without heartbeats, never matches.)
        { status: 'RUNNING', heartbeatUntil: { lt: now } },
      ],
    };
  }

  /**
   * The queue's backlog for metrics: jobs waiting (PENDING, due or not) and running, and the age of
   * the oldest due job nobody runs yet (0 when none waits). Finished jobs are not counted: there
   * may be millions, and (status, run_at) answers these from the index.
   */
  async backlog(): Promise<{ pending: number; running: number; lagSeconds: number }> {
    const now = new Date();
    const [pending, running, oldest] = await Promise.all([
      this.db.augmentationJob.count({ where: { status: 'PENDING' } }),
      this.db.augmentationJob.count({ where: { status: 'RUNNING' } }),
      this.db.augmentationJob.findFirst({
        where: { status: 'PENDING', runAt: { lte: now } },
        orderBy: { runAt: 'asc' },
        select: { runAt: true },
      }),
    ]);
    const lagSeconds = oldest ? Math.max(0, (now.getTime() - oldest.runAt.getTime()) / 1000) : 0;
    return { pending, running, lagSeconds };
  }

  /** Leases up to `count` due jobs, oldest first. */
  async claim(count: number): Promise<AugmentationJob[]> {
    if (count <= 0) return [];
    const now = new Date();
    const candidates = await this.db.augmentationJob.findMany({
      where: this.claimable(now),
      orderBy: { id: 'asc' },
      take: count * 2,
      select: { id: true },
    });
    const claimed: number[] = [];
    for (const { id } of candidates) {
      if (claimed.length >= count) break;
      const won = await this.db.augmentationJob.updateMany({
        where: { id, ...this.claimable(now) },
        data: {
          status: 'RUNNING',
          leaseOwner: this.options.owner,
          leaseUntil: new Date(now.getTime() + this.options.leaseMs),
          heartbeatUntil: new Date(now.getTime() + this.aliveMs),
          attempts: { increment: 1 },
          startedAt: now,
        },
      });
      if (won.count === 1) claimed.push(id);
    }
    if (claimed.length === 0) return [];
    return this.db.augmentationJob.findMany({
      where: { id: { in: claimed }, leaseOwner: this.options.owner },
      orderBy: { id: 'asc' },
    });
  }

  /**
   * The heartbeat: vouches that this worker is alive and still running these jobs, so nobody takes
   * them over. One UPDATE by primary key, touching only this worker's own rows.
   * @returns how many of the jobs are still this worker's
   */
  async renew(jobIds: number[]): Promise<number> {
    if (jobIds.length === 0) return 0;
    const renewed = await this.db.augmentationJob.updateMany({
      where: { id: { in: jobIds }, leaseOwner: this.options.owner, status: 'RUNNING' },
      data: { heartbeatUntil: new Date(Date.now() + this.aliveMs) },
    });
    return renewed.count;
  }

  /**
   * Marks a job done inside the transaction that writes its results. False when the lease was
   * lost (another worker took the job over): the caller must roll back, so the results are
   * written exactly once, by whoever completes the job.
   */
  async complete(
    tx: Tx,
    job: AugmentationJob,
    outcome: {
      extractor: string;
      inputTokens: number;
      outputTokens: number;
      factsFound: number;
      triplesFound: number;
    },
  ): Promise<boolean> {
    const done = await tx.augmentationJob.updateMany({
      where: { id: job.id, leaseOwner: this.options.owner, status: 'RUNNING' },
      data: {
        status: 'DONE',
        completedAt: new Date(),
        leaseUntil: null,
        heartbeatUntil: null,
        lastError: null,
        ...outcome,
      },
    });
    return done.count === 1;
  }

  /** Schedules a retry with backoff, or parks the job (with its error) when retrying is pointless. */
  async fail(job: AugmentationJob, error: string, retryable: boolean): Promise<'retry' | 'parked'> {
    const park = !retryable || job.attempts >= this.options.maxAttempts;
    const delay = Math.min(this.options.backoffMs * 2 ** (job.attempts - 1), 300_000) * (0.5 + Math.random());
    await this.db.augmentationJob.updateMany({
      where: { id: job.id, leaseOwner: this.options.owner, status: 'RUNNING' },
      data: park
        ? { status: 'PARKED', lastError: error.slice(0, 2000), leaseUntil: null, heartbeatUntil: null }
        : {
            status: 'PENDING',
            lastError: error.slice(0, 2000),
            leaseUntil: null,
            heartbeatUntil: null,
            runAt: new Date(Date.now() + delay),
          },
    });
    return park ? 'parked' : 'retry';
  }

  /**
   * Puts a parked (or, with `force`, completed) job back in the queue with fresh attempts.
   * @param client a transaction to requeue in (with what else it writes); @default the queue's own
   */
  async requeue(
    jobId: number,
    force = false,
    client: Pick<Tx, 'augmentationJob'> = this.db,
  ): Promise<AugmentationJob | null> {
    const updated = await client.augmentationJob.updateMany({
      where: { id: jobId, status: { in: force ? ['PARKED', 'DONE'] : ['PARKED'] } },
      data: {
        status: 'PENDING',
        attempts: 0,
        runAt: new Date(),
        leaseOwner: null,
        leaseUntil: null,
        heartbeatUntil: null,
        completedAt: null,
      },
    });
    if (updated.count === 0) return null;
    return client.augmentationJob.findUnique({ where: { id: jobId } });
  }
}
