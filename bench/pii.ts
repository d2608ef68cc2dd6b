/**
 * PII redaction benchmark: how well, and how fast, the redactor finds the personal data of the
 * labelled texts in tests/fixtures/pii-labelled.json.
 *
 *   npx tsx bench/pii.ts [--split dev|heldout] [--repeat 200] [--misses]
 *
 * Prints precision and recall per kind and overall, then throughput over the set repeated
 * `--repeat` times (texts per second of wall time, and microseconds of process CPU per text), then
 * one JSON line (always the last line). --misses lists every wrong and missed span.
 *
 * A found span is correct when it has the expected kind and covers every letter and digit of an
 * expected span (a mask one bracket wider or narrower leaks nothing); each expected span can be
 * matched once. "exact" counts the correct ones whose offsets are the expected ones too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CountryCode } from 'libphonenumber-js/max';
import { createRedactor, type Finding, PII_KINDS, type PiiKind, type Redactor } from '../src/redact/index.ts';

export interface LabelledSpan {
  kind: PiiKind;
  start: number;
  end: number;
  /** The text of the span, for people reading the fixture. */
  value: string;
}

export interface PiiLabelledText {
  /** What the text tests: `email`, `phone-intl`, `neg-date`... (`neg-*` hold no personal data). */
  group: string;
  /** `dev`: used while the detectors were written; `heldout`: written after, and scored blind once. */
  split: 'dev' | 'heldout';
  text: string;
  pii: LabelledSpan[];
}

export interface PiiLabelledSet {
  description: string;
  /** The regions whose national phone formats the set's texts use. */
  phoneRegions: CountryCode[];
  texts: PiiLabelledText[];
}

export const PII_FIXTURE_PATH = fileURLToPath(
  new URL('../tests/fixtures/pii-labelled.json', import.meta.url),
);

export function loadPiiSet(path = PII_FIXTURE_PATH): PiiLabelledSet {
  return JSON.parse(readFileSync(path, 'utf8')) as PiiLabelledSet;
}

export interface KindScore {
  expected: number;
  found: number;
  correct: number;
  /** Correct, and with the expected offsets. */
  exact: number;
  precision: number;
  recall: number;
}

export interface PiiScore {
  byKind: Record<PiiKind, KindScore>;
  overall: KindScore;
  /** Found spans that match nothing expected, with their text. */
  wrong: { text: string; finding: Finding }[];
  /** Expected spans nothing matched, with their text. */
  missed: { text: string; span: LabelledSpan }[];
}

/** Whether a found span masks every letter and digit of an expected one. */
function covers(finding: Finding, span: LabelledSpan, text: string): boolean {
  if (finding.kind !== span.kind) return false;
  for (let i = span.start; i < span.end; i++) {
    if (/[\p{L}\p{N}]/u.test(text[i] ?? '') && (i < finding.start || i >= finding.end)) return false;
  }
  return true;
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 1 : part / whole;
}

function emptyScore(): Omit<KindScore, 'precision' | 'recall'> {
  return { expected: 0, found: 0, correct: 0, exact: 0 };
}

/** Runs the redactor over every labelled text and scores what it found. */
export function scoreRedactor(redactor: Redactor, set: PiiLabelledSet): PiiScore {
  const counts = Object.fromEntries(PII_KINDS.map((kind) => [kind, emptyScore()])) as Record<
    PiiKind,
    ReturnType<typeof emptyScore>
  >;
  const wrong: PiiScore['wrong'] = [];
  const missed: PiiScore['missed'] = [];
  for (const { text, pii } of set.texts) {
    const { found } = redactor.redact(text);
    const matched = new Set<LabelledSpan>();
    for (const span of pii) counts[span.kind].expected++;
    for (const finding of found) {
      counts[finding.kind].found++;
      const span = pii.find((candidate) => !matched.has(candidate) && covers(finding, candidate, text));
      if (!span) {
        wrong.push({ text, finding });
        continue;
      }
      matched.add(span);
      counts[finding.kind].correct++;
      if (span.start === finding.start && span.end === finding.end) counts[finding.kind].exact++;
    }
    for (const span of pii) if (!matched.has(span)) missed.push({ text, span });
  }
  const scored = (c: ReturnType<typeof emptyScore>): KindScore => ({
    ...c,
    precision: ratio(c.correct, c.found),
    recall: ratio(c.correct, c.expected),
  });
  const total = emptyScore();
  for (const c of Object.values(counts)) {
    total.expected += c.expected;
    total.found += c.found;
    total.correct += c.correct;
    total.exact += c.exact;
  }
  return {
    byKind: Object.fromEntries(PII_KINDS.map((kind) => [kind, scored(counts[kind])])) as Record<
      PiiKind,
      KindScore
    >,
    overall: scored(total),
    wrong,
    missed,
  };
}

/** One line per kind: `phone   expected 51  found 50  correct 50  precision 100.0%  recall 98.0%`. */
export function scoreLines(score: PiiScore): string[] {
  const line = (name: string, s: KindScore) =>
    `${name.padEnd(8)} expected ${String(s.expected).padStart(3)}  found ${String(s.found).padStart(3)}  correct ${String(
      s.correct,
    ).padStart(
      3,
    )} (exact ${String(s.exact).padStart(3)})  precision ${percent(s.precision).padStart(6)}  recall ${percent(
      s.recall,
    ).padStart(6)}`;
  return [...PII_KINDS.map((kind) => line(kind, score.byKind[kind])), line('overall', score.overall)];
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** Redacts `texts` `repeat` times (after one warm-up round) and prints texts/s and CPU per text. */
function throughput(redactor: Redactor, texts: string[], repeat: number, label: string) {
  for (const text of texts) redactor.redact(text);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < repeat; round++) for (const text of texts) redactor.redact(text);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const count = texts.length * repeat;
  const perSecond = count / seconds;
  const cpuMicros = (used.user + used.system) / count;
  console.log(
    `  ${label.padEnd(32)} ${String(Math.round(perSecond)).padStart(8)} texts/s  ${cpuMicros.toFixed(2).padStart(7)} µs CPU per text`,
  );
  return { perSecond, cpuMicros };
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const repeat = Number(option('--repeat') ?? 200);
  const split = option('--split');
  const whole = loadPiiSet();
  const set = { ...whole, texts: whole.texts.filter((text) => split === undefined || text.split === split) };
  const redactor = createRedactor({ phoneRegions: set.phoneRegions });
  const score = scoreRedactor(redactor, set);
  const withPii = set.texts.filter((text) => text.pii.length > 0).length;
  console.log(
    `PII redactor on ${set.texts.length} labelled texts (${withPii} with personal data, ${
      set.texts.length - withPii
    } hard negatives), phone regions ${set.phoneRegions.join(',')}\n`,
  );
  for (const line of scoreLines(score)) console.log(line);
  // The default regions (US) miss the set's GB, DE and FR numbers written the national way.
  const usOnly = scoreRedactor(createRedactor(), set).byKind.phone;
  console.log(
    `phone with the default regions (US): precision ${percent(usOnly.precision)}, recall ${percent(usOnly.recall)}`,
  );

  // Throughput: the whole set, `repeat` times, after a warm-up round; with the set's phone regions,
  // then with the default (US) alone, since each region is one more pass of the phone matcher.
  const texts = set.texts.map((text) => text.text);
  const chars = texts.reduce((sum, text) => sum + text.length, 0) / texts.length;
  console.log(
    `\nthroughput over ${texts.length * repeat} texts of ${chars.toFixed(0)} characters on average, one thread:`,
  );
  const speeds = [
    throughput(redactor, texts, repeat, `phone regions ${set.phoneRegions.join(',')}`),
    throughput(createRedactor(), texts, repeat, 'phone regions US (the default)'),
  ];
  // Typical chat text holds no digit and no @: the redactor returns it unread.
  const plain = 'I moved to Porto last year and I love hiking with my dog on weekends.';
  throughput(redactor, [plain], texts.length * repeat, 'a text with no digit and no @');

  if (args.includes('--misses')) {
    console.log('\nwrong:');
    for (const { text, finding } of score.wrong)
      console.log(`  + ${finding.kind} "${text.slice(finding.start, finding.end)}" in: ${text}`);
    console.log('missed:');
    for (const { text, span } of score.missed) console.log(`  - ${span.kind} "${span.value}" in: ${text}`);
  }

  console.log(
    JSON.stringify({
      bench: 'pii',
      texts: set.texts.length,
      byKind: Object.fromEntries(
        PII_KINDS.map((kind) => [
          kind,
          {
            precision: Number(score.byKind[kind].precision.toFixed(4)),
            recall: Number(score.byKind[kind].recall.toFixed(4)),
          },
        ]),
      ),
      precision: Number(score.overall.precision.toFixed(4)),
      recall: Number(score.overall.recall.toFixed(4)),
      textsPerSecond: speeds.map((speed) => Math.round(speed.perSecond)),
      cpuMicrosPerText: speeds.map((speed) => Number(speed.cpuMicros.toFixed(1))),
    }),
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
