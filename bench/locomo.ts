/**
 * LoCoMo retrieval benchmark: does Engram's `recall` find the turns that answer a question?
 *
 *   npm run bench:locomo -- [--data ../shared/data/locomo] [--model use|none]
 *                           [--facts turns|extracted] [--conversations <n>] [--first 10]
 *
 * Starts a real Engram in this process (its own temporary SQLite file, an in-memory vector index)
 * and talks to it over HTTP. For each LoCoMo conversation (one entity, `locomo-<sample_id>`):
 *
 * 1. Ingest: every session becomes one conversation (`recordConversation`, speaker A as USER,
 *    speaker B as ASSISTANT, content `<speaker>: <text>` plus the caption of a shared photo). The
 *    message ids `recordConversation` returns give the message id -> dia_id map. The facts:
 *    - `--facts turns` (default): every turn is also remembered as a fact (`rememberFact` with
 *      `source:` its message's global id), so each fact's provenance is its message.
 *    - `--facts extracted`: no `rememberFact`; the server runs background augmentation with the
 *      local extractor (AUGMENTATION=on, AUGMENTATION_EXTRACTOR=local, 2 in-process workers), which
 *      enqueues one job per recorded batch and writes the facts it extracts with their provenance
 *      (fact_mention.message_id) to the message they came from. The bench waits until every
 *      augmentation_job is DONE (it fails, printing lastError, if any is PARKED).
 *      `augmentation_seconds` runs from the first recordConversation until the queue has drained
 *      (so it overlaps `ingest_seconds`, which stops when the last session is recorded).
 *    Engram dedupes facts (same text, or cosine >= 0.95 with a model): a merged fact then has
 *    several sources, and covers all of their dia_ids.
 * 2. Ask every question with `recall(entity, query, first)`. A hit covers the dia_ids of its
 *    `sources` (the provenance messages).
 * 3. Baseline: BM25 alone over the same turn texts, with Engram's own `LexicalPartition`
 *    (same tokenizer, stop words and stemming), one partition per conversation, one document per
 *    turn.
 *
 * recall@k (both systems): the fraction of a question's evidence dia_ids covered by the top k
 * results, averaged over questions (a question with 3 evidence turns, 2 of them in the top k,
 * scores 0.667). hit@k: the fraction of questions with at least one evidence turn in the top k.
 * Questions without evidence are skipped and counted; evidence ids naming no turn of the
 * conversation are dropped and listed (a few in the released data are malformed: they are read
 * as what they plainly mean, e.g. 'D8:6; D9:17', and listed as repaired).
 *
 * --model use: Universal Sentence Encoder lite (512-d), Engram's own `use-lite` provider
 * (EMBEDDING_PROVIDER=use-lite: src/embed/use-lite.ts, in its worker thread); the fact texts are embedded in batches before ingest (the service's cache then
 * serves the server's one-at-a-time requests with the very same vectors), questions are embedded
 * when asked, so query latency includes embedding (with `--facts extracted` the turns are not
 * pre-embedded: they are not the facts, which the workers embed as they store them). --model none: no embedder; recall runs its
 * lexical fallback (BM25 + mentions + recency).
 *
 * Progress goes to stderr (so do the server's logs); a table, then one JSON line (always the last
 * line of stdout) to stdout.
 *
 * This file holds the run (load the data, start Engram, ingest, ask, report); the pieces are in
 * bench/lib/: locomo-options.ts (flags), locomo-data.ts (the data file), locomo-engram.ts (Engram
 * in this process), locomo-graphql.ts (the operations), locomo-ingest.ts, locomo-questions.ts,
 * locomo-scoring.ts (recall@k, hit@k, tallies), locomo-report.ts (the table and the JSON line).
 */
import os from 'node:os';
import { locomoFile, readLocomo } from './lib/locomo-data.ts';
import { startEngram } from './lib/locomo-engram.ts';
import { drainAugmentation, type IngestStats, ingest } from './lib/locomo-ingest.ts';
import { parseLocomoOptions } from './lib/locomo-options.ts';
import { askQuestions } from './lib/locomo-questions.ts';
import { printLocomoReport } from './lib/locomo-report.ts';
import { sweep } from './lib/locomo-sweep.ts';
import { progress } from './lib/stdio.ts';

const since = (start: number) => (performance.now() - start) / 1000;
const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

async function main(): Promise<void> {
  const o = parseLocomoOptions(process.argv.slice(2));
  const file = locomoFile(o.data);
  const all = readLocomo(file);
  const conversations = o.conversations === null ? all : all.slice(0, o.conversations);
  const turns = conversations.reduce(
    (n, c) => n + c.sessions.reduce((m, session) => m + session.turns.length, 0),
    0,
  );
  const questionCount = conversations.reduce((n, c) => n + c.questions.length, 0);
  progress(
    `locomo bench: ${file}: ${conversations.length}/${all.length} conversations, ${turns} turns, ` +
      `${questionCount} questions; model ${o.model}, sources ${o.sources}, facts ${o.facts}, first ${o.first} (Node ${process.version}, ${os.cpus().length} cores)`,
  );

  const withModel = o.model === 'use';
  let started = performance.now();
  // Every turn and question fits in the cache, so nothing is embedded twice.
  const extracted = o.facts === 'extracted';
  const withMessages = o.sources !== 'facts';
  const withFacts = o.sources !== 'messages';
  const engram = await startEngram(
    withModel,
    // Turns and their contexts, and questions, fit in the cache: nothing is embedded twice.
    2 * turns + questionCount + 1000,
    extracted && withFacts,
    withMessages ? 'context' : 'off',
  );
  const model = engram.embeddings.status().model ?? 'none';
  progress(`  engram up at ${engram.url} in ${since(started).toFixed(1)} s; model ${model}`);

  try {
    // --- Ingest ---
    const ingestStart = performance.now();
    const ingestCpu = process.cpuUsage();
    let embedSeconds = 0;
    if (withModel && !extracted && withFacts) {
      const texts = conversations.flatMap((c) =>
        c.sessions.flatMap((session) => session.turns.map((t) => t.content)),
      );
      started = performance.now();
      for (let i = 0; i < texts.length; i += 256) {
        await engram.embeddings.embed(texts.slice(i, i + 256), 'document');
        progress(
          `  embedded ${Math.min(i + 256, texts.length)}/${texts.length} turns (${since(started).toFixed(1)} s)`,
        );
      }
      embedSeconds = since(started);
    }
    const diaIdOf = new Map<string, string>();
    const stats: IngestStats = { messages: 0, factsCreated: 0, factsMerged: 0 };
    for (const conversation of conversations) {
      started = performance.now();
      await ingest(engram.url, conversation, diaIdOf, stats, withFacts && !extracted);
      progress(
        `  ingested ${conversation.id}: ${conversation.sessions.length} sessions, ${stats.messages} turns so far ` +
          `(${since(started).toFixed(1)} s)`,
      );
    }
    const ingestSeconds = since(ingestStart);
    const ingestCpuSeconds = cpuSeconds(process.cpuUsage(ingestCpu));
    let augmentationSeconds = 0;
    let augmentationJobs = 0;
    if (extracted && withFacts) {
      started = performance.now();
      progress(`  recorded; waiting for the augmentation queue to drain`);
      const drained = await drainAugmentation(engram.db);
      augmentationSeconds = since(ingestStart);
      augmentationJobs = drained.jobs;
      stats.factsCreated = await engram.db.entityFact.count();
      stats.factsMerged = drained.factsFound - stats.factsCreated;
      progress(
        `  augmentation: ${drained.jobs} jobs DONE, ${drained.factsFound} facts found, ${stats.factsCreated} distinct ` +
          `(${augmentationSeconds.toFixed(1)} s since the first record, ${since(started).toFixed(1)} s after the last)`,
      );
    }

    const sources =
      o.sources === 'both' ? ['FACT', 'MESSAGE'] : o.sources === 'facts' ? ['FACT'] : ['MESSAGE'];
    const questions = await askQuestions(
      engram.url,
      conversations,
      diaIdOf,
      o.first,
      o.stability,
      sources as ('FACT' | 'MESSAGE')[],
    );
    if (o.sweep) await sweep(engram.url, conversations, diaIdOf, o.first, sources as ('FACT' | 'MESSAGE')[]);
    printLocomoReport({
      options: o,
      file,
      conversations: conversations.length,
      questionCount,
      model,
      withModel,
      stats,
      ingestSeconds,
      ingestCpuSeconds,
      embedSeconds,
      augmentationJobs,
      augmentationSeconds,
      questions,
    });
  } finally {
    await engram.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
