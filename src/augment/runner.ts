import { z } from 'zod';
import type { AugmentationJob } from '../db/generated/client.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';
import { AUGMENTATION_ACTOR, type AuditRecord, auditedTransaction } from '../services/audit.ts';
import type { ServiceDeps } from '../services/deps.ts';
import { type FactChange, prepareFact, storeFact, syncIndex } from '../services/facts.ts';
import { globalId } from '../services/global-id.ts';
import { normalizePredicate } from '../services/predicates.ts';
import { tombstoned, tripleContentHash } from '../services/tombstones.ts';
import { maskTripleNames, storeTriples, type TripleChange, upsertTripleNames } from '../services/triples.ts';
import { contentSchema, graphNameSchema } from '../services/validation.ts';
import { extractiveSummary } from './summary.ts';
import type { ExtractedFact, ExtractedTriple, Extraction, Extractor } from './types.ts';

/** How the runner runs jobs; every field comes from configuration. */
export interface RunnerOptions {
  /** Jobs run at the same time in this process. @default 2 */
  concurrency: number;
  /** Most jobs claimed per poll. @default 10 */
  batchSize: number;
  /** How often the queue is polled when idle (in-process writes wake the workers at once). @default 250 */
  pollMs: number;
  /** Longest one extraction may take before it is abandoned and retried. @default 60000 */
  jobTimeoutMs: number;
}

/** What happened to one job, for events and logs. */
export interface JobOutcome {
  job: AugmentationJob;
  entity: string;
  facts: FactChange[];
  triples: TripleChange[];
}

/** Errors an extractor marks as not worth retrying (a refused key, a malformed request). */
function isRetryable(error: unknown): boolean {
  const retryable = (error as { retryable?: unknown } | null)?.retryable;
  return typeof retryable === 'boolean' ? retryable : true;
}

/**
 * Runs augmentation jobs: claims them from the queue, extracts facts, triples and a summary from
 * the job's messages, and writes the results in the same transaction that marks the job done.
 * Failures are retried with backoff and parked after the last attempt, with their error.
 *
 * It publishes what a job changed (fact-changed, triple-changed, augmentation-completed) on the
 * event bus of its dependencies once the job's transaction has committed, wherever it runs: in the
 * server process, or in an `engram worker` process (whose bus is its own: see the README).
 */
export class AugmentationRunner {
  private started = false;
  private readonly inFlight = new Set<Promise<void>>();
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly aborts = new Set<AbortController>();
  /** Jobs this process is running, whose heartbeat it renews. */
  private readonly runningJobs = new Set<number>();
  private heartbeat: NodeJS.Timeout | null = null;
  private beating = false;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly queue: JobQueue,
    private readonly extractor: Extractor,
    private readonly options: RunnerOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.loop = this.run();
    // Its own timer, not the job loop, so a long job is vouched for while it runs.
    this.heartbeat = setInterval(() => void this.beat(), this.queue.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** A job was just enqueued in this process: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops claiming, lets running jobs finish (up to `timeoutMs`, then abandons them: live workers take them over once their heartbeat lapses). */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.started = false;
    this.wake();
    await this.loop;
    const finished = Promise.all(this.inFlight);
    const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([finished, timer]);
    for (const abort of this.aborts) abort.abort();
    // Jobs abandoned here are no longer vouched for: live workers take them over within seconds.
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Tells subscribers what a committed job changed. */
  private publish(outcome: JobOutcome): void {
    const { events } = this.deps;
    for (const change of outcome.facts) events.publish('fact-changed', outcome.entity, change);
    for (const change of outcome.triples) events.publish('triple-changed', outcome.entity, change);
    events.publish('augmentation-completed', outcome.entity, outcome.job);
  }

  /** Renews the heartbeat of the running jobs (one statement; skipped while the last is pending). */
  private async beat(): Promise<void> {
    if (this.beating || this.runningJobs.size === 0) return;
    this.beating = true;
    try {
      await this.queue.renew([...this.runningJobs]);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not renew the heartbeat of running augmentation jobs');
    } finally {
      this.beating = false;
    }
  }

  private async run(): Promise<void> {
    while (this.started) {
      const free = this.options.concurrency - this.inFlight.size;
      let claimed: AugmentationJob[] = [];
      if (free > 0) {
        try {
          claimed = await this.queue.claim(Math.min(free, this.options.batchSize));
        } catch (error) {
          this.logger.warn({ err: error }, 'could not claim augmentation jobs; retrying');
        }
      }
      for (const job of claimed) {
        this.runningJobs.add(job.id);
        const task = this.process(job).finally(() => {
          this.runningJobs.delete(job.id);
          this.inFlight.delete(task);
          this.wake();
        });
        this.inFlight.add(task);
      }
      if (claimed.length === 0 || this.inFlight.size >= this.options.concurrency) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private async process(job: AugmentationJob): Promise<void> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(), this.options.jobTimeoutMs);
    try {
      const outcome = await this.execute(job, abort.signal);
      if (outcome) this.publish(outcome);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const verdict = await this.queue.fail(job, message, isRetryable(error)).catch(() => 'unrecorded');
      this.logger.warn(
        { err: error, jobId: job.id, attempt: job.attempts, verdict },
        'augmentation job failed',
      );
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }

  private async execute(job: AugmentationJob, signal: AbortSignal): Promise<JobOutcome | null> {
    const { reader } = this.deps;
    if (job.attempts > this.queue.options.maxAttempts) {
      // Claimed again and again without finishing: its worker keeps dying on it.
      await this.queue.fail(job, `gave up after ${job.attempts - 1} attempts that never finished`, false);
      return null;
    }
    const conversation = await reader.conversation.findUnique({
      where: { id: job.conversationId },
      select: { summary: true, session: { select: { entity: { select: { externalId: true } } } } },
    });
    if (!conversation) {
      // Erased (eraseEntity deletes the job with it): nothing to extract and nobody to tell.
      this.logger.info({ jobId: job.id }, 'augmentation job skipped: its conversation was erased');
      return null;
    }
    const entity = conversation.session.entity.externalId;
    const messages = await reader.conversationMessage.findMany({
      where: { conversationId: job.conversationId, id: { gte: job.firstMessageId, lte: job.lastMessageId } },
      orderBy: { id: 'asc' },
    });
    const extraction = await this.extractor.extract(
      {
        entity,
        messages: messages.map(({ role, content }) => ({ role, content })),
        previousSummary: conversation.summary,
      },
      signal,
    );
    const { facts, triples: found } = this.clean(extraction, messages.length);
    // Facts are masked by prepareFact, triple names and the summary here (PII_REDACTION=storage):
    // messages recorded before masking was turned on still hold what they held.
    const triples = maskTripleNames(this.deps, entity, found);
    const mask = this.deps.storageMask;
    const prepared = await Promise.all(
      facts.map((fact) => prepareFact(this.deps, entity, { content: fact.content, category: fact.category })),
    );
    const extracted =
      extraction.summary?.trim() ||
      extractiveSummary(
        conversation.summary,
        messages
          .filter((_, i) => facts.some((fact) => fact.messageIndex === i))
          .map((message) => message.content),
      );
    const summary = extracted && mask ? mask(extracted) : extracted;
    // Recorded as Engram's own write (actor SYSTEM `augmentation`), with the job's and what it wrote.
    const audit = (done: JobOutcome | null): AuditRecord | null =>
      done && {
        action: 'augmentation',
        entity,
        target: [
          globalId('AugmentationJob', job.id),
          ...done.facts.map((change) => globalId('Fact', change.fact.id)),
          ...done.triples.map((change) => globalId('Triple', change.triple.id)),
        ],
      };
    const written = await auditedTransaction(this.deps, AUGMENTATION_ACTOR, audit, async (tx) => {
      // Taken inside the transaction (and again on a retry), so validity periods follow commit order.
      const now = new Date();
      const completed = await this.queue.complete(tx, job, {
        extractor: this.extractor.name,
        inputTokens: extraction.usage?.inputTokens ?? 0,
        outputTokens: extraction.usage?.outputTokens ?? 0,
        factsFound: facts.length,
        triplesFound: triples.length,
      });
      if (!completed) return null;
      const owner = { id: job.entityId, externalId: entity };
      // What the entity was told to forget stays forgotten, whatever the messages say.
      const forgottenFacts = await tombstoned(
        tx,
        job.entityId,
        'fact',
        prepared.map((fact) => fact.contentHash),
      );
      const forgottenTriples = await tombstoned(tx, job.entityId, 'triple', triples.map(tripleContentHash));
      const factChanges: FactChange[] = [];
      for (const [i, fact] of facts.entries()) {
        const ready = prepared[i] as (typeof prepared)[number];
        if (forgottenFacts.has(ready.contentHash)) continue;
        const message = messages[fact.messageIndex];
        const source = message ? { messageId: message.id, conversationId: job.conversationId } : null;
        factChanges.push(await storeFact(tx, owner, ready, source, now));
      }
      const tripleChanges: TripleChange[] = [];
      // Names first, all of them, in the order every writer locks them (see upsertTripleNames).
      const names = await upsertTripleNames(
        tx,
        job.entityId,
        triples.filter((triple) => !forgottenTriples.has(tripleContentHash(triple))),
      );
      for (const triple of triples) {
        if (forgottenTriples.has(tripleContentHash(triple))) continue;
        const message = messages[triple.messageIndex];
        tripleChanges.push(
          ...(await storeTriples(
            tx,
            owner,
            [triple],
            message?.id ?? null,
            now,
            names,
            this.deps.graphMirror,
          )),
        );
      }
      if (summary && summary !== conversation.summary) {
        await tx.conversation.update({ where: { id: job.conversationId }, data: { summary } });
      }
      const done = await tx.augmentationJob.findUniqueOrThrow({ where: { id: job.id } });
      return { job: done, entity, facts: factChanges, triples: tripleChanges };
    });
    if (!written) {
      await this.dropUnwritten(job, prepared);
      return null;
    }
    await syncIndex(this.deps);
    return written;
  }

  /**
   * After the job's results could not be written because it is no longer this worker's: another
   * worker took it over, or the entity was erased while it ran (the job row went with it). Then
   * the texts embedded for it leave the embedding cache, as the erase took the others out.
   */
  private async dropUnwritten(job: AugmentationJob, prepared: { content: string }[]): Promise<void> {
    const still = await this.deps.reader.augmentationJob
      .findUnique({ where: { id: job.id }, select: { id: true } })
      .catch(() => ({ id: job.id }));
    if (still) {
      this.logger.warn(
        { jobId: job.id },
        'augmentation job was taken over by another worker; its results were not written',
      );
      return;
    }
    this.deps.embeddings?.forget(prepared.map((fact) => fact.content));
    this.logger.info({ jobId: job.id }, 'augmentation job was erased while it ran; its results were dropped');
  }

  /** Drops what the database would refuse or the limits forbid, instead of failing the whole job. */
  private clean(
    extraction: Extraction,
    messageCount: number,
  ): { facts: ExtractedFact[]; triples: ExtractedTriple[] } {
    const content = contentSchema(this.deps.limits.maxContentLength);
    const index = z
      .number()
      .int()
      .min(0)
      .max(Math.max(0, messageCount - 1));
    const seenFacts = new Set<string>();
    const facts = extraction.facts.filter((fact) => {
      const key = fact.content.trim().toLowerCase();
      if (seenFacts.has(key)) return false;
      seenFacts.add(key);
      return content.safeParse(fact.content).success && index.safeParse(fact.messageIndex).success;
    });
    const seenTriples = new Set<string>();
    const triples = extraction.triples.flatMap((triple) => {
      const subject = graphNameSchema.safeParse(triple.subject);
      const object = graphNameSchema.safeParse(triple.object);
      const predicate = normalizePredicate(triple.predicate);
      if (!subject.success || !object.success || !predicate || !index.safeParse(triple.messageIndex).success)
        return [];
      const key = JSON.stringify([subject.data, predicate, object.data]);
      if (seenTriples.has(key)) return [];
      seenTriples.add(key);
      return [{ ...triple, subject: subject.data, predicate, object: object.data }];
    });
    return { facts, triples };
  }
}
