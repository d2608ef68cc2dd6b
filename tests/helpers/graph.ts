import { AddTriplesDocument } from '../../client-codegen/generated/graphql.ts';
import type { TestServer } from './server.ts';

/** A GraphQL answer as JSON. */
export interface Body<D = Record<string, unknown>> {
  data?: D | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** Posts a document's text as it is (no typed document in between), as a client would. */
export async function post<D = Record<string, unknown>>(
  server: Pick<TestServer, 'url'>,
  query: string,
  variables?: object,
): Promise<Body<D>> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Body<D>;
}

export type TripleSpec = readonly [subject: string, predicate: string, object: string];

/** Adds triples to an entity through the API, in batches of at most `batch`. */
export async function addTriples(
  server: Pick<TestServer, 'gql'>,
  entity: string,
  triples: readonly TripleSpec[],
  batch = 200,
): Promise<void> {
  for (let i = 0; i < triples.length; i += batch) {
    const data = await server.gql(AddTriplesDocument, {
      input: {
        entity,
        triples: triples
          .slice(i, i + batch)
          .map(([subject, predicate, object]) => ({ subject, predicate, object })),
      },
    });
    if (data.addTriples.__typename !== 'AddTriplesSuccess') throw new Error(JSON.stringify(data.addTriples));
  }
}

/** Resolves once the clock has moved past `instant`: what is written next is later than it. */
export async function clockPast(instant: Date): Promise<void> {
  while (Date.now() <= instant.getTime()) await new Promise((resolve) => setImmediate(resolve));
}

/** A triple as the tests print it. */
export const spo = (triple: {
  subject: { name: string };
  predicate: { name: string };
  object: { name: string };
}) => `${triple.subject.name} ${triple.predicate.name} ${triple.object.name}`;
