/**
 * Every client mistake is a client error: null where the schema says "not found" is null, or a
 * coded error (BAD_USER_INPUT, a ValidationError result...), never INTERNAL_SERVER_ERROR; nothing
 * is written; the log says it at info, cut short. Real server, real HTTP, every database.
 */
import { Writable } from 'node:stream';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { rowCounts } from './helpers/row-counts.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

interface Response {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Log lines the server wrote, parsed. */
const logLines: Record<string, unknown>[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
    done();
  },
});

let server: TestServer;
/** Global ids of seeded objects, by GraphQL type. */
const ids: Record<string, string> = {};

async function post(query: string, variables?: Record<string, unknown>): Promise<Response> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  // Every answer reports its cost in extensions (tests/query-cost.test.ts checks it); these tests
  // compare data and errors.
  const { extensions: _cost, ...body } = (await response.json()) as Response & { extensions?: unknown };
  return body;
}

/** Runs a subscription over graphql-ws and returns its first result (or the error it ends with). */
async function subscribeOnce(query: string, variables: Record<string, unknown>): Promise<Response> {
  const client = server.wsClient();
  return new Promise<Response>((resolve) => {
    const stop = client.subscribe(
      { query, variables },
      {
        next: (value) => {
          stop();
          resolve(value as Response);
        },
        error: (error) => resolve({ errors: Array.isArray(error) ? error : [{ message: String(error) }] }),
        complete: () => resolve({}),
      },
    );
  });
}

async function expectNoWrites(run: () => Promise<unknown>) {
  const before = await rowCounts(server.db);
  await run();
  expect(await rowCounts(server.db)).toEqual(before);
}

function expectCode(result: Response, code: string) {
  expect(result.errors?.map((error) => error.extensions?.code)).toEqual([code]);
}

async function remember(entity: string, content: string): Promise<string> {
  const result = await post(
    `mutation($input: RememberFactInput!) { rememberFact(input: $input) {
      __typename ... on RememberFactSuccess { fact { id } } } }`,
    { input: { entity, content } },
  );
  const fact = (result.data?.rememberFact as { fact?: { id: string } } | undefined)?.fact;
  if (!fact) throw new Error(`rememberFact failed: ${JSON.stringify(result)}`);
  return fact.id;
}

async function addTriple(entity: string, subject: string, object: string): Promise<string> {
  const result = await post(
    `mutation($input: AddTriplesInput!) { addTriples(input: $input) {
      __typename ... on AddTriplesSuccess { triples { id subject { id } predicate { id } object { id } } } } }`,
    { input: { entity, triples: [{ subject, predicate: 'likes', object }] } },
  );
  const triple = (
    result.data?.addTriples as { triples?: Record<string, { id: string } | string>[] } | undefined
  )?.triples?.[0];
  if (!triple) throw new Error(`addTriples failed: ${JSON.stringify(result)}`);
  ids.TripleSubject = (triple.subject as { id: string }).id;
  ids.TriplePredicate = (triple.predicate as { id: string }).id;
  ids.TripleObject = (triple.object as { id: string }).id;
  return triple.id as string;
}

beforeAll(async () => {
  server = await startTestServer({ logger: pino({ level: 'info' }, logStream) });
  ids.Fact = await remember('e1', '100% sure a_b');
  await remember('e1', 'other thing');
  await remember('e1', 'path C:\\temp');
  await remember('e%x', 'other thing');
  ids.Triple = await addTriple('e1', 'Ana', 'tea');
  const recorded = await post(
    `mutation($input: RecordConversationInput!) { recordConversation(input: $input) {
      __typename ... on RecordConversationSuccess { conversation { id session { id entity { id } }
        messages(first: 1) { edges { node { id } } } } } } }`,
    { input: { entity: 'e1', process: 'bot', messages: [{ role: 'USER', content: 'hello' }] } },
  );
  const conversation = (recorded.data?.recordConversation as { conversation: unknown } | undefined)
    ?.conversation as {
    id: string;
    session: { id: string; entity: { id: string } };
    messages: { edges: { node: { id: string } }[] };
  };
  ids.Conversation = conversation.id;
  ids.Session = conversation.session.id;
  ids.Entity = conversation.session.entity.id;
  ids.Message = conversation.messages.edges[0]?.node.id as string;
  const process = await post('{ process(externalId: "bot") { id } }');
  ids.Process = (process.data?.process as { id: string } | undefined)?.id as string;
});
afterAll(() => server.close());

describe('node and nodes', () => {
  it('answer null for a missing object, and null only in its place in nodes', async () => {
    const missing = b64('Fact:999999');
    const node = await post('query($id: ID!) { node(id: $id) { id } }', { id: missing });
    expect(node).toEqual({ data: { node: null } });
    const nodes = await post('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [ids.Fact, missing, ids.Entity],
    });
    expect(nodes).toEqual({ data: { nodes: [{ id: ids.Fact }, null, { id: ids.Entity }] } });
  });

  it('answer null for an unknown type or a bad number', async () => {
    for (const id of [b64('Nope:1'), b64('Fact:abc'), b64('UserError:1'), 'not base64 at all', '']) {
      const node = await post('query($id: ID!) { node(id: $id) { id } }', { id });
      expect(node, id).toEqual({ data: { node: null } });
    }
    const nodes = await post('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [b64('Nope:1'), ids.Fact, b64('Fact:abc')],
    });
    expect(nodes).toEqual({ data: { nodes: [null, { id: ids.Fact }, null] } });
  });
});

describe('global ids parse strictly, everywhere', () => {
  // Each is close to Fact 1 (or Session 1), and none is an id Engram issued.
  const near = (type: string) => [
    `${type}:1e0`,
    `${type}:1:2:3`,
    `${type}:1:`,
    `${type}:01`,
    `${type}: 1`,
    `${type}:1 `,
    `${type}:+1`,
    `${type}:-1`,
    `${type}:0`,
    `${type}:1.0`,
    `${type}:0x1`,
    `${type}:9007199254740993`,
    `${type}:99999999999999999999`,
    `${type.toLowerCase()}:1`,
  ];
  const encodings = (text: string) => [b64(text), b64(text).replace(/=+$/, ''), ` ${b64(text)}`];

  it('node and nodes load nothing for them', async () => {
    const fact = b64(
      `Fact:${
        Buffer.from(ids.Fact as string, 'base64')
          .toString()
          .split(':')[1]
      }`,
    );
    expect(fact).toBe(ids.Fact);
    const bad = near('Fact').flatMap(encodings);
    for (const id of bad) {
      const node = await post('query($id: ID!) { node(id: $id) { id } }', { id });
      expect(node, id).toEqual({ data: { node: null } });
    }
    const nodes = await post('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: bad.slice(0, 20) });
    expect(nodes).toEqual({ data: { nodes: bad.slice(0, 20).map(() => null) } });
  });

  it('forgetFact, forgetTriple, sources and conversations refuse them with INVALID_ID', async () => {
    await expectNoWrites(async () => {
      for (const text of near('Fact')) {
        const forget = await post(
          'mutation($id: ID!) { forgetFact(id: $id) { __typename ... on UserError { code } } }',
          { id: b64(text) },
        );
        expect(forget, text).toEqual({
          data: { forgetFact: { __typename: 'ValidationError', code: 'INVALID_ID' } },
        });
      }
      for (const text of near('Triple')) {
        const forget = await post(
          'mutation($id: ID!) { forgetTriple(id: $id) { __typename ... on UserError { code } } }',
          { id: b64(text) },
        );
        expect(forget.data?.forgetTriple, text).toEqual({
          __typename: 'ValidationError',
          code: 'INVALID_ID',
        });
      }
      for (const text of near('Message')) {
        const source = await post(
          `mutation($input: RememberFactInput!) { rememberFact(input: $input) {
            __typename ... on UserError { code } } }`,
          { input: { entity: 'e1', content: 'from a near id', source: b64(text) } },
        );
        expect(source.data?.rememberFact, text).toEqual({
          __typename: 'ValidationError',
          code: 'INVALID_ID',
        });
      }
      for (const text of near('Conversation')) {
        const conversation = await post(
          `mutation($input: RecordConversationInput!) { recordConversation(input: $input) {
            __typename ... on UserError { code } } }`,
          {
            input: {
              entity: 'e1',
              process: 'bot',
              conversation: b64(text),
              messages: [{ role: 'USER', content: 'hi' }],
            },
          },
        );
        expect(conversation.data?.recordConversation, text).toEqual({
          __typename: 'ValidationError',
          code: 'INVALID_ID',
        });
      }
    });
  });

  it('session(id) treats them as uuids: no session', async () => {
    const session = await post('query($id: ID!) { session(id: $id) { id } }', { id: ids.Session });
    expect(session).toEqual({ data: { session: { id: ids.Session } } });
    for (const text of near('Session')) {
      const near = await post('query($id: ID!) { session(id: $id) { id } }', { id: b64(text) });
      expect(near, text).toEqual({ data: { session: null } });
    }
  });
});

describe('cursors', () => {
  const bad = [
    b64('GPC:S:abc'),
    b64('GPC:N:-1'),
    b64('GPC:N:1.5'),
    b64('GPC:N:0'),
    b64('GPC:N:01'),
    b64('GPC:N:1e3'),
    b64('GPC:N:abc'),
    b64('GPC:N:99999999999999999999'),
    b64('GPC:D:2020-01-01'),
    b64('GPC:J:{"id":1}'),
    b64('OffsetConnection:-1'),
    b64('OffsetConnection:1.5'),
    Buffer.from([0xff, 0xfe, 0x01, 0x80, 0x00, 0x7f]).toString('base64'),
    b64(`GPC:S:${'a'.repeat(700_000)}`),
    'not a cursor',
    '',
  ];

  it('that Engram did not issue are BAD_USER_INPUT, at any depth', async () => {
    const page = await post('{ entity(externalId: "e1") { facts(first: 1) { pageInfo { endCursor } } } }');
    const good = (page.data?.entity as { facts: { pageInfo: { endCursor: string } } } | undefined)?.facts
      .pageInfo.endCursor;
    const next = await post(
      'query($c: String) { entity(externalId: "e1") { facts(first: 1, after: $c) { totalCount } } }',
      {
        c: good,
      },
    );
    expect(next.errors).toBeUndefined();
    for (const cursor of bad) {
      const label = cursor.slice(0, 40);
      const facts = await post(
        'query($c: String) { entity(externalId: "e1") { facts(after: $c) { edges { cursor } } } }',
        { c: cursor },
      );
      expectCode(facts, 'BAD_USER_INPUT');
      expect(facts.data, label).toEqual({ entity: null });
      const entities = await post('query($c: String) { entities(before: $c) { totalCount } }', { c: cursor });
      expectCode(entities, 'BAD_USER_INPUT');
      const nested = await post(
        'query($id: ID!, $c: String) { node(id: $id) { ... on Session { conversations(last: 1, before: $c) { totalCount } } } }',
        { id: ids.Session, c: cursor },
      );
      expectCode(nested, 'BAD_USER_INPUT');
    }
  });

  it('in a mutation’s selection stop the mutation before it writes', async () => {
    await expectNoWrites(async () => {
      const result = await post(
        `mutation($input: RememberFactInput!, $c: String) { rememberFact(input: $input) {
          __typename ... on UserError { code }
          ... on RememberFactSuccess { fact { mentions(after: $c) { totalCount } } } } }`,
        { input: { entity: 'cursor-writer', content: 'never stored' }, c: b64('GPC:S:abc') },
      );
      expect(result).toEqual({
        data: { rememberFact: { __typename: 'ValidationError', code: 'VALIDATION_FAILED' } },
      });
    });
  });
});

describe('filters are literal and bounded', () => {
  const facts = async (contains: string) =>
    post(
      'query($c: String) { entity(externalId: "e1") { facts(contains: $c) { totalCount edges { node { content } } } } }',
      {
        c: contains,
      },
    );
  const entities = async (prefix: string) =>
    post('query($p: String) { entities(externalIdPrefix: $p) { totalCount } }', { p: prefix });

  it('contains: % and _ and \\ are plain characters', async () => {
    const count = async (text: string) =>
      ((await facts(text)).data?.entity as { facts: { totalCount: number } } | undefined)?.facts.totalCount;
    expect(await count('%')).toBe(1);
    expect(await count('_')).toBe(1);
    expect(await count('0% s')).toBe(1);
    expect(await count('a_b')).toBe(1);
    expect(await count('a%b')).toBe(0);
    expect(await count('\\')).toBe(1);
    expect(await count('C:\\t')).toBe(1);
    expect(await count('\\%')).toBe(0);
    expect(await count('thing')).toBe(1);
  });

  it('externalIdPrefix: % and _ are plain characters', async () => {
    const count = async (text: string) =>
      ((await entities(text)).data?.entities as { totalCount: number } | undefined)?.totalCount;
    expect(await count('%')).toBe(0);
    expect(await count('_')).toBe(0);
    expect(await count('e%')).toBe(1);
    expect(await count('e')).toBe(2);
    expect(await count('\\')).toBe(0);
  });

  it('refuses overlong filters with BAD_USER_INPUT (SQLite: LIKE pattern too complex)', async () => {
    for (const text of ['a'.repeat(60_000), '%'.repeat(1001), 'é'.repeat(1001)]) {
      const result = await facts(text);
      expectCode(result, 'BAD_USER_INPUT');
      expect(result.data).toEqual({ entity: null });
    }
    expectCode(await entities('x'.repeat(256)), 'BAD_USER_INPUT');
    const subject = await post(
      'query($s: String) { entity(externalId: "e1") { triples(subject: $s) { totalCount } } }',
      {
        s: 'x'.repeat(501),
      },
    );
    expectCode(subject, 'BAD_USER_INPUT');
    expect((await facts('a'.repeat(1000))).errors).toBeUndefined();
  });
});

describe('concurrent forgets', () => {
  it('of the same fact: one succeeds, the others get NotFoundError', async () => {
    const id = await remember('racer', 'to be forgotten by many');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        post('mutation($id: ID!) { forgetFact(id: $id) { __typename ... on UserError { code } } }', { id }),
      ),
    );
    const kinds = results.map((result) => {
      expect(result.errors).toBeUndefined();
      return (result.data?.forgetFact as { __typename: string } | undefined)?.__typename;
    });
    expect(kinds.filter((kind) => kind === 'ForgetSuccess')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'NotFoundError')).toHaveLength(7);
  });

  it('of the same triple: one succeeds, the others get NotFoundError', async () => {
    const id = await addTriple('racer', 'Bo', 'coffee');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        post('mutation($id: ID!) { forgetTriple(id: $id) { __typename ... on UserError { code } } }', { id }),
      ),
    );
    const kinds = results.map((result) => {
      expect(result.errors).toBeUndefined();
      return (result.data?.forgetTriple as { __typename: string } | undefined)?.__typename;
    });
    expect(kinds.filter((kind) => kind === 'ForgetSuccess')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'NotFoundError')).toHaveLength(7);
  });
});

/** One string slot of an argument: the argument, and where inside its value the string goes. */
interface Slot {
  /** `Query.entity`, `Entity.facts`... */
  owner: string;
  field: GraphQLField<unknown, unknown>;
  argument: GraphQLArgument;
  /** Keys and indexes from the argument's value to the string. */
  at: (string | number)[];
}

/** Every place a string can go in an argument's value (String and ID leaves, through lists and inputs). */
function stringSlots(type: GraphQLInputType, at: (string | number)[], depth = 0): (string | number)[][] {
  if (depth > 6) return [];
  if (isNonNullType(type)) return stringSlots(type.ofType, at, depth);
  if (isListType(type)) return stringSlots(type.ofType, [...at, 0], depth + 1);
  if (isScalarType(type)) return type.name === 'String' || type.name === 'ID' ? [at] : [];
  if (isInputObjectType(type)) {
    return Object.values(type.getFields()).flatMap((field) =>
      stringSlots(field.type, [...at, field.name], depth + 1),
    );
  }
  return [];
}

/** A valid-looking value of an input type (required fields only). */
function filler(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return filler(type.ofType);
  if (isListType(type)) return [filler(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]?.value;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type)) value[field.name] = filler(field.type);
    }
    return value;
  }
  switch ((type as GraphQLNamedType).name) {
    case 'Int':
      return 1;
    case 'Float':
      return 0.5;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date().toISOString();
    default:
      return 'x';
  }
}

/** The value of an argument with `bad` at `at` (and what the path needs filled in on the way). */
function valueWith(type: GraphQLInputType, at: (string | number)[], bad: string): unknown {
  if (isNonNullType(type)) return valueWith(type.ofType, at, bad);
  const [step, ...rest] = at;
  if (step === undefined) return bad;
  if (isListType(type)) return [valueWith(type.ofType, rest, bad)];
  if (isInputObjectType(type)) {
    const value = filler(type) as Record<string, unknown>;
    const field = type.getFields()[step as string];
    if (!field) throw new Error(`no field ${String(step)} in ${type.name}`);
    value[field.name] = valueWith(field.type, rest, bad);
    return value;
  }
  throw new Error(`cannot go into ${String(type)}`);
}

/** Every string slot of every argument of every field of the schema. */
function allSlots(): Slot[] {
  const slots: Slot[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    if (isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      for (const argument of field.args) {
        for (const at of stringSlots(argument.type, [])) {
          slots.push({ owner: `${type.name}.${field.name}`, field, argument, at });
        }
      }
    }
  }
  return slots;
}

function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  if (!isCompositeType(named)) return '';
  if (isUnionType(named) && named.getTypes().some((member) => member.name === 'ValidationError')) {
    return '{ __typename ... on ValidationError { code issues { path } } }';
  }
  return '{ __typename }';
}

/** Types that are no Node, and the Node field that reaches them. */
const THROUGH: Record<string, { node: string; wrap: (body: string) => string }> = {
  EntityGraph: { node: 'Entity', wrap: (body) => `graph { ${body} }` },
  // The seeded triple's subject (see beforeAll).
  GraphNode: { node: 'Entity', wrap: (body) => `graph { node(name: "Ana") { ${body} } }` },
};

/** A document that puts `bad` in one slot, with valid values in the field's other required arguments. */
function documentFor(
  slot: Slot,
  bad: string,
): { kind: string; query: string; variables: Record<string, unknown> } {
  const [owner] = slot.owner.split('.') as [string];
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  const args: string[] = [];
  for (const argument of slot.field.args) {
    const isTarget = argument === slot.argument;
    if (!isTarget && !isNonNullType(argument.type)) continue;
    const name = `a_${argument.name}`;
    definitions.push(`$${name}: ${String(argument.type)}`);
    args.push(`${argument.name}: $${name}`);
    variables[name] = isTarget ? valueWith(argument.type, slot.at, bad) : filler(argument.type);
  }
  let body = `${slot.field.name}${args.length ? `(${args.join(', ')})` : ''} ${selectionOf(slot.field)}`;
  let kind = owner;
  if (!['Query', 'Mutation', 'Subscription'].includes(owner)) {
    // Reached through node(id:) on a seeded object of the type, or of the Node type it hangs from.
    const via = THROUGH[owner];
    const node = via?.node ?? owner;
    const id = ids[node];
    if (!id) throw new Error(`the test has no ${node} to reach ${slot.owner} through: seed one`);
    definitions.push('$node: ID!');
    variables.node = id;
    body = `node(id: $node) { ... on ${node} { ${via ? via.wrap(body) : body} } }`;
    kind = 'Query';
  }
  const operation = kind.toLowerCase();
  return {
    kind,
    query: `${operation}${definitions.length ? `(${definitions.join(', ')})` : ''} { ${body} }`,
    variables,
  };
}

describe('NUL and unpaired surrogates', () => {
  const slots = allSlots();
  const label = (slot: Slot) => [slot.owner, slot.argument.name, ...slot.at].join('.');

  it('finds every string argument of the schema (sanity check of the enumeration)', () => {
    const labels = slots.map(label);
    for (const expected of [
      'Query.entity.externalId',
      'Query.entities.externalIdPrefix',
      'Query.session.id',
      'Query.node.id',
      'Query.nodes.ids.0',
      'Query.recall.query',
      'Entity.facts.contains',
      'Entity.facts.after',
      'Entity.triples.subject',
      'Mutation.recordConversation.input.session',
      'Mutation.recordConversation.input.messages.0.type',
      'Mutation.rememberFact.input.embeddingModel',
      'Mutation.addTriples.input.triples.0.subjectType',
      'Mutation.addTriples.input.triples.0.objectType',
      'Mutation.forgetFact.id',
      'Subscription.messageAdded.session',
      'Subscription.factChanged.entity',
    ]) {
      expect(labels).toContain(expected);
    }
    expect(slots.length).toBeGreaterThan(50);
  });

  for (const [name, bad] of [
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['a reversed pair', '\uDE00\uD83D'],
  ] as const) {
    it(`are refused with a code in every string argument, before any write: ${name}`, async () => {
      await expectNoWrites(async () => {
        for (const slot of slots) {
          const { kind, query, variables } = documentFor(slot, bad);
          const result =
            kind === 'Subscription' ? await subscribeOnce(query, variables) : await post(query, variables);
          const where = `${label(slot)}: ${JSON.stringify(result)}`;
          if (kind === 'Mutation') {
            expect(result.errors, where).toBeUndefined();
            const answer = result.data?.[slot.field.name] as {
              __typename: string;
              issues: { path: string }[];
            };
            expect(answer.__typename, where).toBe('ValidationError');
            expect(answer.issues[0]?.path, where).toBe(
              slot.argument.name === 'input' ? slot.at.join('.') : slot.argument.name,
            );
          } else {
            expect(result.errors?.[0]?.extensions?.code, where).toBe('BAD_USER_INPUT');
            expect(result.errors?.[0]?.message, where).toContain(
              'must not contain NUL characters or unpaired surrogates',
            );
          }
        }
      });
    });
  }

  it('well-formed text (a surrogate pair, other control characters) is fine', async () => {
    const result = await post(
      `mutation($input: RememberFactInput!) { rememberFact(input: $input) {
        __typename ... on RememberFactSuccess { fact { content } } } }`,
      { input: { entity: 'emoji', content: 'likes 😀 and tabs\tand \u0001' } },
    );
    expect(result.data?.rememberFact).toEqual({
      __typename: 'RememberFactSuccess',
      fact: { content: 'likes 😀 and tabs\tand \u0001' },
    });
  });
});

describe('logs', () => {
  it('client errors are logged at info, cut short, without a stack', async () => {
    logLines.length = 0;
    const huge = b64(`GPC:S:${'a'.repeat(700_000)}`);
    expectCode(
      await post('query($c: String) { entity(externalId: "e1") { facts(after: $c) { totalCount } } }', {
        c: huge,
      }),
      'BAD_USER_INPUT',
    );
    expectCode(
      await post('query($c: String) { entity(externalId: "e1") { facts(contains: $c) { totalCount } } }', {
        c: 'z'.repeat(100_000),
      }),
      'BAD_USER_INPUT',
    );
    await post('query($id: ID!) { node(id: $id) { id } }', { id: b64('Nope:1') });
    const lines = logLines.filter((line) => line.component === 'graphql');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line.level).toBe(30);
      expect(JSON.stringify(line).length).toBeLessThan(1000);
      expect(JSON.stringify(line)).not.toContain('    at ');
    }
    expect(logLines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});

describe('the vector change log on SQLite', () => {
  it('is pruned through the writer, not the read-only reader (no SQLITE_READONLY)', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const pruning = await startTestServer({
      env: { VECTOR_SAVE_INTERVAL_MS: '100', VECTOR_CHANGE_RETENTION_MS: '1' },
      logger: pino({ level: 'info' }, stream),
    });
    try {
      const result = await fetch(pruning.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation { rememberFact(input: { entity: "p", content: "pruned" }) { __typename } }',
        }),
      });
      expect(((await result.json()) as Response).data).toEqual({
        rememberFact: { __typename: 'RememberFactSuccess' },
      });
      const deadline = Date.now() + 5000;
      while ((await pruning.db.vectorChange.count()) > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await pruning.db.vectorChange.count()).toBe(0);
      expect(lines.filter((line) => line.msg === 'vector index upkeep failed; retrying later')).toEqual([]);
    } finally {
      await pruning.close();
    }
  });
});
