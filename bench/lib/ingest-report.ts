/**
 * bench:ingest's report: the two phases' tables, the load average line and the JSON line (always
 * the last line of stdout), with the issue's goals each figure is held against.
 */

import type { LagResult } from './ingest-lag.ts';
import type { MirrorLag } from './ingest-mirror.ts';
import type { IngestOptions } from './ingest-options.ts';
import type { ThroughputResult } from './ingest-throughput.ts';
import { out } from './stdio.ts';

/** The goals. */
const GOAL_MESSAGES_PER_SECOND = 2000;
const GOAL_LAG_P95_MS = 2000;

const round = (value: number | null, digits: number) =>
  value === null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

function printTable(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  out('');
  out(title);
  for (const [name, value] of rows) out(`  ${name.padEnd(width)}  ${value}`);
}

const fmt = (value: number | null, digits = 0) =>
  value === null || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** What a run measured, as {@link printIngestReport} prints it. */
export interface IngestReport {
  options: IngestOptions;
  /** SQL statements of one call to an existing entity, and to a new one. */
  statementsPerCall: number;
  statementsNewEntity: number;
  /** Null where the phase was skipped. */
  throughput: ThroughputResult | null;
  lag: LagResult | null;
  /** With --mirror: the Neo4j mirror's lag over the lag phase's changes. */
  mirror?: MirrorLag | null;
  /** os.loadavg() before and after the run. */
  loadBefore: number[];
  loadAfter: number[];
}

/** Prints the tables, then the JSON line, to stdout. */
export function printIngestReport(report: IngestReport): void {
  const { options, statementsPerCall, statementsNewEntity, throughput, lag, loadBefore, loadAfter } = report;
  const workers = options.workers ?? 2;
  out(
    `bench:ingest on ${options.db}, ${options.messagesPerCall} messages per call, ${workers} augmentation worker(s), local extractor, ${statementsPerCall} SQL statements per call (${statementsNewEntity} for a new entity)`,
  );
  if (throughput) {
    const t = throughput;
    printTable(`throughput (concurrency ${options.concurrency}, ${t.seconds.toFixed(1)} s)`, [
      ['calls acknowledged', `${fmt(t.calls)} (${fmt(100 * t.newEntityShare)}% to a new entity)`],
      ['messages/s accepted', fmt(t.messagesPerSecond)],
      ['calls/s', fmt(t.callsPerSecond, 1)],
      ['call p50 / p99 ms', `${fmt(t.p50Ms, 1)} / ${fmt(t.p99Ms, 1)}`],
      ['server CPU µs/message (load window)', fmt(t.cpuUsPerMessage)],
      ['server CPU µs/message (load + drain)', fmt(t.cpuUsPerMessageWithAugmentation)],
      ...(t.dbCpuUsPerMessage === null
        ? []
        : ([['PostgreSQL CPU µs/message (load window)', fmt(t.dbCpuUsPerMessage)]] as [string, string][])),
      ['server / client cores', `${fmt(t.serverCores, 2)} / ${fmt(t.clientCores, 2)}`],
      [
        'jobs augmented during load',
        `${fmt(t.jobsDuringLoad)} (${fmt(t.augmentedJobsPerSecondDuringLoad, 1)} jobs/s, ${fmt(t.augmentedJobsPerSecondDuringLoad * options.messagesPerCall)} messages/s)`,
      ],
      [
        'jobs augmented after load',
        `${fmt(t.jobsAfterLoad)} (${fmt(t.augmentedJobsPerSecondAfterLoad, 1)} jobs/s, ${fmt(t.augmentedJobsPerSecondAfterLoad === null ? null : t.augmentedJobsPerSecondAfterLoad * options.messagesPerCall)} messages/s)`,
      ],
      ['time to drain the queue after load', `${fmt(t.drainSeconds, 1)} s`],
      ['messages augmented/s, load start to drained', fmt(t.augmentedMessagesPerSecond)],
      [
        `goal ≥ ${fmt(GOAL_MESSAGES_PER_SECOND)} messages/s`,
        t.messagesPerSecond >= GOAL_MESSAGES_PER_SECOND ? 'met' : 'NOT met',
      ],
    ]);
  }
  if (lag) {
    const l = lag;
    printTable(`lag (paced at ${options.rate} messages/s)`, [
      ['calls / jobs', `${fmt(l.calls)} / ${fmt(l.jobs)}`],
      ['achieved messages/s', fmt(l.achievedRate, 1)],
      ['call p50 / p99 ms', `${fmt(l.callP50Ms, 1)} / ${fmt(l.callP99Ms, 1)}`],
      ['server CPU µs/message, server cores', `${fmt(l.cpuUsPerMessage)}, ${fmt(l.serverCores, 2)}`],
      [
        'job lag p50 / p95 / p99 / max ms',
        `${fmt(l.lagP50Ms, 1)} / ${fmt(l.lagP95Ms, 1)} / ${fmt(l.lagP99Ms, 1)} / ${fmt(l.lagMaxMs, 1)}`,
      ],
      [
        `client lag (ack → augmentationCompleted), ${l.probes} probes p50 / p95 / p99 / max ms`,
        `${fmt(l.clientLagP50Ms, 1)} / ${fmt(l.clientLagP95Ms, 1)} / ${fmt(l.clientLagP99Ms, 1)} / ${fmt(l.clientLagMaxMs, 1)}`,
      ],
      ['generator send delay max ms', fmt(l.maxSendDelayMs, 1)],
      [`goal lag p95 ≤ ${fmt(GOAL_LAG_P95_MS)} ms`, l.lagP95Ms <= GOAL_LAG_P95_MS ? 'met' : 'NOT met'],
    ]);
  }
  const m = report.mirror ?? null;
  if (m) {
    printTable('Neo4j mirror (Bolt test server) over the lag phase', [
      ['triple changes mirrored', fmt(m.changes)],
      [
        'mirror lag p50 / p95 / p99 / max ms',
        `${fmt(m.p50Ms, 1)} / ${fmt(m.p95Ms, 1)} / ${fmt(m.p99Ms, 1)} / ${fmt(m.maxMs, 1)}`,
      ],
      ['caught up after the phase in', `${fmt(m.drainSeconds, 2)} s`],
    ]);
  }
  out('');
  out(
    `load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')} (2 cores shared with the load generator${options.db === 'postgresql' ? ' and PostgreSQL' : ''})`,
  );

  const t = throughput;
  const l = lag;
  out(
    JSON.stringify({
      bench: 'ingest',
      db: options.db,
      extractor: 'local',
      message_index: options.messageIndex ?? 'context',
      messages_per_call: options.messagesPerCall,
      concurrency: options.concurrency,
      seconds: options.seconds,
      entities: options.entities,
      workers,
      statements_per_call: statementsPerCall,
      statements_per_call_new_entity: statementsNewEntity,
      calls: t?.calls ?? null,
      new_entity_share: round(t?.newEntityShare ?? null, 3),
      messages: t?.messages ?? null,
      messages_per_second: round(t?.messagesPerSecond ?? null, 1),
      calls_per_second: round(t?.callsPerSecond ?? null, 1),
      p50_ms: round(t?.p50Ms ?? null, 2),
      p99_ms: round(t?.p99Ms ?? null, 2),
      cpu_us_per_message: round(t?.cpuUsPerMessage ?? null, 0),
      cpu_us_per_message_with_augmentation: round(t?.cpuUsPerMessageWithAugmentation ?? null, 0),
      ...(t?.dbCpuUsPerMessage != null ? { db_cpu_us_per_message: round(t.dbCpuUsPerMessage, 0) } : {}),
      server_cores: round(t?.serverCores ?? null, 2),
      augmented_jobs_per_second_during_load: round(t?.augmentedJobsPerSecondDuringLoad ?? null, 1),
      augmented_jobs_per_second_after_load: round(t?.augmentedJobsPerSecondAfterLoad ?? null, 1),
      augmented_messages_per_second_during_load: round(
        t ? t.augmentedJobsPerSecondDuringLoad * options.messagesPerCall : null,
        0,
      ),
      augmented_messages_per_second_after_load: round(
        t?.augmentedJobsPerSecondAfterLoad != null
          ? t.augmentedJobsPerSecondAfterLoad * options.messagesPerCall
          : null,
        0,
      ),
      augmented_messages_per_second: round(t?.augmentedMessagesPerSecond ?? null, 0),
      drain_seconds: round(t?.drainSeconds ?? null, 2),
      rate: options.rate,
      lag_seconds: options.lagSeconds,
      achieved_rate: round(l?.achievedRate ?? null, 1),
      lag_jobs: l?.jobs ?? null,
      lag_p50_ms: round(l?.lagP50Ms ?? null, 1),
      lag_p95_ms: round(l?.lagP95Ms ?? null, 1),
      lag_p99_ms: round(l?.lagP99Ms ?? null, 1),
      lag_max_ms: round(l?.lagMaxMs ?? null, 1),
      client_lag_method: 'augmentationCompleted subscription, from the call acknowledgement',
      client_lag_probes: l?.probes ?? null,
      client_lag_p50_ms: round(l?.clientLagP50Ms ?? null, 1),
      client_lag_p95_ms: round(l?.clientLagP95Ms ?? null, 1),
      client_lag_p99_ms: round(l?.clientLagP99Ms ?? null, 1),
      paced_call_p50_ms: round(l?.callP50Ms ?? null, 2),
      paced_call_p99_ms: round(l?.callP99Ms ?? null, 2),
      paced_cpu_us_per_message: round(l?.cpuUsPerMessage ?? null, 0),
      ...(m
        ? {
            mirror_changes: m.changes,
            mirror_lag_p50_ms: round(m.p50Ms, 1),
            mirror_lag_p95_ms: round(m.p95Ms, 1),
            mirror_lag_p99_ms: round(m.p99Ms, 1),
            mirror_lag_max_ms: round(m.maxMs, 1),
            mirror_drain_seconds: round(m.drainSeconds, 2),
            mirror_target: 'Bolt test server (tests/helpers/bolt-server.ts) with its Neo4j model',
          }
        : {}),
      load_average: {
        before: loadBefore.map((v) => round(v, 2)),
        after: loadAfter.map((v) => round(v, 2)),
      },
      goal_met: {
        messages_per_second: t ? t.messagesPerSecond >= GOAL_MESSAGES_PER_SECOND : null,
        lag_p95: l ? l.lagP95Ms <= GOAL_LAG_P95_MS : null,
      },
    }),
  );
}
