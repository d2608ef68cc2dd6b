/**
 * Global ids and cursors, parsed strictly. Engram only ever hands out `base64("<Type>:<n>")` ids
 * and `base64("GPC:N:<n>")` cursors, n a positive integer in canonical form; anything else is not
 * an id or cursor of Engram's, however close (`Fact:01`, `Fact:1e0`, `Fact:1:2`, unpadded base64).
 * Lenient parsing made `Fact:1e3`, `Fact: 1` and `Fact:1.0` load Fact 1, and handed the database
 * cursors it could not use.
 *
 * Here in the domain rather than the GraphQL layer because the domain reads references in the same
 * format (a session is named by its global id or its uuid: sessions.ts); nothing here knows GraphQL.
 */

/** Longest global id or cursor accepted: `<Type>:<16 digits>` in base64 fits in well under this. */
const MAX_ENCODED_LENGTH = 128;

const GLOBAL_ID = /^([A-Za-z][A-Za-z0-9]*):([1-9][0-9]{0,15})$/;
const CURSOR = /^GPC:N:([1-9][0-9]{0,15})$/;

/** The text inside canonical base64 (what Buffer would encode back to the same string), or null. */
function decodeCanonicalBase64(value: string): string | null {
  if (value.length === 0 || value.length > MAX_ENCODED_LENGTH || value.length % 4 !== 0) return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) return null;
  const text = bytes.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD, which the patterns below never accept.
  return text;
}

/** A positive safe integer from its canonical decimal form, or null. */
function positiveId(digits: string): number | null {
  const id = Number(digits);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export interface ParsedGlobalId {
  typename: string;
  id: number;
}

/**
 * The type name and database id of a global id, or null when it is not exactly one Engram could
 * have issued (the type name is not checked against the schema here).
 */
export function parseGlobalId(value: string): ParsedGlobalId | null {
  const text = decodeCanonicalBase64(value);
  const match = text === null ? null : GLOBAL_ID.exec(text);
  if (!match) return null;
  const id = positiveId(match[2] as string);
  return id === null ? null : { typename: match[1] as string, id };
}

/** The id inside a connection cursor Engram issued (`cursor: 'id'` connections), or null. */
export function parseCursor(value: string): number | null {
  const text = decodeCanonicalBase64(value);
  const match = text === null ? null : CURSOR.exec(text);
  return match ? positiveId(match[1] as string) : null;
}

/** The global id of a row, as the API hands it out (and `node(id:)` takes it). */
export function globalId(typename: string, id: number): string {
  return Buffer.from(`${typename}:${id}`).toString('base64');
}
