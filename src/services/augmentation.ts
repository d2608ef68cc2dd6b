/**
 * The augmentation rules callers see: whether a job may run again, and how a conversation's jobs
 * add up to one status. The queue itself (claiming, leases, retries) is src/jobs/queue.ts.
 */
import type { Db } from '../db/client.ts';
import type { JobStatus } from '../db/enums.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { type Actor, auditedTransaction } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { globalId } from './global-id.ts';

/** What re-running a job needs: the queue (null when augmentation is off) and a reader. */
export interface RerunDeps extends Pick<ServiceDeps, 'augmentation' | 'db' | 'events'> {
  jobs: JobQueue | null;
  reader: Db;
}

/**
 * Puts a parked job (with `force`, also a completed one) back in the queue with fresh attempts,
 * and wakes this process's workers.
 * @param job its database id, and how the caller named it (for the not-found message)
 * @returns the job's id
 * @throws ValidationError AUGMENTATION_OFF when there is no queue, JOB_NOT_RERUNNABLE when the
 *   job is in another state; NotFoundError when there is no such job
 */
export async function rerunAugmentation(
  deps: RerunDeps,
  actor: Actor,
  job: { id: number; ref: string },
  force = false,
): Promise<number> {
  const jobs = deps.jobs;
  if (!jobs) {
    throw new ValidationError('augmentation is turned off (AUGMENTATION=off)', [], 'AUGMENTATION_OFF');
  }
  const audit = (requeued: { entityExternalId: string | null } | null) =>
    requeued && {
      action: 'rerunAugmentation',
      entity: requeued.entityExternalId,
      target: [globalId('AugmentationJob', job.id)],
    };
  const requeued = await auditedTransaction(deps, actor, audit, async (tx) => {
    const done = await jobs.requeue(job.id, force, tx);
    if (!done) return null;
    const entity = await tx.entity.findUnique({ where: { id: done.entityId }, select: { externalId: true } });
    return { entityExternalId: entity?.externalId ?? null };
  });
  if (!requeued) {
    const exists = await deps.reader.augmentationJob.findUnique({
      where: { id: job.id },
      select: { status: true },
    });
    if (!exists) throw new NotFoundError('AugmentationJob', job.ref);
    const message = `the job is ${exists.status}; only PARKED jobs (or DONE ones with force) re-run`;
    throw new ValidationError(message, [{ path: 'job', message }], 'JOB_NOT_RERUNNABLE');
  }
  deps.augmentation?.wake();
  return job.id;
}

/** The statuses that speak for the whole conversation, most telling first. */
const ROLL_UP: readonly JobStatus[] = ['PARKED', 'RUNNING', 'PENDING'];

/**
 * A conversation's augmentation as one status: PARKED if any job is, else RUNNING or PENDING
 * while any is, else DONE.
 * @returns null when no job was enqueued
 */
export function augmentationStatus(jobs: readonly { status: JobStatus }[]): JobStatus | null {
  if (jobs.length === 0) return null;
  const statuses = new Set(jobs.map((job) => job.status));
  return ROLL_UP.find((status) => statuses.has(status)) ?? 'DONE';
}
