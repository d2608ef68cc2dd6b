/**
 * PII redaction: finds emails, phone numbers, payment card numbers (Luhn-checked), IBANs (mod-97
 * checked), US SSNs and IPv4 addresses in text and masks them. Detection leans on maintained
 * libraries (libphonenumber-js for phones, validator for emails, cards and IBANs); this folder adds
 * the candidate patterns around them and the rules that keep order numbers, dates, versions and
 * prices out. Engram masks before storage or before text leaves for a hosted provider
 * (PII_REDACTION); see the README's "PII redaction".
 */
export { type Detector, PII_KINDS, PII_MASKS, type PiiKind, type Span } from './kinds.ts';
export { isPhoneRegion } from './phone.ts';
export {
  createRedactor,
  type Finding,
  type Redaction,
  type Redactor,
  type RedactorOptions,
} from './redactor.ts';
