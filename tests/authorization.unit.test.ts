import { type GraphQLObjectType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';

/**
 * Isolation is declared on types (src/schema/authorization.ts): every object type that holds an
 * entity's memory, or a shared row (a process, a name), names the scope its caller needs. Types
 * that only carry other objects (connections, payloads, errors, search hits) need none, because
 * what they carry is checked by its own type; they are listed here by name, with why. A new type
 * fails this test until it declares its scopes or is added to that list.
 */
const CARRIERS: Record<string, string> = {
  PageInfo: 'cursors only',
  FieldIssue: 'an input problem of the caller’s own request',
  ValidationError: 'an error about the caller’s own input',
  NotFoundError: 'an error about the caller’s own input',
  ForbiddenError: 'an error about the caller’s own input',
  AddTriplesSuccess: 'carries Triple objects',
  RecordConversationSuccess: 'carries a Conversation',
  RememberFactSuccess: 'carries a Fact',
  ForgetSuccess: 'the id the caller sent, and an Entity',
  RerunAugmentationSuccess: 'carries an AugmentationJob',
  IssueEntityTokenSuccess: 'the grant the caller asked for (only keys may ask)',
  EraseEntitySuccess: 'counts of what the caller erased',
  ErasedCounts: 'counts of what the caller erased',
  FactChangedEvent: 'carries a Fact',
  TripleChangedEvent: 'carries a Triple',
  SemanticFactHit: 'carries a Fact and a score',
  RecallHit: 'carries a Fact, its source Messages and scores',
  RecallBreakdown: 'scores of one hit',
  SemanticStatus: 'only keys reach it (Query.semanticStatus)',
  EmbeddingStatus: 'under SemanticStatus',
  VectorIndexStatus: 'under SemanticStatus',
  GraphMirrorStatus: 'only keys reach it (Query.graphMirrorStatus); counts, no memory',
  GraphNeighborhood: 'carries GraphNodes and Triples, reached only through an EntityGraph',
  GraphPath: 'carries GraphNodes and Triples, reached only through an EntityGraph',
};
const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);

function objectTypes(): GraphQLObjectType[] {
  return Object.values(schema.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'),
  );
}

const declares = (type: GraphQLObjectType) =>
  (type.extensions as { pothosOptions?: { authScopes?: unknown } }).pothosOptions?.authScopes !== undefined;
const isCarrier = (name: string) => name in CARRIERS || /Connection(Edge)?$/.test(name);

describe('authorization is declared on every type', () => {
  it('gives every object type scopes, unless it only carries other objects', () => {
    const undeclared = objectTypes()
      .filter((type) => !ROOTS.has(type.name) && !declares(type) && !isCarrier(type.name))
      .map((type) => type.name);
    expect(undeclared).toEqual([]);
  });

  it('gives every database-backed type scopes, without exception', () => {
    const rows = objectTypes().filter(
      (type) => (type.extensions as { pothosPrismaLoader?: unknown }).pothosPrismaLoader !== undefined,
    );
    expect(rows.length).toBeGreaterThanOrEqual(12);
    expect(rows.filter((type) => !declares(type)).map((type) => type.name)).toEqual([]);
  });

  it('lists no carrier that is gone or that declares scopes after all', () => {
    const types = new Map(objectTypes().map((type) => [type.name, type]));
    const stale = Object.keys(CARRIERS).filter(
      (name) => !types.get(name) || declares(types.get(name) as never),
    );
    expect(stale).toEqual([]);
  });
});
