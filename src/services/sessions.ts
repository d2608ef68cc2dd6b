import { ValidationError } from '../errors.ts';
import { parseGlobalId } from './global-id.ts';

/** Longest session uuid accepted, on every database (MySQL's column holds 128 characters). */
const MAX_SESSION_REF_LENGTH = 128;

/**
 * Which session a reference names: its global id (parsed strictly: `Session:1e0` is no Session
 * id) or, failing that, its uuid. The session query, the messageAdded subscription and planned
 * reads all read references this way.
 * @throws ValidationError (BAD_USER_INPUT) for an empty or overlong reference
 */
export function sessionWhere(ref: string): { id: number } | { uuid: string } {
  const parsed = parseGlobalId(ref);
  if (parsed?.typename === 'Session') return { id: parsed.id };
  if (ref.length === 0 || ref.length > MAX_SESSION_REF_LENGTH) {
    throw new ValidationError('session id is empty or too long', [], 'BAD_USER_INPUT');
  }
  return { uuid: ref };
}
