import { labelledAsOtherNumber } from './context.ts';
import type { Span } from './kinds.ts';

/**
 * US Social Security numbers, written AAA-GG-SSSS only (bare nine digits are anything). Area 000,
 * 666 and 900-999, group 00 and serial 0000 are never issued.
 */
const SSN = /(?<![\p{L}\p{N}-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\p{L}\p{N}]|-\d)/gu;

export function findSsns(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(SSN)) {
    if (labelledAsOtherNumber(text, match.index)) continue;
    spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return spans;
}
