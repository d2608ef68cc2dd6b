import validator from 'validator';
import type { Span } from './kinds.ts';

/**
 * Candidates: a local part that starts with a letter or digit, `@`, and a domain of at least two
 * labels (a sentence's final full stop is not part of it). validator's isEmail then decides, with
 * its defaults: a top-level domain is required, numeric ones are refused, lengths are checked.
 */
const CANDIDATE =
  /[\p{L}\p{N}][\p{L}\p{N}._%+-]*@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)+/gu;

/** `icon@2x.png` is a file name, not an address: no top-level domain is an image format. */
const FILE_EXTENSION = /\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?)$/i;

export function findEmails(text: string): Span[] {
  if (!text.includes('@')) return [];
  const spans: Span[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const candidate = match[0];
    if (FILE_EXTENSION.test(candidate) || !validator.isEmail(candidate)) continue;
    spans.push({ start: match.index, end: match.index + candidate.length });
  }
  return spans;
}
