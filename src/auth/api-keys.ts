import { timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
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

/**
 * Turns an `Authorization: Bearer <key>` value (HTTP header or graphql-ws connection param)
 * into a principal, or throws UNAUTHENTICATED.
 */
export function createPrincipalResolver(options: PrincipalOptions) {
  return (authorization: string | null | undefined): Principal => {
    if (options.apiKeys.length === 0) return { kind: 'key', role: 'admin', name: 'development' };
    const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    // Every key is compared, so the time taken does not tell which one was close.
    let found = -1;
    options.apiKeys.forEach((apiKey, index) => {
      if (token && sameKey(apiKey.key, token) && found < 0) found = index;
    });
    const apiKey = options.apiKeys[found];
    if (!apiKey) {
      throw new GraphQLError('a valid API key is required: send Authorization: Bearer <key>', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    return { kind: 'key', role: apiKey.role, name: `api-key-${found + 1}` };
  };
}
