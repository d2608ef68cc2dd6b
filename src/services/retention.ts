import type { Logger } from '../observability/logger.ts';
import type { ServiceDeps } from './deps.ts';
import { recordVectorChange } from './facts.ts';
import { inTransaction, type Tx } from './transactions.ts';

/** How long each kind of memory is kept, in days; null keeps it for ever. */
export interface RetentionPolicy {
  /** Messages older than this (their facts and triples stay, pointing at no message). */
  messagesDays: number | null;
  /** Conversations started longer ago than this, with their messages and jobs. */
  conversationsDays: number | null;
  /** Facts not mentioned for this long (removed from the search index too). */
  factsUnmentionedDays: number | null;
  /** Finished (DONE or PARKED) augmentation jobs older than this. */
  jobsDays: number | null;
  /** Audit entries older than this. */
  auditDays: number | null;
  /** Rows deleted per transaction, so a large backlog never holds a long lock. @default 500 */
  batchSize: number;
}

export const RETENTION_KINDS = ['messages', 'conversations', 'facts', 'jobs', 'audit'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];
export type RetentionCounts = Record<RetentionKind, number>;

/** Called after each batch: how many of a kind are deleted so far out of how many were due. */
export type RetentionProgress = (kind: RetentionKind, deleted: number, due: number) => void;

const DAY_MS = 24 * 3600 * 1000;

/** One kind: which rows are due, and how a batch of them is deleted. */
interface Sweep {
  days: number | null;
  due(tx: Tx | ServiceDeps['db'], cutoff: Date): Promise<number>;
  batch(tx: Tx, cutoff: Date, size: number): Promise<number>;
}

function sweeps(policy: RetentionPolicy): Record<RetentionKind, Sweep> {
  return {
    messages: {
      days: policy.messagesDays,
      due: (db, cutoff) => db.conversationMessage.count({ where: { createdAt: { lt: cutoff } } }),
      batch: async (tx, cutoff, size) => {
        const rows = await tx.conversationMessage.findMany({
          where: { createdAt: { lt: cutoff } },
          select: { id: true },
          orderBy: { id: 'asc' },
          take: size,
        });
        const ids = rows.map((row) => row.id);
        // Mentions keep their fact and lose the message (onDelete: SetNull).
        return (await tx.conversationMessage.deleteMany({ where: { id: { in: ids } } })).count;
      },
    },
    conversations: {
      days: policy.conversationsDays,
      due: (db, cutoff) => db.conversation.count({ where: { createdAt: { lt: cutoff } } }),
      batch: async (tx, cutoff, size) => {
        const rows = await tx.conversation.findMany({
          where: { createdAt: { lt: cutoff } },
          select: { id: true },
          orderBy: { id: 'asc' },
          take: size,
        });
        // Messages, jobs and idempotency records go with their conversation (onDelete: Cascade).
        return (await tx.conversation.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } })).count;
      },
    },
    facts: {
      days: policy.factsUnmentionedDays,
      due: (db, cutoff) => db.entityFact.count({ where: { lastMentionedAt: { lt: cutoff } } }),
      batch: async (tx, cutoff, size) => {
        const rows = await tx.entityFact.findMany({
          where: { lastMentionedAt: { lt: cutoff } },
          select: { id: true, entityId: true },
          orderBy: { id: 'asc' },
          take: size,
        });
        const deleted = await tx.entityFact.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } });
        // The search index drops them when it reads these (in this process and every other).
        for (const row of rows) await recordVectorChange(tx, row.entityId, row.id);
        return deleted.count;
      },
    },
    jobs: {
      days: policy.jobsDays,
      due: (db, cutoff) =>
        db.augmentationJob.count({
          where: { status: { in: ['DONE', 'PARKED'] }, createdAt: { lt: cutoff } },
        }),
      batch: async (tx, cutoff, size) => {
        const rows = await tx.augmentationJob.findMany({
          where: { status: { in: ['DONE', 'PARKED'] }, createdAt: { lt: cutoff } },
          select: { id: true },
          orderBy: { id: 'asc' },
          take: size,
        });
        return (await tx.augmentationJob.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } }))
          .count;
      },
    },
    audit: {
      days: policy.auditDays,
      due: (db, cutoff) => db.auditEntry.count({ where: { at: { lt: cutoff } } }),
      batch: async (tx, cutoff, size) => {
        const rows = await tx.auditEntry.findMany({
          where: { at: { lt: cutoff } },
          select: { id: true },
          orderBy: { id: 'asc' },
          take: size,
        });
        return (await tx.auditEntry.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } })).count;
      },
    },
  };
}

/**
 * Deletes what the policy no longer keeps, kind by kind, in batches of `batchSize` rows per
 * transaction (each batch commits on its own: an interrupted run has deleted whole batches and
 * the next run goes on). Safe to run in several processes at once.
 */
export async function applyRetention(
  deps: Pick<ServiceDeps, 'db'>,
  policy: RetentionPolicy,
  options: { now?: Date; onProgress?: RetentionProgress; signal?: AbortSignal } = {},
): Promise<RetentionCounts> {
  const now = options.now ?? new Date();
  const counts: RetentionCounts = { messages: 0, conversations: 0, facts: 0, jobs: 0, audit: 0 };
  const all = sweeps(policy);
  for (const kind of RETENTION_KINDS) {
    const sweep = all[kind];
    if (sweep.days === null) continue;
    const cutoff = new Date(now.getTime() - sweep.days * DAY_MS);
    const due = await sweep.due(deps.db, cutoff);
    if (due === 0) continue;
    options.onProgress?.(kind, 0, due);
    for (;;) {
      if (options.signal?.aborted) return counts;
      const deleted = await inTransaction(deps, (tx) => sweep.batch(tx, cutoff, policy.batchSize));
      counts[kind] += deleted;
      options.onProgress?.(kind, counts[kind], Math.max(due, counts[kind]));
      if (deleted < policy.batchSize) break;
    }
  }
  return counts;
}

/** Whether the policy deletes anything at all. */
export function retains(policy: RetentionPolicy): boolean {
  const days = [
    policy.messagesDays,
    policy.conversationsDays,
    policy.factsUnmentionedDays,
    policy.jobsDays,
    policy.auditDays,
  ];
  return days.some((value) => value !== null);
}

/**
 * The background task: applies the policy now and every `intervalMs`, logging each kind's
 * progress; `stop()` lets the running batch finish and starts no other.
 */
export function startRetention(
  deps: Pick<ServiceDeps, 'db'>,
  policy: RetentionPolicy,
  options: { intervalMs: number; logger: Logger },
): { stop(): Promise<void> } {
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  const run = () => {
    // A run still going when the next is due is left to finish; runs never pile up.
    running ??= applyRetention(deps, policy, {
      signal: abort.signal,
      onProgress: (kind, deleted, due) => options.logger.info({ kind, deleted, due }, 'retention progress'),
    })
      .then(
        (counts) => options.logger.info({ deleted: counts }, 'retention applied'),
        (error: unknown) => options.logger.error({ err: error }, 'retention failed; it runs again later'),
      )
      .finally(() => {
        running = null;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      abort.abort();
      await running;
    },
  };
}
