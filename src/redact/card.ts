import validator from 'validator';
import type { Span } from './kinds.ts';

/**
 * Runs of digits with single spaces or dashes between them, not glued to letters, digits or a
 * leading `+` (a phone number) or a decimal point.
 */
const DIGIT_RUN = /(?<![\p{L}\p{N}+.,_-])\d(?:[ -]?\d)+(?![\p{L}\p{N}_]|[.,]\d)/gu;

/**
 * Payment card numbers: 13 to 19 digits with a known issuer's prefix and length and a valid Luhn
 * check digit (validator's isCreditCard). A run longer than a card ("4111 1111 1111 1111 2031",
 * a card and its expiry year) is tried group by group, longest first.
 */
export function findCards(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(DIGIT_RUN)) {
    const run = match[0];
    const digits = run.length - (run.match(/[ -]/g)?.length ?? 0);
    if (digits < 13) continue;
    if (digits <= 19 && validator.isCreditCard(run)) {
      spans.push({ start: match.index, end: match.index + run.length });
      continue;
    }
    for (const span of cardsInGroups(run)) {
      spans.push({ start: match.index + span.start, end: match.index + span.end });
    }
  }
  return spans;
}

/** Cards among consecutive digit groups of a longer run. */
function cardsInGroups(run: string): Span[] {
  const groups = [...run.matchAll(/\d+/g)].map((group) => ({
    start: group.index,
    end: group.index + group[0].length,
    digits: group[0].length,
  }));
  const spans: Span[] = [];
  let first = 0;
  while (first < groups.length) {
    let found: Span | null = null;
    let total = 0;
    let last = first;
    // Every window starting at `first` of 13 to 19 digits; the longest valid one wins.
    for (; last < groups.length && total + (groups[last]?.digits ?? 0) <= 19; last++) {
      total += groups[last]?.digits ?? 0;
      const start = groups[first]?.start ?? 0;
      const end = groups[last]?.end ?? 0;
      if (total >= 13 && validator.isCreditCard(run.slice(start, end))) found = { start, end };
    }
    if (found) {
      spans.push(found);
      first = groups.findIndex((group) => group.start >= (found as Span).end);
      if (first < 0) break;
    } else first++;
  }
  return spans;
}
