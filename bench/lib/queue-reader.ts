/**
 * The augmentation queue as bench:ingest reads it from the database, beside the server: the
 * highest job id, counts per status, the times of a range of jobs, and waiting for it to drain.
 */
import { type Db, openDatabase } from '../../src/db/client.ts';
import { progress } from './stdio.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When a job was enqueued and finished, and its status. */
export interface JobTimes {
  id: number;
  createdAt: Date;
  completedAt: Date | null;
  status: string;
}

export class QueueReader {
  private constructor(private readonly db: Db) {}

  static async open(url: string): Promise<QueueReader> {
    // SQLite: a read-only connection beside the server's writer (WAL); PostgreSQL: two connections.
    return new QueueReader(await openDatabase({ url, readonly: url.startsWith('file:'), pool: { size: 2 } }));
  }

  async maxJobId(): Promise<number> {
    const { _max } = await this.db.augmentationJob.aggregate({ _max: { id: true } });
    return _max.id ?? 0;
  }

  async counts(): Promise<Record<string, number>> {
    const groups = await this.db.augmentationJob.groupBy({ by: ['status'], _count: { _all: true } });
    return Object.fromEntries(groups.map((group) => [group.status, group._count._all]));
  }

  /** Jobs with after < id <= upTo. */
  async jobs(after: number, upTo: number): Promise<JobTimes[]> {
    return this.db.augmentationJob.findMany({
      where: { id: { gt: after, lte: upTo } },
      select: { id: true, createdAt: true, completedAt: true, status: true },
      orderBy: { id: 'asc' },
    });
  }

  /**
   * Waits until no job is PENDING or RUNNING (progress every second); fails on a PARKED job.
   * When the jobs finished is read from their own completed_at, not from when this noticed.
   */
  async drain(label: string, timeoutMs = 15 * 60_000): Promise<void> {
    const started = performance.now();
    let lastReport = 0;
    for (;;) {
      const counts = await this.counts();
      const waiting = (counts.PENDING ?? 0) + (counts.RUNNING ?? 0);
      if (counts.PARKED) throw new Error(`${counts.PARKED} augmentation job(s) were parked (failed)`);
      if (waiting === 0) return;
      const elapsed = performance.now() - started;
      if (elapsed - lastReport >= 1000) {
        lastReport = elapsed;
        progress(
          `${label}: ${waiting} job(s) waiting, ${counts.DONE ?? 0} done (${(elapsed / 1000).toFixed(0)} s)`,
        );
      }
      if (elapsed > timeoutMs) throw new Error(`${label}: the queue did not drain in ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  }

  close(): Promise<void> {
    return this.db.$disconnect();
  }
}
