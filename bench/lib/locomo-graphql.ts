/**
 * The GraphQL bench:locomo sends (recordConversation, rememberFact, recall), the shapes of their
 * answers, and {@link gql}, which POSTs one and throws on any error.
 */

/** POSTs one operation; throws on HTTP or GraphQL errors and on typed error results. */
export async function gql<T>(url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (!response.ok || body.errors?.length || !body.data) {
    throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

const USER_ERROR = /* GraphQL */ `
  ... on UserError { code message }
  ... on ValidationError { issues { path message } }
`;

export const RECORD = /* GraphQL */ `
  mutation Record($input: RecordConversationInput!, $n: Int!) {
    recordConversation(input: $input) {
      __typename
      ... on RecordConversationSuccess {
        conversation { id messages(last: $n) { edges { node { id content } } } }
      }
      ${USER_ERROR}
    }
  }
`;

export const REMEMBER = /* GraphQL */ `
  mutation Remember($input: RememberFactInput!) {
    rememberFact(input: $input) {
      __typename
      ... on RememberFactSuccess { kind fact { id } }
      ${USER_ERROR}
    }
  }
`;

export const RECALL = /* GraphQL */ `
  query Recall(
    $entity: String!
    $query: String!
    $first: Int!
    $sources: [RecallSource!]
    $weights: RecallWeightsInput
    $fusion: RecallFusion
  ) {
    recall(entity: $entity, query: $query, first: $first, sources: $sources, weights: $weights, fusion: $fusion) {
      score
      fact { id }
      message { id }
      sources { id }
      breakdown { semantic }
    }
  }
`;

interface Result {
  __typename: string;
  code?: string;
  message?: string;
}

export function success<T extends Result>(result: T, expected: string, what: string): T {
  if (result.__typename !== expected) {
    throw new Error(`${what}: ${result.__typename} ${result.code ?? ''} ${JSON.stringify(result)}`);
  }
  return result;
}

export interface RecordResult extends Result {
  conversation?: { id: string; messages: { edges: { node: { id: string; content: string } }[] } };
}
export interface RememberResult extends Result {
  kind?: 'CREATED' | 'MENTIONED';
  fact?: { id: string };
}
export interface RecallHit {
  score: number;
  fact: { id: string } | null;
  message: { id: string } | null;
  sources: { id: string }[];
  breakdown: { semantic: number | null };
}
