import type { CountryCode } from 'libphonenumber-js/max';
import { findCards } from './card.ts';
import { findEmails } from './email.ts';
import { findIbans } from './iban.ts';
import { findIps } from './ip.ts';
import { type Detector, PII_KINDS, PII_MASKS, type PiiKind } from './kinds.ts';
import { phoneFinder } from './phone.ts';
import { findSsns } from './ssn.ts';

export interface RedactorOptions {
  /** What to find and mask. @default every kind of {@link PII_KINDS} */
  kinds?: readonly PiiKind[];
  /**
   * Regions whose national phone formats are recognized (ISO 3166 codes, `US`, `GB`...);
   * international numbers (+ or 00) are recognized whatever this says.
   * @default ['US']
   */
  phoneRegions?: readonly CountryCode[];
}

/** One thing found, as offsets into the original text (end exclusive). */
export interface Finding {
  kind: PiiKind;
  start: number;
  end: number;
}

export interface Redaction {
  /** The text with every finding replaced by its kind's mask (`[EMAIL]`, `[PHONE]`...). */
  text: string;
  /** What was found, in text order. */
  found: Finding[];
}

export interface Redactor {
  readonly kinds: readonly PiiKind[];
  redact(text: string): Redaction;
  /** The masked text alone. */
  mask(text: string): string;
}

/** Every kind needs a digit or an `@`: text with neither is returned as it is, unread. */
const MAY_HOLD_PII = /[\d@]/;

/** Finds emails, phone numbers, payment cards, IBANs, US SSNs and IPv4 addresses, and masks them. */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const wanted = new Set(options.kinds ?? PII_KINDS);
  const detectors: Record<PiiKind, Detector> = {
    email: findEmails,
    iban: findIbans,
    card: findCards,
    ssn: findSsns,
    phone: phoneFinder(options.phoneRegions ?? ['US']),
    ip: findIps,
  };
  // Kinds run in PII_KINDS order, whatever order they were asked in: see kinds.ts.
  const kinds = PII_KINDS.filter((kind) => wanted.has(kind));

  function redact(text: string): Redaction {
    if (!MAY_HOLD_PII.test(text)) return { text, found: [] };
    const found: Finding[] = [];
    for (const kind of kinds) {
      for (const span of detectors[kind](text)) {
        if (found.some((taken) => span.start < taken.end && taken.start < span.end)) continue;
        found.push({ kind, ...span });
      }
    }
    if (found.length === 0) return { text, found };
    found.sort((a, b) => a.start - b.start);
    let masked = '';
    let at = 0;
    for (const finding of found) {
      masked += text.slice(at, finding.start) + PII_MASKS[finding.kind];
      at = finding.end;
    }
    return { text: masked + text.slice(at), found };
  }

  return { kinds, redact, mask: (text) => redact(text).text };
}
