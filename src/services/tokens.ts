import { z } from 'zod';
import type { EntityTokens, IssuedToken } from '../auth/entity-tokens.ts';
import { assertWriteKey, TOKEN_SCOPES, type TokenScope } from '../auth/principal.ts';
import { type Actor, recordAuditNow } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { externalIdSchema, parseInput } from './validation.ts';

/** What `issueEntityToken` asks for. */
export interface IssueTokenInput {
  entity: string;
  /** @default ENTITY_TOKEN_TTL_SECONDS */
  ttlSeconds?: number | null;
  /** @default READ and WRITE */
  scopes?: readonly TokenScope[] | null;
}

/** An issued token with what it grants. */
export interface EntityTokenGrant extends IssuedToken {
  entity: string;
  scopes: TokenScope[];
}

/** What issuing a token needs: the signer, and the database and bus of the audit log. */
export interface TokenDeps extends Pick<ServiceDeps, 'db' | 'events'> {
  tokens: EntityTokens;
}

/**
 * Issues a short-lived token for one entity's memory, for a frontend that talks to Engram
 * directly. Only admin and service keys issue tokens; a token never issues another. The entity
 * need not exist yet (its first conversation creates it). The grant is in the audit log before
 * the token is handed out (the token itself is not: it is a credential).
 */
export async function issueEntityToken(
  deps: TokenDeps,
  actor: Actor,
  input: IssueTokenInput,
): Promise<EntityTokenGrant> {
  const { tokens } = deps;
  assertWriteKey(actor.principal);
  const parsed = parseInput(
    z.object({
      entity: externalIdSchema,
      ttlSeconds: z
        .number()
        .int()
        .min(1, 'must be at least 1 second')
        .max(
          tokens.maxTtlSeconds,
          `must be at most ${tokens.maxTtlSeconds} seconds (ENTITY_TOKEN_MAX_TTL_SECONDS)`,
        )
        .nullish(),
      scopes: z.array(z.enum(TOKEN_SCOPES)).min(1, 'name READ, WRITE or both').nullish(),
    }),
    input,
  );
  const scopes = TOKEN_SCOPES.filter((scope) => (parsed.scopes ?? TOKEN_SCOPES).includes(scope));
  const issued = await tokens.issue(parsed.entity, parsed.ttlSeconds ?? tokens.defaultTtlSeconds, scopes);
  await recordAuditNow(deps, actor, { action: 'issueEntityToken', entity: parsed.entity });
  return { ...issued, entity: parsed.entity, scopes };
}
