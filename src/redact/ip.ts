import type { Span } from './kinds.ts';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

/**
 * IPv4 addresses: four octets without leading zeros, not part of a longer dotted number
 * (10.0.19045.3803 is a Windows build) and not glued to letters (v1.2.3.4).
 */
const IPV4 = new RegExp(`(?<![\\p{L}\\p{N}.])${OCTET}(?:\\.${OCTET}){3}(?![\\p{L}\\p{N}]|\\.\\d)`, 'gu');

/** A dotted number after one of these words is a version, not an address. */
const VERSION_LABEL =
  /\b(?:v|ver|version|build|release|firmware|fw|rev|revision|update|patch|sdk|api)\s*[:.]?\s*$/i;

export function findIps(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(IPV4)) {
    if (VERSION_LABEL.test(text.slice(Math.max(0, match.index - 16), match.index))) continue;
    spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return spans;
}
