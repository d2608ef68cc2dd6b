/**
 * bench:locomo --sweep: the same questions under other fusions and weights, on the data already
 * ingested, so recall's defaults are chosen by figures (on the development conversations only).
 */
import type { LocomoConversation } from './locomo-data.ts';
import { CATEGORY_NAMES } from './locomo-data.ts';
import { askQuestions } from './locomo-questions.ts';
import { means } from './locomo-scoring.ts';
import { progress } from './stdio.ts';

/** The variants compared: recall's arguments for each. */
export const SWEEP: readonly { name: string; tuning: Record<string, unknown> }[] = [
  { name: 'weighted (defaults)', tuning: {} },
  { name: 'rrf (default weights)', tuning: { fusion: 'RRF' } },
  { name: 'rrf, semantic+lexical only', tuning: { fusion: 'RRF', weights: { mentions: 0, recency: 0 } } },
  {
    name: 'weighted, semantic 0.7 lexical 0.3',
    tuning: { weights: { semantic: 0.7, lexical: 0.3, mentions: 0, recency: 0 } },
  },
  {
    name: 'weighted, semantic 0.5 lexical 0.5',
    tuning: { weights: { semantic: 0.5, lexical: 0.5, mentions: 0, recency: 0 } },
  },
  { name: 'weighted, time 0.25', tuning: { weights: { time: 0.25 } } },
  { name: 'weighted, time 1', tuning: { weights: { time: 1 } } },
  { name: 'weighted, neighbours 0 (off)', tuning: { weights: { neighbours: 0 } } },
  { name: 'weighted, neighbours 0.25', tuning: { weights: { neighbours: 0.25 } } },
  { name: 'weighted, neighbours 1', tuning: { weights: { neighbours: 1 } } },
  { name: 'rrf, neighbours 0 (off)', tuning: { fusion: 'RRF', weights: { neighbours: 0 } } },
];

/** Asks every question under each variant; prints one line per variant (stdout) and returns them. */
export async function sweep(
  url: string,
  conversations: LocomoConversation[],
  diaIdOf: Map<string, string>,
  first: number,
  sources: readonly ('FACT' | 'MESSAGE')[],
): Promise<Record<string, Record<string, number | null>>> {
  const out: Record<string, Record<string, number | null>> = {};
  const lines: string[] = [];
  for (const variant of SWEEP) {
    progress(`  sweep: ${variant.name}`);
    const results = await askQuestions(url, conversations, diaIdOf, first, 0, sources, variant.tuning);
    const row: Record<string, number | null> = { all: means(results.overall).recall_at_10 ?? null };
    for (const [category, tally] of [...results.byCategory].sort(([a], [b]) => a - b))
      row[CATEGORY_NAMES[category] ?? String(category)] = means(tally).recall_at_10 ?? null;
    out[variant.name] = row;
    lines.push(
      `${variant.name.padEnd(36)} @5 ${means(results.overall).recall_at_5?.toFixed(3)}  ${Object.entries(row)
        .map(([k, v]) => `${k} ${v?.toFixed(3)}`)
        .join('  ')}`,
    );
  }
  process.stdout.write(`\nrecall@10 by variant (${sources.join('+')}):\n${lines.join('\n')}\n`);
  return out;
}
