import { describe, expect, it } from 'vitest';
import { loadPiiSet, scoreLines, scoreRedactor } from '../bench/pii.ts';
import { createRedactor, PII_KINDS } from '../src/redact/index.ts';

/**
 * The redactor on the labelled set (tests/fixtures/pii-labelled.json), scored by the same code as
 * bench/pii.ts. Measured over all 388 texts: precision 1.000 for every kind but ip (0.917: one
 * four-part version number), recall 1.000 for every kind. Split `dev` was written with the
 * detectors, so these floors guard against regressions; split `heldout` was scored blind once
 * (precision 0.980, recall 1.000) before it was used here. The floors leave room for one miss per
 * kind on the smaller kinds (ssn and ip have 9 and 11 spans).
 */
const KIND_PRECISION_FLOOR = 0.9;
const KIND_RECALL_FLOOR = 0.9;
const OVERALL_PRECISION_FLOOR = 0.98;
const OVERALL_RECALL_FLOOR = 0.98;

const set = loadPiiSet();
const redactor = createRedactor({ phoneRegions: set.phoneRegions });

describe('the labelled set', () => {
  it('has at least 200 texts, positives of every kind, hard negatives, and spans that match their text', () => {
    expect(set.texts.length).toBeGreaterThanOrEqual(200);
    for (const kind of PII_KINDS) {
      expect(set.texts.some((text) => text.pii.some((span) => span.kind === kind))).toBe(true);
    }
    expect(set.texts.filter((text) => text.pii.length === 0).length).toBeGreaterThanOrEqual(100);
    for (const { text, pii } of set.texts) {
      for (const span of pii) expect(text.slice(span.start, span.end)).toBe(span.value);
    }
  });

  it('is redacted with high precision and recall for every kind', () => {
    const score = scoreRedactor(redactor, set);
    for (const line of scoreLines(score)) console.log(line);
    for (const kind of PII_KINDS) {
      const { precision, recall } = score.byKind[kind];
      expect({
        kind,
        precision: precision >= KIND_PRECISION_FLOOR,
        recall: recall >= KIND_RECALL_FLOOR,
      }).toEqual({ kind, precision: true, recall: true });
    }
    expect(score.overall.precision).toBeGreaterThanOrEqual(OVERALL_PRECISION_FLOOR);
    expect(score.overall.recall).toBeGreaterThanOrEqual(OVERALL_RECALL_FLOOR);
  });
});

describe('createRedactor', () => {
  const all = createRedactor();

  it('masks each kind and reports where it was, in text order', () => {
    const text = 'Mail ana@example.pt or call +351 912 345 678; IBAN DE89 3704 0044 0532 0130 00.';
    const { text: masked, found } = all.redact(text);
    expect(masked).toBe('Mail [EMAIL] or call [PHONE]; IBAN [IBAN].');
    expect(found.map(({ kind, start, end }) => [kind, text.slice(start, end)])).toEqual([
      ['email', 'ana@example.pt'],
      ['phone', '+351 912 345 678'],
      ['iban', 'DE89 3704 0044 0532 0130 00'],
    ]);
    expect(all.mask('card 4111-1111-1111-1111, SSN 078-05-1120, from 203.0.113.42')).toBe(
      'card [CARD], SSN [SSN], from [IP]',
    );
  });

  it('masks only the kinds it is given', () => {
    const emailsOnly = createRedactor({ kinds: ['email'] });
    expect(emailsOnly.kinds).toEqual(['email']);
    expect(emailsOnly.mask('bob@example.com, 4111 1111 1111 1111, (415) 555-2671')).toBe(
      '[EMAIL], 4111 1111 1111 1111, (415) 555-2671',
    );
  });

  it('takes a card only when its Luhn check digit is right', () => {
    expect(all.mask('card 4111 1111 1111 1111')).toBe('card [CARD]');
    expect(all.mask('card 4111 1111 1111 1112')).toBe('card 4111 1111 1111 1112');
    expect(all.mask('amex 3782-822463-10005 and 3782-822463-10006')).toBe(
      'amex [CARD] and 3782-822463-10006',
    );
    // Luhn-valid but no issuer starts with 1: an id, not a card.
    expect(all.mask('serial 1234 5678 1234 5670')).toBe('serial 1234 5678 1234 5670');
    // A card followed by its expiry year is still found.
    expect(all.mask('4111 1111 1111 1111 2031')).toBe('[CARD] 2031');
  });

  it('takes an IBAN only when its mod-97 check holds, in any grouping, and stops where it ends', () => {
    expect(all.mask('IBAN GB82 WEST 1234 5698 7654 32 please')).toBe('IBAN [IBAN] please');
    expect(all.mask('gb82west12345698765432')).toBe('[IBAN]');
    expect(all.mask('IBAN GB82 WEST 1234 5698 7654 33 please')).toBe(
      'IBAN GB82 WEST 1234 5698 7654 33 please',
    );
    // The IBAN's digit groups are not found again as a card or a phone number.
    expect(all.redact('PL61 1090 1014 0000 0712 1981 2874').found.map((found) => found.kind)).toEqual([
      'iban',
    ]);
  });

  it('does not take dates, times, order numbers, versions, prices or ISBNs for phone numbers', () => {
    const germanToo = createRedactor({ kinds: ['phone'], phoneRegions: ['US', 'DE', 'GB', 'FR'] });
    for (const text of [
      'on 2024-03-15 at 14:30:00',
      'Deadline 15.03.2024, 09:45-13:10',
      'Order #4155552671 shipped',
      'invoice no. 2125550188',
      'build 10.0.19045.3803, node 20.19.2',
      'it costs $1,299.99 or €2.499,00',
      'paid 4,155,552.67 in total',
      'ISBN 978-3-16-148410-0',
      'epoch 1699999999, zip 94103-1234',
      'my lucky numbers are 7 14 21 28 35 42',
    ]) {
      expect(germanToo.redact(text).found).toEqual([]);
    }
  });

  it('finds international numbers whatever the regions, and national ones for the regions given', () => {
    const us = createRedactor({ kinds: ['phone'] });
    expect(us.mask('+44 20 7946 0958 or 0049 30 901820')).toBe('[PHONE] or [PHONE]');
    expect(us.mask('(415) 555-2671')).toBe('[PHONE]');
    expect(us.mask('020 7946 0958')).toBe('020 7946 0958');
    const uk = createRedactor({ kinds: ['phone'], phoneRegions: ['GB'] });
    expect(uk.mask('020 7946 0958')).toBe('[PHONE]');
    // Only + and 00 numbers without a region.
    expect(
      createRedactor({ kinds: ['phone'], phoneRegions: [] }).mask('(415) 555-2671, +1 415 555 2671'),
    ).toBe('(415) 555-2671, [PHONE]');
  });

  it('does not take file names, handles or hosts without a top-level domain for emails', () => {
    expect(all.mask('logo@2x.png, @jane_doe, test@localhost, npm i @types/node@20.1.0')).toBe(
      'logo@2x.png, @jane_doe, test@localhost, npm i @types/node@20.1.0',
    );
    expect(all.mask('<josé@exämple.de>, x+y@sub.example.co.uk.')).toBe('<[EMAIL]>, [EMAIL].');
  });

  it('returns text with no digit and no @ as it is', () => {
    const text = 'I moved to Porto last year.';
    expect(all.redact(text)).toEqual({ text, found: [] });
  });
});
