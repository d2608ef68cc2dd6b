import { timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Principal } from './principal.ts';

/** Options for {@link createPrincipalResolver}. */
export interface PrincipalOptions {
  /** Accepted API keys; none means development mode, where every caller has full access. */
  apiKeys: string[];
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
    if (options.apiKeys.length === 0) return { kind: 'admin', name: 'development' };
    const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const index = token ? options.apiKeys.findIndex((key) => sameKey(key, token)) : -1;
    if (index < 0) {
      throw new GraphQLError('a valid API key is required: send Authorization: Bearer <key>', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    return { kind: 'admin', name: `api-key-${index + 1}` };
  };
}
