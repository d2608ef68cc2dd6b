/**
 * Phase 1 of bench:ingest, throughput: `--concurrency` clients send recordConversation calls back
 * to back for `--seconds`; measured are the calls and messages acknowledged, their latency, the
 * server's (and PostgreSQL's) CPU per message, and how fast the workers augment during the load and
 * after it. Also what both phases share: the {@link IngestContext} and {@link withTarget}.
 */
import { Agent } from 'node:http';
import { callBody, checkCall, seenEntities } from './ingest-calls.ts';
import type { IngestOptions } from './ingest-options.ts';
import { percentile, runPhase, type Scenario } from './load.ts';
import type { PostgresCpu } from './postgres-cpu.ts';
import type { QueueReader } from './queue-reader.ts';
import type { ServerProcess } from './server-process.ts';
import { progress } from './stdio.ts';

export interface ThroughputResult {
  calls: number;
  /** Share of the calls whose entity did not exist yet (its first call creates it). */
  newEntityShare: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerMessage: number;
  /** Server CPU over the load and the drain after it, per message accepted in the load. */
  cpuUsPerMessageWithAugmentation: number;
  dbCpuUsPerMessage: number | null;
  serverCores: number;
  clientCores: number;
  jobsDuringLoad: number;
  augmentedJobsPerSecondDuringLoad: number;
  jobsAfterLoad: number;
  augmentedJobsPerSecondAfterLoad: number | null;
  augmentedMessagesPerSecond: number;
  drainSeconds: number;
}

/** What both phases are given. */
export interface IngestContext {
  options: IngestOptions;
  server: ServerProcess;
  port: number;
  queue: QueueReader;
  dbCpu: PostgresCpu | null;
  random: () => number;
  /** False with --workers 0: jobs are enqueued but nobody runs them. */
  augmenting: boolean;
}

/**
 * Runs `work` with a keep-alive agent of its own, destroyed after it: a socket left idle while the
 * queue drains would be closed by the server (keep-alive timeout) just as a later phase reuses it.
 */
export async function withTarget<T>(
  port: number,
  work: (target: { agent: Agent; port: number }) => Promise<T>,
) {
  const agent = new Agent({ keepAlive: true });
  try {
    return await work({ agent, port });
  } finally {
    agent.destroy();
  }
}

export async function throughputPhase(context: IngestContext): Promise<ThroughputResult> {
  const { options, server, queue, dbCpu } = context;
  const scenario: Scenario = {
    name: 'recordConversation',
    body: () => callBody(options, context.random),
    check: (status, text) => checkCall(status, text),
  };
  if (options.warmup > 0) {
    progress(`throughput: warming up for ${options.warmup} s at concurrency ${options.concurrency}`);
    const warm = await withTarget(context.port, (target) =>
      runPhase(target, scenario, { concurrency: options.concurrency, durationMs: options.warmup * 1000 }),
    );
    if (warm.failures)
      throw new Error(`warmup: ${warm.failures} failed call(s); first: ${warm.firstFailure}`);
    if (context.augmenting) await queue.drain('warmup drain');
  }

  progress(
    `throughput: ${options.seconds} s at concurrency ${options.concurrency}, ${options.messagesPerCall} messages per call`,
  );
  const idBefore = await queue.maxJobId();
  const cpuBefore = await server.cpuMicros();
  const dbBefore = dbCpu?.snapshot();
  const clientBefore = process.cpuUsage();
  const seenBefore = seenEntities.size;
  const loadStart = Date.now();
  const result = await withTarget(context.port, (target) =>
    runPhase(target, scenario, { concurrency: options.concurrency, durationMs: options.seconds * 1000 }),
  );
  const loadEnd = Date.now();
  const client = process.cpuUsage(clientBefore);
  const cpuLoad = (await server.cpuMicros()) - cpuBefore;
  const dbMicros = dbCpu && dbBefore ? dbCpu.microsSince(dbBefore) : null;
  if (result.failures) throw new Error(`${result.failures} failed call(s); first: ${result.firstFailure}`);
  const idAfter = await queue.maxJobId();

  if (context.augmenting) await queue.drain('throughput drain');
  const cpuTotal = (await server.cpuMicros()) - cpuBefore;
  const jobs = await queue.jobs(idBefore, idAfter);
  if (jobs.length !== result.requests) {
    throw new Error(`${result.requests} calls were acknowledged but ${jobs.length} jobs were enqueued`);
  }
  const loadSeconds = result.elapsedMs / 1000;
  const messages = result.requests * options.messagesPerCall;
  const newEntityShare = (seenEntities.size - seenBefore) / result.requests;
  // Without workers (--workers 0) the jobs stay queued: nothing to say about augmentation.
  const completed = jobs.map((job) => job.completedAt?.getTime() ?? Number.NaN);
  if (context.augmenting && completed.some(Number.isNaN)) {
    throw new Error('a job of the throughput phase did not complete');
  }
  const lastCompleted = context.augmenting ? Math.max(...completed) : Number.NaN;
  const during = context.augmenting ? completed.filter((at) => at <= loadEnd).length : 0;
  const after = context.augmenting ? jobs.length - during : 0;
  const drainMs = context.augmenting ? Math.max(0, lastCompleted - loadEnd) : Number.NaN;
  return {
    calls: result.requests,
    newEntityShare,
    messages,
    seconds: loadSeconds,
    messagesPerSecond: messages / loadSeconds,
    callsPerSecond: result.requests / loadSeconds,
    p50Ms: percentile(result.latenciesMs, 0.5),
    p99Ms: percentile(result.latenciesMs, 0.99),
    cpuUsPerMessage: cpuLoad / messages,
    cpuUsPerMessageWithAugmentation: context.augmenting ? cpuTotal / messages : Number.NaN,
    dbCpuUsPerMessage: dbMicros === null ? null : dbMicros / messages,
    serverCores: cpuLoad / (result.elapsedMs * 1000),
    clientCores: (client.user + client.system) / (result.elapsedMs * 1000),
    jobsDuringLoad: during,
    augmentedJobsPerSecondDuringLoad: context.augmenting ? during / loadSeconds : Number.NaN,
    jobsAfterLoad: after,
    augmentedJobsPerSecondAfterLoad: after > 0 && drainMs > 0 ? after / (drainMs / 1000) : null,
    augmentedMessagesPerSecond: messages / ((lastCompleted - loadStart) / 1000),
    drainSeconds: drainMs / 1000,
  };
}
