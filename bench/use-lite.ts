/**
 * USE-lite speed: sentences per second of Engram's `use-lite` embedding provider
 * (src/embed/use-lite.ts, in its worker thread), one text per call and in batches, on real LoCoMo
 * turns (~160 characters) and on their first sentences (~60), with process CPU per sentence.
 * Baseline in the same run: BM25 indexing of the same texts (Engram's LexicalPartition), the
 * work a server without a model does per text.
 *
 *   npm run bench:use-lite -- [--data ../shared/data/locomo] [--texts 96]
 *
 * A table, then one JSON line (the last line of stdout). Quality is bench:locomo's job.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createUseLiteEmbedder, USE_LITE_MODEL_ID } from '../src/embed/use-lite.ts';
import { LexicalPartition } from '../src/search/lexical.ts';
import { locomoFile, readLocomo } from './lib/locomo-data.ts';
import { out, progress } from './lib/stdio.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Row {
  texts: string;
  mode: string;
  count: number;
  meanChars: number;
  perSecond: number;
  cpuMsPerText: number;
}

async function measure(label: string, mode: string, texts: string[], run: () => Promise<void>): Promise<Row> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const row = {
    texts: label,
    mode,
    count: texts.length,
    meanChars: Math.round(texts.reduce((n, t) => n + t.length, 0) / texts.length),
    perSecond: texts.length / seconds,
    cpuMsPerText: (used.user + used.system) / 1000 / texts.length,
  };
  progress(`  ${label} ${mode}: ${row.perSecond.toFixed(1)}/s`);
  return row;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { data: { type: 'string' }, texts: { type: 'string' } },
  });
  const count = Number(values.texts ?? 96);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`--texts must be a positive integer`);
  const file = locomoFile(values.data ?? path.resolve(REPO, '../shared/data/locomo'));
  const turns = readLocomo(file)
    .flatMap((c) => c.sessions.flatMap((s) => s.turns.map((t) => t.content)))
    .filter((text) => text.length > 40);
  // Two disjoint samples, so the second never meets a text the first embedded.
  const long = turns.slice(0, count);
  const short = turns
    .slice(count, 2 * count)
    .map((text) => (text.match(/^.*?[.!?](\s|$)/)?.[0] ?? text).trim());

  const embedder = createUseLiteEmbedder();
  const loadStart = performance.now();
  await embedder.load();
  const loadMs = performance.now() - loadStart;
  progress(`${USE_LITE_MODEL_ID} loaded in ${loadMs.toFixed(0)} ms`);
  const rows: Row[] = [];
  try {
    await embedder.embed(['warm up the thread'], 'document');
    for (const [label, texts] of [
      ['locomo turns', long],
      ['first sentences', short],
    ] as const) {
      rows.push(
        await measure(label, 'one per call', texts, async () => {
          for (const text of texts) await embedder.embed([text], 'document');
        }),
      );
      rows.push(
        await measure(label, 'one call of all', texts, async () => {
          await embedder.embed([...texts], 'document');
        }),
      );
      rows.push(
        await measure(label, 'bm25 index (baseline)', texts, async () => {
          const partition = new LexicalPartition();
          for (const [i, text] of texts.entries()) partition.add(i, text);
        }),
      );
    }
  } finally {
    await embedder.close();
  }
  out(
    `USE-lite (${USE_LITE_MODEL_ID}) in its worker thread; loaded in ${(loadMs / 1000).toFixed(1)} s; ` +
      `Node ${process.version}, ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  out(
    [
      'texts'.padEnd(16),
      'mode'.padEnd(22),
      'n'.padStart(4),
      'chars'.padStart(6),
      'texts/s'.padStart(9),
      'CPU ms/text'.padStart(12),
    ].join(' '),
  );
  for (const r of rows)
    out(
      [
        r.texts.padEnd(16),
        r.mode.padEnd(22),
        String(r.count).padStart(4),
        String(r.meanChars).padStart(6),
        r.perSecond.toFixed(1).padStart(9),
        r.cpuMsPerText.toFixed(2).padStart(12),
      ].join(' '),
    );
  out(
    JSON.stringify({
      bench: 'use-lite',
      model: USE_LITE_MODEL_ID,
      load_ms: Math.round(loadMs),
      rows: rows.map((r) => ({
        ...r,
        perSecond: Number(r.perSecond.toFixed(2)),
        cpuMsPerText: Number(r.cpuMsPerText.toFixed(3)),
      })),
      loadavg: os.loadavg(),
      node: process.version,
      cores: os.cpus().length,
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
