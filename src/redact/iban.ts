import validator from 'validator';
import type { Span } from './kinds.ts';

/**
 * A country code and two check digits, then letters and digits, grouped by single spaces or
 * dashes or not at all. The candidate may run on into the words after it; the longest prefix that
 * ends at a group boundary and passes validator's isIBAN (the country's length and format, and the
 * mod-97 check) is the IBAN.
 */
const CANDIDATE = /(?<![\p{L}\p{N}])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,40}/giu;

const MIN_LENGTH = 15;
const MAX_LENGTH = 34;

export function findIbans(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const candidate = match[0];
    // Ends of prefixes that stop at a group boundary, with their length without separators.
    const cuts: { end: number; length: number }[] = [];
    let length = 0;
    for (let i = 0; i < candidate.length; i++) {
      if (candidate[i] === ' ' || candidate[i] === '-') continue;
      length++;
      const next = candidate[i + 1];
      const boundary =
        next === undefined
          ? !/[\p{L}\p{N}]/u.test(text[match.index + i + 1] ?? '')
          : next === ' ' || next === '-';
      if (boundary && length >= MIN_LENGTH && length <= MAX_LENGTH) cuts.push({ end: i + 1, length });
    }
    for (const cut of cuts.reverse()) {
      const compact = candidate.slice(0, cut.end).replace(/[ -]/g, '').toUpperCase();
      if (validator.isIBAN(compact)) {
        spans.push({ start: match.index, end: match.index + cut.end });
        break;
      }
    }
  }
  return spans;
}
