import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  documentDepth,
  generateDocuments,
  type LeakFixtures,
  leafSelection,
  type Party,
  reachableFields,
} from './helpers/leak-documents.ts';
import { generateMutations, generateSubscriptions } from './helpers/leak-operations.ts';
import { findInData, findLeaks, type VictimNeedles } from './helpers/leak-oracle.ts';

/** A small schema of Engram's shape: a Node interface, an entity root, a connection, a union. */
const schema = buildSchema(`
  interface Node { id: ID! }
  type Query {
    node(id: ID!): Node
    entity(externalId: String!): Entity
    search(entity: String!, query: String!): [Fact!]!
  }
  type Entity implements Node {
    id: ID!
    externalId: String!
    facts(first: Int, after: String, contains: String): FactConnection!
  }
  type FactConnection { edges: [FactEdge!]! totalCount: Int! }
  type FactEdge { cursor: String! node: Fact! }
  type Fact implements Node { id: ID! content: String! entity: Entity! kind: String! }
  type Name implements Node { id: ID! kind: String }
  type Mutation { remember(input: RememberInput!): RememberResult! forgetFact(id: ID!): Boolean! }
  input RememberInput { entity: String! content: String! source: ID tags: [String!] }
  union RememberResult = Fact | Refused
  type Refused { code: String! }
  type Subscription { factChanged(entity: String!): Fact! }
`);

const id = (type: string, n: number) => Buffer.from(`${type}:${n}`).toString('base64');
const party = (name: string, n: number): Party => ({
  name,
  externalId: `${name.toLowerCase()}-ent`,
  processExternalId: `${name.toLowerCase()}-bot`,
  ids: { Entity: [id('Entity', n)], Fact: [id('Fact', n), id('Fact', n + 10)], Name: [id('Name', n)] },
  aliases: {},
});
const fixtures: LeakFixtures = {
  victim: party('B', 2),
  own: party('A', 1),
  named: {},
  references: { 'RememberInput.source': 'Fact' },
};

describe('the leak-test document generator', () => {
  it('reaches a field behind a nested connection with the victim’s id and a small page', () => {
    const { documents } = generateDocuments(schema, { ...fixtures, named: { 'Query.search.query': 'tea' } });
    const fromEntity = documents.filter(
      (document) => document.target === 'Fact.content' && document.path.startsWith('entity(externalId: B'),
    );
    expect(fromEntity).toEqual([
      {
        target: 'Fact.content',
        path: 'entity(externalId: B.externalId) > facts > edges > node',
        query: 'query { entity(externalId: "b-ent") { facts(first: 5) { edges { node { content } } } } }',
      },
    ]);
  });

  it('loads each of the victim’s ids through node(id:), into its own type only', () => {
    const { documents } = generateDocuments(schema, { ...fixtures, named: { 'Query.search.query': 'tea' } });
    const target = documents.find((document) => document.path === 'node(id: B.Fact[0]) > ...on Fact');
    expect(target?.query).toMatch(/^query \{ node\(id: "RmFjdDoy"\) \{ \.\.\. on Fact \{ /);
    // The second Fact id is only loaded, not followed into every field again.
    const second = documents.filter((document) => document.query.includes(id('Fact', 12)));
    expect(second.map((document) => document.target)).toEqual(['Query.node']);
    expect(second[0]?.query).toContain('... on Fact {');
    expect(second[0]?.query).not.toContain('... on Name');
  });

  it('covers every reachable field, and from the caller’s own entity too', () => {
    const generated = generateDocuments(schema, { ...fixtures, named: { 'Query.search.query': 'tea' } });
    expect(generated.problems).toEqual([]);
    expect(generated.covered).toEqual(generated.reachable);
    expect(generated.reachable).toContain('FactEdge.node');
    expect(generated.documents.some((document) => document.path.startsWith('entity(externalId: A'))).toBe(
      true,
    );
  });

  it('fails, naming the field, on a required argument it cannot fill', () => {
    const generated = generateDocuments(schema, fixtures);
    expect(generated.problems).toContain('Query.search(query): no value for this required argument');
  });

  it('aliases a field that two members type differently, so the document validates', () => {
    const selection = leafSelection(schema, schema.getType('Node') as never, 0);
    expect(selection).toContain('... on Fact { content id fact_kind: kind }');
    expect(selection).toContain('... on Name { id name_kind: kind }');
  });

  it('counts depth by fields, as the depth limit does, not by fragments', () => {
    expect(documentDepth('query { node(id: "x") { ... on Fact { entity { id } } } }')).toBe(3);
    expect(reachableFields(schema, schema.getType('Subscription') as never)).toContain(
      'Subscription.factChanged',
    );
  });

  it('runs each mutation as the victim, with the victim’s references, and as the caller pointing at them', () => {
    const { mutations, problems } = generateMutations(schema, fixtures);
    expect(problems).toEqual([]);
    expect(mutations.map((mutation) => mutation.label)).toEqual([
      'forgetFact(id: B.Fact[0])',
      'remember(input.entity: B.entity)',
      'remember(input.entity: B.entity, input.source: B.Fact[0])',
      'remember(input.entity: A.entity, input.source: B.Fact[0])',
    ]);
    expect(mutations[3]?.query).toMatch(
      /^mutation \{ remember\(input: \{entity: "a-ent", content: "A probe content", source: "RmFjdDoy"\}\) \{ __typename /,
    );
  });

  it('subscribes to each subscription with the victim’s arguments', () => {
    const { subscriptions } = generateSubscriptions(schema, fixtures);
    expect(subscriptions.map((subscription) => subscription.label)).toEqual([
      'factChanged(entity: B.externalId)',
    ]);
    expect(subscriptions[0]?.probe).toBe('subscription { factChanged(entity: "b-ent") { content id kind } }');
  });
});

describe('the leak-test oracle', () => {
  const needles: VictimNeedles = {
    contentMarkers: ['Zqxbmarker'],
    idMarkers: ['zqibmarker'],
    exact: [id('Fact', 1), 'zqibmarker-entity'],
  };

  it('finds the victim’s marker in any case, deep in the data, with its path', () => {
    const data = {
      node: { mentions: { edges: [{ node: { message: { content: 'I love ZQXBMARKER pottery' } } }] } },
    };
    expect(findInData(data, needles)).toEqual([
      {
        at: 'data.node.mentions.edges[0].node.message.content',
        value: 'I love ZQXBMARKER pottery',
        needle: 'Zqxbmarker',
      },
    ]);
  });

  it('matches global ids whole: B’s Fact:1 is not inside A’s Fact:12', () => {
    expect(findInData({ id: id('Fact', 12) }, needles)).toEqual([]);
    expect(findInData({ ids: [id('Fact', 1)] }, needles)).toHaveLength(1);
  });

  it('lets errors echo the ids the caller sent, but not the victim’s content', () => {
    const echoed = { data: { entity: null }, errors: [{ message: 'entity zqibmarker-entity is not yours' }] };
    expect(findLeaks(echoed, needles)).toEqual([]);
    const told = { data: null, errors: [{ message: 'conflicts with "Zqxbmarker keeps bees"' }] };
    expect(findLeaks(told, needles).map((finding) => finding.at)).toEqual(['errors[0].message']);
  });
});
