/**
 * Extraction benchmark: how well, and how fast, the local extractor turns the hand-labelled chat
 * messages of tests/fixtures/extraction-labelled.json into triples.
 *
 *   npx tsx bench/extract.ts [--split dev|heldout-1|heldout-2] [--rounds 5] [--misses]
 *
 * Prints precision, recall and F1 per predicate and overall, and per split (the fixture's
 * description says how each split was used: none is blind any more, and the blind scores measured
 * before each was used are recorded there), the fact categories' agreement, sentences per second,
 * then one JSON line (always the last line). --misses also lists every wrong and missed triple.
 *
 * A triple counts as correct when subject, predicate and object match after normalization
 * (lowercase, trimmed, accents kept, leading articles dropped, predicate through
 * normalizePredicate); each expected triple can be matched once.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalExtractor } from '../src/augment/extract/local/index.ts';
import type { Extraction, ExtractionInput, ExtractionRole, Extractor } from '../src/augment/types.ts';
import { normalizePredicate } from '../src/services/predicates.ts';

export interface LabelledItem {
  id: number;
  split: string;
  text?: string;
  messages?: { role: ExtractionRole; content: string }[];
  /** [subject, predicate, object] or [subject, predicate, object, messageIndex]. */
  triples: ([string, string, string] | [string, string, string, number])[];
  categories: string[];
}

export interface LabelledSet {
  entity: string;
  items: LabelledItem[];
}

export const FIXTURE_PATH = fileURLToPath(
  new URL('../tests/fixtures/extraction-labelled.json', import.meta.url),
);

export function loadLabelledSet(path = FIXTURE_PATH): LabelledSet {
  return JSON.parse(readFileSync(path, 'utf8')) as LabelledSet;
}

export function inputOf(set: LabelledSet, item: LabelledItem): ExtractionInput {
  return {
    entity: set.entity,
    messages: item.messages ?? [{ role: 'USER', content: item.text ?? '' }],
  };
}

/** Lowercase, trimmed, whitespace collapsed, leading articles and trailing punctuation dropped. */
export function normalizeTerm(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(the|a|an) /, '')
    .replace(/[.!?,;:]+$/, '')
    .trim();
}

function key(subject: string, predicate: string, object: string): string {
  return `${normalizeTerm(subject)}|${normalizePredicate(predicate)}|${normalizeTerm(object)}`;
}

export interface Counts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface Score extends Counts {
  precision: number;
  recall: number;
  f1: number;
}

export function score(counts: Counts): Score {
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = counts;
  // An empty denominator means nothing was claimed (or expected): perfect by convention.
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...counts, precision, recall, f1 };
}

export interface ItemResult {
  item: LabelledItem;
  extraction: Extraction;
  correct: string[];
  wrong: string[];
  missed: string[];
}

/** Compares one extraction with its labels (predicates counted separately in `byPredicate`). */
export function compareItem(
  item: LabelledItem,
  extraction: Extraction,
  byPredicate: Map<string, Counts>,
): ItemResult {
  const expected = new Map<string, number>();
  for (const [subject, predicate, object, messageIndex] of item.triples) {
    const k = key(subject, predicate, object) + (messageIndex === undefined ? '' : `@${messageIndex}`);
    expected.set(k, (expected.get(k) ?? 0) + 1);
  }
  const counts = (predicate: string): Counts => {
    let entry = byPredicate.get(predicate);
    if (entry === undefined) {
      entry = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
      byPredicate.set(predicate, entry);
    }
    return entry;
  };
  const result: ItemResult = { item, extraction, correct: [], wrong: [], missed: [] };
  for (const triple of extraction.triples) {
    const base = key(triple.subject, triple.predicate, triple.object);
    const candidates = [`${base}@${triple.messageIndex}`, base];
    const hit = candidates.find((k) => (expected.get(k) ?? 0) > 0);
    const predicate = normalizePredicate(triple.predicate);
    if (hit === undefined) {
      result.wrong.push(base);
      counts(predicate).falsePositives++;
    } else {
      expected.set(hit, (expected.get(hit) ?? 0) - 1);
      result.correct.push(base);
      counts(predicate).truePositives++;
    }
  }
  for (const [k, left] of expected) {
    for (let n = 0; n < left; n++) {
      result.missed.push(k);
      counts(k.split('|')[1] ?? '').falseNegatives++;
    }
  }
  return result;
}

export interface Evaluation {
  overall: Score;
  byPredicate: Map<string, Score>;
  bySplit: Map<string, Score>;
  /** Share of expected fact categories matched (as multisets), and of emitted ones that were expected. */
  categories: { recall: number; precision: number };
  /** Items labelled with no triples for which the extractor emitted none (and no facts). */
  emptyCorrect: { silent: number; total: number };
  results: ItemResult[];
  sentences: number;
  seconds: number;
}

function sum(list: Counts[]): Counts {
  return list.reduce(
    (total, counts) => ({
      truePositives: total.truePositives + counts.truePositives,
      falsePositives: total.falsePositives + counts.falsePositives,
      falseNegatives: total.falseNegatives + counts.falseNegatives,
    }),
    { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
  );
}

/** Runs the extractor over the labelled set and scores it. */
export async function evaluate(
  extractor: Extractor,
  set: LabelledSet,
  items: readonly LabelledItem[] = set.items,
): Promise<Evaluation> {
  const byPredicate = new Map<string, Counts>();
  const bySplit = new Map<string, Counts[]>();
  const results: ItemResult[] = [];
  let categoryHits = 0;
  let categoryExpected = 0;
  let categoryEmitted = 0;
  let silent = 0;
  let empty = 0;
  const started = performance.now();
  const extractions: Extraction[] = [];
  for (const item of items) extractions.push(await extractor.extract(inputOf(set, item)));
  const seconds = (performance.now() - started) / 1000;
  items.forEach((item, i) => {
    const extraction = extractions[i] as Extraction;
    const local = new Map<string, Counts>();
    const result = compareItem(item, extraction, local);
    for (const [predicate, counts] of local) {
      byPredicate.set(predicate, sum([byPredicate.get(predicate) ?? sum([]), counts]));
    }
    const split = bySplit.get(item.split) ?? [];
    split.push(sum([...local.values()]));
    bySplit.set(item.split, split);
    results.push(result);
    // Categories as multisets.
    const expected = [...item.categories];
    categoryExpected += expected.length;
    categoryEmitted += extraction.facts.length;
    for (const fact of extraction.facts) {
      const at = expected.indexOf(fact.category);
      if (at >= 0) {
        expected.splice(at, 1);
        categoryHits++;
      }
    }
    if (item.triples.length === 0) {
      empty++;
      if (extraction.triples.length === 0 && (item.categories.length > 0 || extraction.facts.length === 0))
        silent++;
    }
  });
  const sentences = items.reduce((total, item) => total + sentenceCount(item), 0);
  return {
    overall: score(sum([...byPredicate.values()])),
    byPredicate: new Map([...byPredicate].map(([predicate, counts]) => [predicate, score(counts)])),
    bySplit: new Map([...bySplit].map(([split, list]) => [split, score(sum(list))])),
    categories: {
      recall: categoryExpected === 0 ? 1 : categoryHits / categoryExpected,
      precision: categoryEmitted === 0 ? 1 : categoryHits / categoryEmitted,
    },
    emptyCorrect: { silent, total: empty },
    results,
    sentences,
    seconds,
  };
}

/** Sentences in an item's user messages (by end punctuation), for throughput. */
function sentenceCount(item: LabelledItem): number {
  const texts = (item.messages ?? [{ role: 'USER', content: item.text ?? '' }]).map(
    (message) => message.content,
  );
  return texts.reduce(
    (total, text) => total + Math.max(1, text.split(/[.!?]+(?:\s|$)/).filter((s) => s.trim()).length),
    0,
  );
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const split = option('--split');
  const rounds = Number(option('--rounds') ?? 5);
  const set = loadLabelledSet();
  const items = split === undefined ? set.items : set.items.filter((item) => item.split === split);
  const extractor = createLocalExtractor();

  // Warm up (compromise builds its lexicon lazily), then time whole rounds over the set.
  await evaluate(extractor, set, items);
  let best = Number.POSITIVE_INFINITY;
  let evaluation: Evaluation | null = null;
  for (let round = 0; round < Math.max(1, rounds); round++) {
    evaluation = await evaluate(extractor, set, items);
    best = Math.min(best, evaluation.seconds);
  }
  if (evaluation === null) return;
  const sentencesPerSecond = evaluation.sentences / best;
  const messages = items.length / best;

  const rows = [...evaluation.byPredicate].sort(
    (a, b) => b[1].truePositives + b[1].falseNegatives - (a[1].truePositives + a[1].falseNegatives),
  );
  const width = Math.max(12, ...rows.map(([predicate]) => predicate.length));
  console.log(`local extractor on ${items.length} labelled items (${evaluation.sentences} sentences)\n`);
  console.log(`${'predicate'.padEnd(width)}  expected  found  correct  precision  recall     F1`);
  for (const [predicate, s] of rows) {
    console.log(
      `${predicate.padEnd(width)}  ${String(s.truePositives + s.falseNegatives).padStart(8)}  ${String(
        s.truePositives + s.falsePositives,
      ).padStart(5)}  ${String(s.truePositives).padStart(7)}  ${percent(s.precision).padStart(9)}  ${percent(
        s.recall,
      ).padStart(6)}  ${percent(s.f1).padStart(6)}`,
    );
  }
  const o = evaluation.overall;
  console.log(
    `${'OVERALL'.padEnd(width)}  ${String(o.truePositives + o.falseNegatives).padStart(8)}  ${String(
      o.truePositives + o.falsePositives,
    ).padStart(5)}  ${String(o.truePositives).padStart(7)}  ${percent(o.precision).padStart(9)}  ${percent(
      o.recall,
    ).padStart(6)}  ${percent(o.f1).padStart(6)}`,
  );
  for (const [name, s] of evaluation.bySplit) {
    console.log(
      `  split ${name.padEnd(10)} precision ${percent(s.precision)}  recall ${percent(s.recall)}  F1 ${percent(s.f1)}`,
    );
  }
  console.log(
    `\nfact categories: ${percent(evaluation.categories.recall)} of expected found, ${percent(
      evaluation.categories.precision,
    )} of emitted expected`,
  );
  console.log(
    `items expecting nothing that got nothing: ${evaluation.emptyCorrect.silent}/${evaluation.emptyCorrect.total}`,
  );
  console.log(
    `speed: ${sentencesPerSecond.toFixed(0)} sentences/s (${messages.toFixed(0)} items/s, best of ${rounds})`,
  );

  if (args.includes('--misses')) {
    console.log('\nerrors:');
    for (const result of evaluation.results) {
      if (result.wrong.length === 0 && result.missed.length === 0) continue;
      const label = result.item.text ?? JSON.stringify(result.item.messages);
      console.log(`#${result.item.id} ${label}`);
      for (const wrong of result.wrong) console.log(`   + ${wrong}`);
      for (const missed of result.missed) console.log(`   - ${missed}`);
    }
  }

  console.log(
    JSON.stringify({
      bench: 'extract',
      extractor: extractor.name,
      items: items.length,
      sentences: evaluation.sentences,
      precision: Number(o.precision.toFixed(4)),
      recall: Number(o.recall.toFixed(4)),
      f1: Number(o.f1.toFixed(4)),
      splits: Object.fromEntries(
        [...evaluation.bySplit].map(([name, s]) => [
          name,
          {
            precision: Number(s.precision.toFixed(4)),
            recall: Number(s.recall.toFixed(4)),
            f1: Number(s.f1.toFixed(4)),
          },
        ]),
      ),
      sentencesPerSecond: Math.round(sentencesPerSecond),
    }),
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
