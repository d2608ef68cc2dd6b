import type { Agent } from 'node:http';
import { postGraphql } from './load.ts';
import { entityExternalId } from './seed.ts';

const ISSUE = /* GraphQL */ `
  mutation Issue($input: IssueEntityTokenInput!) {
    issueEntityToken(input: $input) {
      __typename
      ... on IssueEntityTokenSuccess { token }
      ... on UserError { code message }
    }
  }
`;

/** Long enough for any run, within the default ENTITY_TOKEN_MAX_TTL_SECONDS. */
const TTL_SECONDS = 3600;

/**
 * One READ token per seeded entity, issued up front through `issueEntityToken` with the bench's
 * admin key (`concurrency` calls in flight), so the measured requests only verify tokens.
 * Resolves with the token of each external id.
 */
export async function issueEntityTokens(
  target: { agent: Agent; port: number },
  entities: number,
  concurrency: number,
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  let next = 1;
  const worker = async () => {
    while (next <= entities) {
      const entity = entityExternalId(next++);
      const body = JSON.stringify({
        query: ISSUE,
        variables: { input: { entity, ttlSeconds: TTL_SECONDS, scopes: ['READ'] } },
      });
      const { status, text } = await postGraphql(target, body);
      const result = status === 200 ? JSON.parse(text)?.data?.issueEntityToken : null;
      if (result?.__typename !== 'IssueEntityTokenSuccess') {
        throw new Error(`issueEntityToken for ${entity}: HTTP ${status} ${text.slice(0, 300)}`);
      }
      tokens.set(entity, result.token as string);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tokens;
}

/** The Authorization header for a page body: the token of the entity it reads. */
export function tokenAuthorization(tokens: Map<string, string>): (body: string) => string {
  return (body) => {
    const id = (JSON.parse(body) as { variables: { id: string } }).variables.id;
    const token = tokens.get(id);
    if (!token) throw new Error(`no entity token for ${id}`);
    return `Bearer ${token}`;
  };
}
