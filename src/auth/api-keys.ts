import { timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { type EntityTokens, looksLikeJwt } from './entity-tokens.ts';
import { KEY_ROLES, type KeyRole, type Principal } from './principal.ts';

/** One accepted API key and what it may do. */
export interface ApiKey {
  key: string;
  role: KeyRole;
}

/** Options for {@link createPrincipalResolver}. */
export interface PrincipalOptions {
  /** Accepted API keys; none means development mode, where every caller has full access. */
  apiKeys: ApiKey[];
  /** Verifies entity tokens (Engram's own and the identity provider's). */
  tokens: EntityTokens;
}

/**
 * Reads one API_KEYS entry: `<key>` (an admin key, as before roles existed) or `<role>:<key>` with
 * a role of {@link KEY_ROLES}. A lowercase word before a colon that is not a role is refused rather
 * than taken as part of an admin key, so a misspelt role never grants everything.
 * @returns the key, or a problem to report
 */
export function parseApiKey(entry: string): ApiKey | { problem: string } {
  const prefixed = /^([a-z]+):(.*)$/.exec(entry);
  if (!prefixed) return { key: entry, role: 'admin' };
  const [, role = '', key = ''] = prefixed;
  if (!(KEY_ROLES as readonly string[]).includes(role)) {
    return {
      problem: `unknown role "${role}" (expected ${KEY_ROLES.join(', ')}; a key alone is an admin key)`,
    };
  }
  if (!key.trim()) return { problem: `the ${role} entry has no key after "${role}:"` };
  return { key: key.trim(), role: role as KeyRole };
}

/** The entries of an API keys file: one `<key>` or `<role>:<key>` per line; blank lines and `#` comments skipped. */
export function apiKeyFileEntries(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

function sameKey(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * Turns an `Authorization: Bearer <key or token>` value (HTTP header or graphql-ws connection
 * param) into a principal, or rejects with UNAUTHENTICATED. An API key is looked for first; a
 * value shaped like a JWT that is no key must verify as an entity token. In development mode (no
 * keys) a caller without a token is an administrator, and one with a token is that token's entity.
 */
export function createPrincipalResolver(options: PrincipalOptions) {
  return async (authorization: string | null | undefined): Promise<Principal> => {
    const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const apiKey = token ? findKey(options.apiKeys, token) : undefined;
    if (apiKey) return { kind: 'key', role: apiKey.key.role, name: `api-key-${apiKey.index + 1}` };
    if (token && looksLikeJwt(token)) {
      try {
        return await options.tokens.verify(token);
      } catch {
        // Why a token failed (expired, wrong signature, wrong audience) is not told to the caller.
        throw unauthenticated('the token is not valid (expired, or not signed for Engram): get a new one');
      }
    }
    if (options.apiKeys.length === 0) return { kind: 'key', role: 'admin', name: 'development' };
    throw unauthenticated('a valid API key or entity token is required: send Authorization: Bearer <key>');
  };
}

function findKey(apiKeys: ApiKey[], token: string): { key: ApiKey; index: number } | undefined {
  // Every key is compared, so the time taken does not tell which one was close.
  let found: { key: ApiKey; index: number } | undefined;
  apiKeys.forEach((apiKey, index) => {
    if (sameKey(apiKey.key, token) && !found) found = { key: apiKey, index };
  });
  return found;
}
