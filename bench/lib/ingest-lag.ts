/**
 * Phase 2 of bench:ingest, augmentation lag: calls paced at `--rate` messages per second (open
 * loop); measured are the jobs' completed_at − created_at from the database and, for every
 * `--probe-every`-th call, the client-side time from its acknowledgement to its job's
 * augmentationCompleted event (then every probe entity must show its facts).
 */
import { Agent } from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { BENCH_AUTHORIZATION } from './env.ts';
import { COMPLETED, callBody, checkCall, FACT_COUNT } from './ingest-calls.ts';
import { type IngestContext, withTarget } from './ingest-throughput.ts';
import { percentile, postGraphql } from './load.ts';
import { progress } from './stdio.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LagResult {
  calls: number;
  messages: number;
  achievedRate: number;
  callP50Ms: number;
  callP99Ms: number;
  /** How late this generator sent its calls behind schedule (its own delay, should be ~0). */
  maxSendDelayMs: number;
  cpuUsPerMessage: number;
  serverCores: number;
  lagP50Ms: number;
  lagP95Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  jobs: number;
  clientLagP50Ms: number;
  clientLagP95Ms: number;
  clientLagP99Ms: number;
  clientLagMaxMs: number;
  probes: number;
}

export async function lagPhase(context: IngestContext): Promise<LagResult> {
  const { options, server, queue } = context;
  const intervalMs = (options.messagesPerCall / options.rate) * 1000;
  const calls = Math.max(1, Math.round((options.lagSeconds * 1000) / intervalMs));
  const probeCount = Math.ceil(calls / options.probeEvery);
  const run = Date.now().toString(36);
  const probeIds = Array.from({ length: probeCount }, (_, i) => `probe-${run}-${i}`);

  // Every probe entity is subscribed to before the first call, so no event can come too early.
  const completedAt = new Map<string, number>();
  const subscriptionErrors: string[] = [];
  const ws = createClient({
    url: `ws://127.0.0.1:${context.port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: BENCH_AUTHORIZATION },
    lazy: false,
  });
  const unsubscribes = probeIds.map((id) =>
    ws.subscribe(
      { query: COMPLETED, variables: { entity: id } },
      {
        next: (result) => {
          if (result.errors?.length) subscriptionErrors.push(JSON.stringify(result.errors).slice(0, 300));
          else if (!completedAt.has(id)) completedAt.set(id, performance.now());
        },
        error: (error) => subscriptionErrors.push(String(error)),
        complete: () => {},
      },
    ),
  );
  await new Promise<void>((resolve, reject) => {
    ws.on('connected', () => resolve());
    ws.on('error', (error) => reject(new Error(`subscription socket: ${String(error)}`)));
  });
  await sleep(1000);
  if (subscriptionErrors.length) throw new Error(`subscription failed: ${subscriptionErrors[0]}`);

  progress(
    `lag: ${calls} calls of ${options.messagesPerCall} messages at ${options.rate} messages/s (${(1000 / intervalMs).toFixed(1)} calls/s), every ${options.probeEvery}th a probe`,
  );
  const idBefore = await queue.maxJobId();
  const cpuBefore = await server.cpuMicros();
  const acked = new Map<string, number>();
  const latencies: number[] = [];
  const failures: string[] = [];
  let maxSendDelayMs = 0;
  const inFlight: Promise<void>[] = [];
  const agent = new Agent({ keepAlive: true });
  const target = { agent, port: context.port };
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    maxSendDelayMs = Math.max(maxSendDelayMs, performance.now() - due);
    const probe = i % options.probeEvery === 0 ? (probeIds[i / options.probeEvery] ?? null) : null;
    const body = callBody(options, context.random, { probe });
    const sent = performance.now();
    inFlight.push(
      postGraphql(target, body).then(
        ({ status, text }) => {
          const now = performance.now();
          latencies.push(now - sent);
          const problem = checkCall(status, text);
          if (problem) failures.push(problem);
          else if (probe) acked.set(probe, now);
        },
        (error: unknown) => {
          failures.push(`call failed: ${String(error)}`);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - start;
  agent.destroy();
  const cpuPaced = (await server.cpuMicros()) - cpuBefore;
  if (failures.length) throw new Error(`lag: ${failures.length} failed call(s); first: ${failures[0]}`);
  const idAfter = await queue.maxJobId();
  await queue.drain('lag drain');

  // The probes' events follow their commits; give stragglers a moment.
  const deadline = performance.now() + 10_000;
  while (completedAt.size < probeIds.length && performance.now() < deadline) await sleep(50);
  for (const unsubscribe of unsubscribes) unsubscribe();
  await ws.dispose();
  if (subscriptionErrors.length) throw new Error(`subscription failed: ${subscriptionErrors[0]}`);
  const missing = probeIds.filter((id) => !completedAt.has(id));
  if (missing.length) throw new Error(`no augmentationCompleted event for ${missing.length} probe(s)`);

  // What the events promise: the probes' facts are visible.
  await withTarget(context.port, async (target) => {
    for (const id of probeIds) {
      const body = JSON.stringify({ query: FACT_COUNT, variables: { id } });
      const { status, text } = await postGraphql(target, body);
      const count = (JSON.parse(text) as { data?: { entity?: { facts: { totalCount: number } } } }).data
        ?.entity?.facts.totalCount;
      if (status !== 200 || !count)
        throw new Error(`probe ${id} has no facts after its job completed: ${text}`);
    }
  });

  const jobs = await queue.jobs(idBefore, idAfter);
  if (jobs.length !== calls)
    throw new Error(`${calls} calls were acknowledged but ${jobs.length} jobs enqueued`);
  const lags = Float64Array.from(
    jobs.map((job) => (job.completedAt?.getTime() ?? Number.NaN) - job.createdAt.getTime()),
  ).sort();
  if (lags.some(Number.isNaN)) throw new Error('a job of the lag phase did not complete');
  const clientLags = Float64Array.from(
    probeIds.map((id) => (completedAt.get(id) as number) - (acked.get(id) as number)),
  ).sort();
  const sortedLatencies = Float64Array.from(latencies).sort();
  const messages = calls * options.messagesPerCall;
  return {
    calls,
    messages,
    achievedRate: messages / (elapsedMs / 1000),
    callP50Ms: percentile(sortedLatencies, 0.5),
    callP99Ms: percentile(sortedLatencies, 0.99),
    maxSendDelayMs,
    cpuUsPerMessage: cpuPaced / messages,
    serverCores: cpuPaced / (elapsedMs * 1000),
    lagP50Ms: percentile(lags, 0.5),
    lagP95Ms: percentile(lags, 0.95),
    lagP99Ms: percentile(lags, 0.99),
    lagMaxMs: lags[lags.length - 1]!,
    jobs: jobs.length,
    clientLagP50Ms: percentile(clientLags, 0.5),
    clientLagP95Ms: percentile(clientLags, 0.95),
    clientLagP99Ms: percentile(clientLags, 0.99),
    clientLagMaxMs: clientLags[clientLags.length - 1]!,
    probes: probeIds.length,
  };
}
