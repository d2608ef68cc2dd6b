import {
  type CountryCode,
  findPhoneNumbersInText,
  isSupportedCountry,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import { labelledAsOtherNumber } from './context.ts';
import type { Span } from './kinds.ts';

/**
 * Phone numbers, by libphonenumber-js's matcher at its `valid` leniency with the full metadata:
 * a candidate must be a number some region actually assigns (length and prefixes), and the matcher
 * already refuses dates, times, page ranges and numbers glued to letters or currency symbols.
 * International numbers (`+44...`, `0044...`) are found whatever the regions; numbers written the
 * national way (`(415) 555-2671`, `020 7946 0958`) only for the regions given. What is left to
 * Engram: numbers written without the trunk prefix their region dials (the matcher takes 2024-03-15
 * for a German number, 20240315, where a German would write 02024 0315), and numbers labelled as
 * something else (order #, ticket no.).
 */

/** Whether libphonenumber knows this ISO 3166 region code (`US`, `GB`...). */
export function isPhoneRegion(code: string): code is CountryCode {
  return isSupportedCountry(code);
}

/**
 * `0044 20...`: the international prefix most of the world dials. Rewritten as ` +44 20...` (same
 * length, so offsets hold) because the matcher only takes the prefix of its default region. Not
 * where the 00 continues a number (the last group of 020 7946 0018).
 */
const DOUBLE_ZERO_PREFIX = /(?<![\d)][ .-]?)(?<=^|[\s(:;,/])00(?=[1-9])/g;

export function phoneFinder(regions: readonly CountryCode[]): (text: string) => Span[] {
  // Without a region, only numbers written with + (or 00) are found.
  const defaults: (CountryCode | undefined)[] = regions.length > 0 ? [...regions] : [undefined];
  return (text) => {
    if (!/\d/.test(text)) return [];
    const prepared = text.replace(DOUBLE_ZERO_PREFIX, ' +');
    const spans: Span[] = [];
    for (const defaultCountry of defaults) {
      for (const found of findPhoneNumbersInText(prepared, defaultCountry ? { defaultCountry } : {})) {
        let start = found.startsAt;
        // A rewritten 00 prefix: the span starts at its first zero.
        if (prepared[start] === '+' && text[start] === '0') start -= 1;
        const international = prepared[found.startsAt] === '+';
        if (!international && !writtenNationally(found.number, text.slice(start, found.endsAt))) continue;
        if (labelledAsOtherNumber(text, start)) continue;
        spans.push({ start, end: found.endsAt });
      }
    }
    return spans;
  };
}

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/**
 * Whether a number found without a country code is written as its region writes numbers: with the
 * trunk prefix (the 0 of 030 901820) where the region's national format has one. Regions whose
 * national format has none (the US: (415) 555-2671) take any.
 */
function writtenNationally(number: PhoneNumber, written: string): boolean {
  const national = digitsOf(number.formatNational());
  return national === number.nationalNumber || digitsOf(written).startsWith(national);
}
