/**
 * The kinds of personal data the redactor finds, in the order they claim text: an earlier kind's
 * span wins over a later one's that overlaps it (an IBAN's digit groups are not also a card, a
 * card's digits or an IP address are not also a phone number).
 */
export const PII_KINDS = ['email', 'iban', 'card', 'ssn', 'ip', 'phone'] as const;

export type PiiKind = (typeof PII_KINDS)[number];

/** What each kind is replaced with. */
export const PII_MASKS: Record<PiiKind, string> = {
  email: '[EMAIL]',
  iban: '[IBAN]',
  card: '[CARD]',
  ssn: '[SSN]',
  phone: '[PHONE]',
  ip: '[IP]',
};

/** Where a detector found something, as offsets into the text (end exclusive). */
export interface Span {
  start: number;
  end: number;
}

/** Finds one kind of personal data in a text. */
export type Detector = (text: string) => Span[];
