/**
 * bench:locomo's report: the table of recall@k and hit@k per category against the BM25 baseline,
 * with the run's counts and timings, then one JSON line (always the last line of stdout).
 */
import os from 'node:os';
import { percentile } from './load.ts';
import { CATEGORY_NAMES } from './locomo-data.ts';
import type { IngestStats } from './locomo-ingest.ts';
import type { LocomoOptions } from './locomo-options.ts';
import type { QuestionResults } from './locomo-questions.ts';
import { KS, means, type Tally } from './locomo-scoring.ts';

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** What a run did and measured, as {@link printLocomoReport} prints it. */
export interface LocomoRun {
  options: LocomoOptions;
  /** The LoCoMo JSON file read. */
  file: string;
  conversations: number;
  questionCount: number;
  /** The embedding model's id, or 'none'. */
  model: string;
  /** Whether a model was given (the lexical-fallback warning only means something then). */
  withModel: boolean;
  stats: IngestStats;
  ingestSeconds: number;
  /** Process CPU over the ingest (server, embedding thread and client alike). */
  ingestCpuSeconds: number;
  embedSeconds: number;
  /** With `--facts extracted`: the augmentation jobs, and seconds from the first record to drained. */
  augmentationJobs: number;
  augmentationSeconds: number;
  questions: QuestionResults;
}

/** Prints the table, then the JSON line, to stdout. */
export function printLocomoReport(run: LocomoRun): void {
  const { options, file, questionCount, model, withModel, stats, ingestSeconds, embedSeconds } = run;
  const { augmentationJobs, augmentationSeconds } = run;
  const { overall, byCategory, latencies, bm25Latencies, skippedNoEvidence, skippedUnknownEvidence } =
    run.questions;
  const { lexicalFallbacks, unmappedSources, repaired, unknown, querySeconds, queryCpuSeconds } =
    run.questions;
  const { stabilityChecked, stabilityChanged } = run.questions;
  const perMessageMs = (1000 * ingestSeconds) / Math.max(1, stats.messages);
  const perMessageCpuMs = (1000 * run.ingestCpuSeconds) / Math.max(1, stats.messages);
  const perQueryCpuMs = (1000 * queryCpuSeconds) / Math.max(1, latencies.length);
  const extracted = options.facts === 'extracted';
  const sorted = Float64Array.from(latencies).sort();
  const bm25Sorted = Float64Array.from(bm25Latencies).sort();
  const categories = [...byCategory.keys()].sort((a, b) => a - b);
  const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '    -' : x.toFixed(3));
  const row = (label: string, tally: Tally) => {
    const m = means(tally);
    return [
      label.padEnd(16),
      String(tally.questions).padStart(9),
      ...KS.map((k) => fmt(m[`recall_at_${k}`]).padStart(10)),
      ...KS.map((k) => fmt(m[`bm25_recall_at_${k}`]).padStart(9)),
      fmt(m.hit_at_10).padStart(10),
      fmt(m.bm25_hit_at_10).padStart(9),
    ].join(' ');
  };
  const lines = [
    `LoCoMo evidence retrieval: ${run.conversations} conversations, ${stats.messages} turns; sources ${options.sources}, facts ${options.facts}: ` +
      `${stats.factsCreated} facts, ${stats.factsMerged} merged into an existing fact` +
      (extracted
        ? ` (local extractor, ${augmentationJobs} augmentation jobs, ${augmentationSeconds.toFixed(1)} s)`
        : '') +
      `; model ${model}, recall first ${options.first}`,
    'recall@k = share of a question\u2019s evidence turns (dia_ids) covered by the top k results, averaged over questions;',
    'an Engram hit covers the turns of its provenance messages; hit@k = share of questions with any evidence turn in the top k',
    '',
    [
      'category'.padEnd(16),
      'questions'.padStart(9),
      ...KS.map((k) => `engram@${k}`.padStart(10)),
      ...KS.map((k) => `bm25@${k}`.padStart(9)),
      'e.hit@10'.padStart(10),
      'b.hit@10'.padStart(9),
    ].join(' '),
    ...categories.map((c) => row(`${c} ${CATEGORY_NAMES[c] ?? '?'}`, byCategory.get(c) as Tally)),
    row('all', overall),
    '',
    `skipped: ${skippedNoEvidence} questions without evidence, ${skippedUnknownEvidence} whose evidence names no turn`,
    `evidence ids repaired: ${repaired.join(', ') || 'none'}; naming no turn (dropped): ${unknown.join(', ') || 'none'}`,
    `ingest ${ingestSeconds.toFixed(1)} s (embedding ${embedSeconds.toFixed(1)} s); recall over HTTP: ` +
      `p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms; ` +
      `bm25 in-process p50 ${percentile(bm25Sorted, 0.5).toFixed(2)} ms`,
    `ingest cost per message: ${perMessageMs.toFixed(1)} ms wall, ${perMessageCpuMs.toFixed(1)} ms CPU ` +
      `(embedding included; process CPU: server, embedding thread and client); ` +
      `recall CPU per question ${perQueryCpuMs.toFixed(1)} ms`,
    stabilityChecked > 0
      ? `stability: top ${options.first} changed when asked with first ${options.stability} for ` +
        `${stabilityChanged} of ${stabilityChecked} questions`
      : 'stability: not checked',
  ];
  if (lexicalFallbacks > 0 && withModel)
    lines.push(`warning: ${lexicalFallbacks} hits had no semantic score`);
  if (unmappedSources > 0) lines.push(`warning: ${unmappedSources} sources named no known message`);
  process.stdout.write(`${lines.join('\n')}\n`);

  const perCategory: Record<string, unknown> = {};
  for (const c of categories) {
    const tally = byCategory.get(c) as Tally;
    perCategory[String(c)] = {
      name: CATEGORY_NAMES[c] ?? null,
      questions: tally.questions,
      ...means(tally),
    };
  }
  const result = {
    bench: 'locomo',
    definition:
      'recall@k = |evidence dia_ids covered by the top k results| / |evidence dia_ids|, averaged over questions with evidence; ' +
      'an Engram recall hit covers the dia_ids of its sources (provenance messages); hit@k = share of questions with any evidence in the top k',
    model,
    data: file,
    first: options.first,
    facts_mode: options.facts,
    sources: options.sources,
    ...means(overall),
    per_category: perCategory,
    questions: overall.questions,
    questions_total: questionCount,
    skipped_no_evidence: skippedNoEvidence,
    skipped_unknown_evidence: skippedUnknownEvidence,
    evidence_repaired: repaired,
    evidence_unknown: unknown,
    conversations: run.conversations,
    turns: stats.messages,
    facts: stats.factsCreated,
    facts_merged: stats.factsMerged,
    ingest_seconds: round(ingestSeconds, 1),
    augmentation_seconds: round(augmentationSeconds, 1),
    embed_seconds: round(embedSeconds, 1),
    query_seconds: round(querySeconds, 1),
    ingest_ms_per_message: round(perMessageMs, 2),
    ingest_cpu_ms_per_message: round(perMessageCpuMs, 2),
    query_cpu_ms: round(perQueryCpuMs, 2),
    stability_first: stabilityChecked > 0 ? options.stability : null,
    stability_checked: stabilityChecked,
    stability_changed: stabilityChanged,
    query_p50_ms: round(percentile(sorted, 0.5), 2),
    query_p99_ms: round(percentile(sorted, 0.99), 2),
    bm25_query_p50_ms: round(percentile(bm25Sorted, 0.5), 3),
    bm25_query_p99_ms: round(percentile(bm25Sorted, 0.99), 3),
    lexical_fallback_hits: lexicalFallbacks,
    node: process.version,
    cores: os.cpus().length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
