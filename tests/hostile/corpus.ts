import { seededRandom } from '../../bench/lib/random.ts';
import type { Expect, HostileCase, HttpRequest, Part, Seed, WsRequest } from './types.ts';

/**
 * The hostile-input corpus: hand-picked shapes plus seeded, deterministic variants. Every case is
 * data ({ name, category, request, expect }) so failures can be grouped and counted.
 */

const b64 = (text: string) => Buffer.from(text).toString('base64');
const body = (value: unknown): Part[] => [JSON.stringify(value)];
const post = (query: string, variables?: unknown, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  kind: 'http',
  body: body(variables === undefined ? { query } : { query, variables }),
  ...extra,
});
const get = (params: Record<string, string>, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  kind: 'http',
  method: 'GET',
  path: `/graphql?${new URLSearchParams(params).toString()}`,
  ...extra,
});

/** The codes a refused oversized or over-limit document may carry. */
const LIMITS = ['GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_LARGE', 'QUERY_COST_EXCEEDED'];
const VALIDATION = ['GRAPHQL_VALIDATION_FAILED'];
const PARSE = ['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_LARGE'];
const CSRF: Expect = { status: [403, 415], codes: ['UNSUPPORTED_MEDIA_TYPE', 'CSRF_REFUSED'] };
const TOO_LARGE: Expect = { status: [413], codes: ['REQUEST_TOO_LARGE'], maxMs: 3000 };

const REMEMBER = `mutation($input: RememberFactInput!) { rememberFact(input: $input) { __typename
  ... on RememberFactSuccess { fact { id content mentionCount } } ... on UserError { code message } } }`;
const RECORD = `mutation($input: RecordConversationInput!) { recordConversation(input: $input) { __typename
  ... on RecordConversationSuccess { conversation { id } } ... on UserError { code message } } }`;
const ADD_TRIPLES = `mutation($input: AddTriplesInput!) { addTriples(input: $input) { __typename
  ... on AddTriplesSuccess { triples { id subject { name } } } ... on UserError { code message } } }`;

/** A mutation that would create `marker` if it ran: proof that a refused request wrote nothing. */
const markerMutation = (marker: string) =>
  `mutation { rememberFact(input: { entity: "${marker}", content: "csrf" }) { __typename } }`;

/** Every string (or ID) argument the schema takes, as a document with one `$v`. */
interface StringArgument {
  name: string;
  query: string;
  variables: (value: string) => Record<string, unknown>;
  /** Where a refusal shows in data (null, empty or a typed user error). */
  path: string;
}

function stringArguments(seed: Seed): StringArgument[] {
  const msg = (patch: Record<string, unknown>) => ({
    input: { entity: 'seed', process: 'bot', messages: [{ role: 'USER', content: 'hi', ...patch }] },
  });
  const rec = (patch: Record<string, unknown>) => ({
    input: { entity: 'seed', process: 'bot', messages: [{ role: 'USER', content: 'hi' }], ...patch },
  });
  const triple = (patch: Record<string, unknown>) => ({
    input: { entity: 'seed', triples: [{ subject: 's', predicate: 'p', object: 'o', ...patch }] },
  });
  const fact = (patch: Record<string, unknown>) => ({ input: { entity: 'seed', content: 'c', ...patch } });
  return [
    {
      name: 'entity(externalId)',
      query: 'query($v: String!) { entity(externalId: $v) { id } }',
      variables: (v) => ({ v }),
      path: 'entity',
    },
    {
      name: 'process(externalId)',
      query: 'query($v: String!) { process(externalId: $v) { id } }',
      variables: (v) => ({ v }),
      path: 'process',
    },
    {
      name: 'entities(externalIdPrefix)',
      query: 'query($v: String) { entities(first: 5, externalIdPrefix: $v) { totalCount } }',
      variables: (v) => ({ v }),
      path: 'entities.totalCount',
    },
    {
      name: 'facts(contains)',
      query:
        'query($v: String) { entity(externalId: "seed") { facts(first: 5, contains: $v) { totalCount } } }',
      variables: (v) => ({ v }),
      path: 'entity.facts.totalCount',
    },
    ...(['subject', 'predicate', 'object'] as const).map((arg) => ({
      name: `triples(${arg})`,
      query: `query($v: String) { entity(externalId: "seed") { triples(first: 5, ${arg}: $v) { totalCount } } }`,
      variables: (v: string) => ({ v }),
      path: 'entity.triples.totalCount',
    })),
    {
      name: 'recall(entity)',
      query: 'query($v: String!) { recall(entity: $v, query: "tea", first: 3) { score } }',
      variables: (v) => ({ v }),
      path: 'recall',
    },
    {
      name: 'recall(query)',
      query: 'query($v: String!) { recall(entity: "seed", query: $v, first: 3) { score } }',
      variables: (v) => ({ v }),
      path: 'recall',
    },
    {
      name: 'semanticFacts(entity)',
      query: 'query($v: String!) { semanticFacts(entity: $v, query: "tea", first: 3) { similarity } }',
      variables: (v) => ({ v }),
      path: 'semanticFacts',
    },
    {
      name: 'semanticFacts(query)',
      query: 'query($v: String) { semanticFacts(entity: "seed", query: $v, first: 3) { similarity } }',
      variables: (v) => ({ v }),
      path: 'semanticFacts',
    },
    {
      name: 'session(id)',
      query: 'query($v: ID!) { session(id: $v) { id } }',
      variables: (v) => ({ v }),
      path: 'session',
    },
    {
      name: 'node(id)',
      query: 'query($v: ID!) { node(id: $v) { id } }',
      variables: (v) => ({ v }),
      path: 'node',
    },
    {
      name: 'nodes(ids)',
      query: 'query($v: ID!) { nodes(ids: [$v]) { id } }',
      variables: (v) => ({ v }),
      path: 'nodes.0',
    },
    {
      name: '__type(name)',
      query: 'query($v: String!) { __type(name: $v) { name } }',
      variables: (v) => ({ v }),
      path: '__type',
    },
    ...(
      [
        ['rememberFact.entity', REMEMBER, (v: string) => fact({ entity: v }), 'rememberFact'],
        ['rememberFact.content', REMEMBER, (v: string) => fact({ content: v }), 'rememberFact'],
        [
          'rememberFact.embeddingModel',
          REMEMBER,
          (v: string) => fact({ embeddingModel: v, embedding: Array.from({ length: 384 }, () => 0.1) }),
          'rememberFact',
        ],
        ['rememberFact.source', REMEMBER, (v: string) => fact({ source: v }), 'rememberFact'],
        ['recordConversation.entity', RECORD, (v: string) => rec({ entity: v }), 'recordConversation'],
        ['recordConversation.process', RECORD, (v: string) => rec({ process: v }), 'recordConversation'],
        ['recordConversation.session', RECORD, (v: string) => rec({ session: v }), 'recordConversation'],
        ['recordConversation.summary', RECORD, (v: string) => rec({ summary: v }), 'recordConversation'],
        [
          'recordConversation.conversation',
          RECORD,
          (v: string) => rec({ conversation: v }),
          'recordConversation',
        ],
        [
          'recordConversation.messages.content',
          RECORD,
          (v: string) => msg({ content: v }),
          'recordConversation',
        ],
        ['recordConversation.messages.type', RECORD, (v: string) => msg({ type: v }), 'recordConversation'],
        [
          'addTriples.entity',
          ADD_TRIPLES,
          (v: string) => ({ input: { ...triple({}).input, entity: v } }),
          'addTriples',
        ],
        [
          'addTriples.source',
          ADD_TRIPLES,
          (v: string) => ({ input: { ...triple({}).input, source: v } }),
          'addTriples',
        ],
        ['addTriples.subject', ADD_TRIPLES, (v: string) => triple({ subject: v }), 'addTriples'],
        ['addTriples.predicate', ADD_TRIPLES, (v: string) => triple({ predicate: v }), 'addTriples'],
        ['addTriples.object', ADD_TRIPLES, (v: string) => triple({ object: v }), 'addTriples'],
        ['addTriples.subjectType', ADD_TRIPLES, (v: string) => triple({ subjectType: v }), 'addTriples'],
        ['addTriples.objectType', ADD_TRIPLES, (v: string) => triple({ objectType: v }), 'addTriples'],
      ] as const
    ).map(([name, query, variables, path]) => ({ name, query, variables, path })),
    {
      name: 'forgetFact(id)',
      query: 'mutation($v: ID!) { forgetFact(id: $v) { __typename } }',
      variables: (v) => ({ v }),
      path: 'forgetFact',
    },
    {
      name: 'forgetTriple(id)',
      query: 'mutation($v: ID!) { forgetTriple(id: $v) { __typename } }',
      variables: (v) => ({ v }),
      path: 'forgetTriple',
    },
    {
      name: 'rerunAugmentation(job)',
      query: 'mutation($v: ID!) { rerunAugmentation(job: $v) { __typename } }',
      variables: (v) => ({ v }),
      path: 'rerunAugmentation',
    },
    {
      name: 'messages(after) of a real conversation',
      query: `query($v: String) { node(id: "${seed.conversationId}") { ... on Conversation { messages(first: 2, after: $v) { totalCount } } } }`,
      variables: (v) => ({ v }),
      path: 'node.messages.totalCount',
    },
  ];
}

function malformedJson(rand: () => number): HostileCase[] {
  const category = 'malformed-json';
  const fixed: [string, Part[]][] = [
    ['empty body', []],
    ['open brace', ['{']],
    ['truncated', ['{"query":']],
    ['null', ['null']],
    ['empty array', ['[]']],
    ['number', ['123']],
    ['string', ['"{ __typename }"']],
    ['true', ['true']],
    ['query is a number', ['{"query": 1}']],
    ['query is null', ['{"query": null}']],
    ['query is an object', ['{"query": {"a": 1}}']],
    ['query is an array', ['{"query": ["{ __typename }"]}']],
    ['query is empty', ['{"query": ""}']],
    ['duplicate keys', ['{"query":"{ __typename }","query":"mutation { x }"}']],
    ['BOM prefix', [{ hex: 'efbbbf' }, '{"query":"{ __typename }"}']],
    ['trailing garbage', ['{"query":"{ __typename }"} garbage']],
    ['NaN literal', ['{"query":"{ __typename }","variables":{"a":NaN}}']],
    ['single quotes', ["{'query':'{ __typename }'}"]],
    ['comments in JSON', ['{/* c */"query":"{ __typename }"}']],
    ['operationName is a number', ['{"query":"{ __typename }","operationName":123}']],
    ['operationName is an object', ['{"query":"{ __typename }","operationName":{"a":1}}']],
    ['operationName names nothing', ['{"query":"{ __typename }","operationName":"Nope"}']],
    ['extensions is a string', ['{"query":"{ __typename }","extensions":"x"}']],
    [
      'persisted query hash only',
      ['{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"', { repeat: 'a', times: 64 }, '"}}}'],
    ],
    ['__proto__ key', ['{"__proto__":{"query":"{ __typename }"},"query":"{ __typename }"}']],
    ['constructor key', ['{"constructor":{"prototype":{"polluted":true}},"query":"{ __typename }"}']],
    ['variables is a string', ['{"query":"{ __typename }","variables":"{}"}']],
    ['variables is an array', ['{"query":"{ __typename }","variables":[1,2]}']],
    ['variables is a number', ['{"query":"{ __typename }","variables":7}']],
    [
      'deeply nested arrays (100k)',
      [
        { repeat: '[', times: 100_000 },
        { repeat: ']', times: 100_000 },
      ],
    ],
    [
      'deeply nested objects (50k)',
      [{ repeat: '{"a":', times: 50_000 }, '1', { repeat: '}', times: 50_000 }],
    ],
    ['unterminated string', ['{"query":"{ __typename }']],
    ['invalid escape', ['{"query":"\\x41"}']],
    ['lone backslash at end', ['{"query":"\\']],
    ['huge number', ['{"query":"{ __typename }","variables":{"n":1e999999}}']],
    ['only whitespace', [{ repeat: ' \n\t', times: 1000 }]],
  ];
  const cases: HostileCase[] = fixed.map(([name, parts]) => ({
    name,
    category,
    request: { kind: 'http', body: parts },
  }));
  // Seeded byte-level mutations of a valid mutation: deletions, insertions and flips.
  const valid = JSON.stringify({ query: markerMutation('fuzz-json') });
  const alphabet = '{}[]":,\\ \u0000abc01\n';
  for (let i = 0; i < 40; i++) {
    const chars = valid.split('');
    const edits = 1 + Math.floor(rand() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * chars.length);
      const op = rand();
      const ch = alphabet[Math.floor(rand() * alphabet.length)] ?? 'x';
      if (op < 0.33) chars.splice(at, 1);
      else if (op < 0.66) chars.splice(at, 0, ch);
      else chars[at] = ch;
    }
    cases.push({
      name: `seeded mutation #${i}`,
      category,
      request: { kind: 'http', body: [chars.join('')] },
    });
  }
  return cases;
}

function contentTypes(): HostileCase[] {
  const category = 'content-type';
  const cases: HostileCase[] = [];
  const jsonBody = (marker: string) => JSON.stringify({ query: markerMutation(marker) });
  const simple: [string, (marker: string) => string][] = [
    ['text/plain', jsonBody],
    ['text/plain;charset=UTF-8', jsonBody],
    ['TEXT/PLAIN', jsonBody],
    ['text/plain; charset=utf-8; boundary=x', jsonBody],
    ['application/x-www-form-urlencoded', (m) => `query=${encodeURIComponent(markerMutation(m))}`],
    [
      'application/x-www-form-urlencoded; charset=UTF-8',
      (m) => `query=${encodeURIComponent(markerMutation(m))}`,
    ],
    [
      'multipart/form-data; boundary=XyZ',
      (m) =>
        `--XyZ\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${jsonBody(m)}\r\n--XyZ\r\nContent-Disposition: form-data; name="map"\r\n\r\n{}\r\n--XyZ--\r\n`,
    ],
    [
      'multipart/form-data; boundary=XyZ (query field)',
      (m) =>
        `--XyZ\r\nContent-Disposition: form-data; name="query"\r\n\r\n${markerMutation(m)}\r\n--XyZ--\r\n`,
    ],
    ['multipart/form-data', jsonBody],
  ];
  simple.forEach(([type, make], i) => {
    const marker = `ct-simple-${i}`;
    cases.push({
      name: `POST ${type} is never executed`,
      category: 'csrf',
      request: {
        kind: 'http',
        headers: { 'content-type': type.replace(' (query field)', '') },
        body: [make(marker)],
      },
      expect: { ...CSRF, noWrite: marker },
    });
  });
  const others = [
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=utf-7',
    'application/graphql',
    'application/graphql+json',
    'application/graphql-response+json',
    'application/xml',
    'image/png',
    '*/*',
    'application/json, text/plain',
    'APPLICATION/JSON',
    'application/jsonx',
    'json',
    ';;;',
    `application/json; ${'x=y; '.repeat(1000)}`,
  ];
  others.forEach((type, i) => {
    cases.push({
      name: `POST ${type.slice(0, 60)}`,
      category,
      request: {
        kind: 'http',
        headers: { 'content-type': type },
        body: [JSON.stringify({ query: '{ __typename }' })],
      },
    });
    void i;
  });
  cases.push({
    name: 'POST without content-type',
    category,
    request: {
      kind: 'http',
      headers: { 'content-type': '' },
      body: [JSON.stringify({ query: '{ __typename }' })],
    },
  });
  cases.push({
    name: 'POST application/graphql with a mutation body',
    category,
    request: {
      kind: 'http',
      headers: { 'content-type': 'application/graphql' },
      body: [markerMutation('ct-graphql')],
    },
  });
  return cases;
}

function methods(): HostileCase[] {
  const category = 'methods';
  const cases: HostileCase[] = [];
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const marker = `method-${method.toLowerCase()}`;
    cases.push({
      name: `${method} with a mutation is not executed`,
      category,
      request: { kind: 'http', method, body: body({ query: markerMutation(marker) }) },
      expect: { noWrite: marker },
    });
  }
  cases.push(
    { name: 'OPTIONS without origin', category, request: { kind: 'http', method: 'OPTIONS' } },
    { name: 'HEAD /graphql', category, request: { kind: 'http', method: 'HEAD' } },
    { name: 'HEAD /health', category, request: { kind: 'http', method: 'HEAD', path: '/health' } },
    { name: 'TRACE', category, request: { kind: 'http', method: 'TRACE' } },
    { name: 'PROPFIND', category, request: { kind: 'http', method: 'PROPFIND' } },
    {
      name: 'POST with x-http-method-override: GET',
      category,
      request: {
        kind: 'http',
        headers: { 'x-http-method-override': 'GET', 'content-type': 'text/plain' },
        body: body({ query: markerMutation('method-override') }),
      },
      expect: { noWrite: 'method-override' },
    },
    { name: 'GET without a query', category, request: { kind: 'http', method: 'GET' } },
    {
      name: 'GET accepting HTML (GraphiQL)',
      category,
      request: { kind: 'http', method: 'GET', headers: { accept: 'text/html' } },
    },
    { name: 'GET /', category, request: { kind: 'http', method: 'GET', path: '/' } },
    { name: 'GET /ready', category, request: { kind: 'http', method: 'GET', path: '/ready' } },
    { name: 'POST /health', category, request: { kind: 'http', path: '/health', body: ['{}'] } },
    {
      name: 'GET /graphql/../health',
      category,
      request: { kind: 'http', method: 'GET', path: '/graphql/../health' },
    },
    { name: 'GET //graphql', category, request: { kind: 'http', method: 'GET', path: '//graphql' } },
    { name: 'GET /graphql%00', category, request: { kind: 'http', method: 'GET', path: '/graphql%00' } },
  );
  return cases;
}

function getMutations(): HostileCase[] {
  const category = 'get-mutation';
  const m = (
    name: string,
    params: Record<string, string>,
    marker: string,
    headers?: Record<string, string>,
  ) => ({
    name,
    category,
    request: get(params, headers ? { headers } : {}),
    expect: { status: [400, 403, 405], noWrite: marker },
  });
  return [
    m('GET mutation', { query: markerMutation('get-1') }, 'get-1'),
    m('GET mutation, accept */*', { query: markerMutation('get-2') }, 'get-2', { accept: '*/*' }),
    m(
      'GET mutation picked by operationName',
      {
        query: `query Q { __typename } ${markerMutation('get-3').replace('mutation', 'mutation M')}`,
        operationName: 'M',
      },
      'get-3',
    ),
    m('GET mutation, SSE accept', { query: markerMutation('get-4') }, 'get-4', {
      accept: 'text/event-stream',
    }),
    m(
      'GET mutation with variables',
      { query: REMEMBER, variables: JSON.stringify({ input: { entity: 'get-5', content: 'x' } }) },
      'get-5',
    ),
    {
      name: 'GET with non-JSON variables',
      category: 'variables',
      request: get({ query: '{ __typename }', variables: '{not json' }),
      expect: { status: [400], codes: ['BAD_REQUEST'] },
    },
    {
      name: 'GET with variables "undefined"',
      category: 'variables',
      request: get({ query: '{ __typename }', variables: 'undefined' }),
      expect: { status: [400], codes: ['BAD_REQUEST'] },
    },
    {
      name: 'GET with non-JSON extensions',
      category: 'variables',
      request: get({ query: '{ __typename }', extensions: '{{{' }),
      expect: { status: [400], codes: ['BAD_REQUEST'] },
    },
    {
      name: 'GET with malformed percent-encoding',
      category: 'invalid-utf8',
      request: { kind: 'http', method: 'GET', path: '/graphql?query=%E0%A4%A&variables=%' },
    },
    {
      name: 'GET with invalid UTF-8 percent-encoding',
      category: 'invalid-utf8',
      request: { kind: 'http', method: 'GET', path: '/graphql?query=%7B%20%C3%28%20%7D' },
    },
  ];
}

function hugeBodies(): HostileCase[] {
  const category = 'huge-body';
  const padded = (bytes: number): Part[] => {
    // JSON whitespace, so only the size can be wrong with it.
    const head = '{"query":"{ __typename }"';
    const tail = '}';
    return [head, { repeat: ' ', times: bytes - head.length - tail.length }, tail];
  };
  return [
    {
      name: 'just under 1 MB (1,000,000 bytes) is served',
      category,
      request: { kind: 'http', body: padded(1_000_000) },
      expect: { status: [200] },
    },
    {
      name: '1 MB + 1 byte (1,048,577)',
      category,
      request: { kind: 'http', body: padded(1_048_577) },
      expect: TOO_LARGE,
    },
    { name: '5 MB', category, request: { kind: 'http', body: padded(5_000_000) }, expect: TOO_LARGE },
    { name: '20 MB', category, request: { kind: 'http', body: padded(20_000_000) }, expect: TOO_LARGE },
    {
      name: '2 MB chunked (no content-length)',
      category,
      request: { kind: 'http', body: padded(2_000_000), chunked: true },
      expect: TOO_LARGE,
    },
    {
      name: '5 MB of [ (nested JSON)',
      category,
      request: { kind: 'http', body: [{ repeat: '[', times: 5_000_000 }] },
      expect: TOO_LARGE,
    },
    {
      name: '3 MB text/plain',
      category,
      request: { kind: 'http', headers: { 'content-type': 'text/plain' }, body: padded(3_000_000) },
      expect: { status: [403, 413, 415] },
    },
    {
      name: 'declares 100 GB, sends 256 KB: answered without waiting for the rest',
      category,
      request: {
        kind: 'raw',
        writes: [
          'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 107374182400\r\n\r\n',
          { repeat: 'x', times: 262_144 },
        ],
        holdMs: 2000,
      },
      expect: { status: [413] },
    },
    {
      name: 'declares 2 MB, sends nothing: answered without waiting',
      category,
      request: {
        kind: 'raw',
        writes: [
          'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n',
        ],
        holdMs: 2000,
      },
      expect: { status: [413] },
    },
    {
      name: 'Expect: 100-continue with 2 MB declared',
      category,
      request: {
        kind: 'raw',
        writes: [
          'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n',
        ],
        holdMs: 2000,
      },
      expect: { status: [413, 417] },
    },
    {
      name: 'query string of 1 MB',
      category,
      request: {
        kind: 'http',
        method: 'GET',
        path: `/graphql?query=${'%20'.repeat(300_000)}%7B__typename%7D`,
      },
      expect: { status: [400, 413, 414, 431] },
    },
    {
      name: 'a 100 KB header',
      category,
      request: {
        kind: 'http',
        headers: { 'x-big': 'a'.repeat(100_000) },
        body: body({ query: '{ __typename }' }),
      },
      expect: { status: [400, 413, 431] },
    },
  ];
}

function rawProtocol(rand: () => number): HostileCase[] {
  const category = 'raw-protocol';
  const host = 'Host: 127.0.0.1\r\n';
  const okBody = '{"query":"{ __typename }"}';
  const raw = (name: string, writes: (Part | number)[], expect?: Expect, holdMs?: number): HostileCase => ({
    name,
    category,
    request: { kind: 'raw', writes, ...(holdMs ? { holdMs } : {}) },
    expect: { silenceOk: true, ...expect },
  });
  const cases: HostileCase[] = [
    raw('garbage request line', ['HELLO THERE\r\n\r\n'], { status: [400] }),
    raw('HTTP/9.9', [`GET /graphql HTTP/9.9\r\n${host}\r\n`]),
    raw('HTTP/1.1 without Host', ['GET /graphql HTTP/1.1\r\n\r\n'], { status: [400] }),
    raw('HTTP/0.9 style', ['GET /graphql\r\n\r\n']),
    raw('HTTP/1.0 POST', [
      `POST /graphql HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${okBody.length}\r\n\r\n${okBody}`,
    ]),
    raw('header without colon', [`GET /health HTTP/1.1\r\n${host}NoColonHere\r\n\r\n`], { status: [400] }),
    raw('header with NUL', [`GET /health HTTP/1.1\r\n${host}X-A: a\u0000b\r\n\r\n`], { status: [400] }),
    raw('obs-fold continuation', [`GET /health HTTP/1.1\r\n${host}X-A: a\r\n  folded\r\n\r\n`]),
    raw('3000 headers', [`GET /health HTTP/1.1\r\n${host}`, { repeat: 'X-H: v\r\n', times: 3000 }, '\r\n']),
    raw(
      '64 KB header value',
      [`GET /health HTTP/1.1\r\n${host}X-Big: `, { repeat: 'a', times: 65_536 }, '\r\n\r\n'],
      {
        status: [431, 400],
      },
    ),
    raw(
      'Content-Length and Transfer-Encoding (smuggling)',
      [
        `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /health HTTP/1.1\r\n${host}\r\n`,
      ],
      { status: [400] },
    ),
    raw(
      'two different Content-Lengths',
      [
        `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 26\r\n\r\n${okBody}`,
      ],
      { status: [400] },
    ),
    raw('negative Content-Length', [`POST /graphql HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n`], {
      status: [400],
    }),
    raw('non-numeric Content-Length', [`POST /graphql HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n`], {
      status: [400],
    }),
    raw(
      'Content-Length past 2^64',
      [`POST /graphql HTTP/1.1\r\n${host}Content-Length: 99999999999999999999999\r\n\r\n`],
      {
        status: [400, 413],
      },
    ),
    raw('chunk size not hex', [
      `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
    ]),
    raw('chunk size 2^68', [
      `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nabc\r\n`,
    ]),
    raw('chunk extension 8 KB', [
      `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1a;`,
      { repeat: 'e', times: 8192 },
      `\r\n${okBody}\r\n0\r\n\r\n`,
    ]),
    raw('chunked with trailers', [
      `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n${okBody}\r\n0\r\nX-Trailer: t\r\n\r\n`,
    ]),
    raw(
      'chunked never terminated (held 1 s)',
      [
        `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"que\r\n`,
      ],
      undefined,
      1000,
    ),
    raw('10,000 one-byte chunks', [
      `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      { repeat: '1\r\n \r\n', times: 10_000 },
      `1a\r\n${okBody}\r\n0\r\n\r\n`,
    ]),
    raw('Transfer-Encoding: chunked, identity', [
      `POST /graphql HTTP/1.1\r\n${host}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    ]),
    raw('Transfer-Encoding: xchunked', [
      `POST /graphql HTTP/1.1\r\n${host}Transfer-Encoding: xchunked\r\n\r\n`,
    ]),
    raw('100 pipelined requests', [{ repeat: `GET /health HTTP/1.1\r\n${host}\r\n`, times: 100 }]),
    raw('bare LF line endings', [`GET /health HTTP/1.1\n${host.replace('\r', '')}\n`]),
    raw('lowercase method', [`get /health HTTP/1.1\r\n${host}\r\n`]),
    raw('4 KB method name', [{ repeat: 'A', times: 4096 }, ` /graphql HTTP/1.1\r\n${host}\r\n`]),
    raw('absolute-form URI', [
      `GET http://evil.example/graphql?query=%7B__typename%7D HTTP/1.1\r\n${host}Accept: application/json\r\n\r\n`,
    ]),
    raw('CONNECT', [`CONNECT 127.0.0.1:22 HTTP/1.1\r\n${host}\r\n`]),
    raw('Upgrade: websocket without a key', [
      `GET /graphql HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    ]),
    raw('Upgrade: websocket on /health', [
      `GET /health HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    ]),
    raw('Upgrade: h2c', [
      `GET /graphql HTTP/1.1\r\n${host}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n`,
    ]),
    raw('HTTP/2 preface', ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']),
    raw('TLS ClientHello', [{ hex: '16030100a5010000a10303' }, { repeat: '\u0000', times: 150 }]),
    raw(
      'slow headers, one byte per 100 ms (held 1.2 s)',
      [
        'G',
        100,
        'E',
        100,
        'T',
        100,
        ' ',
        100,
        '/',
        100,
        'h',
        100,
        'e',
        100,
        'a',
        100,
        'l',
        100,
        't',
        100,
        'h',
      ],
      undefined,
      1200,
    ),
    raw('headers never finished (held 1 s)', [`GET /health HTTP/1.1\r\n${host}X-A: b\r\n`], undefined, 1000),
    raw(
      'body never sent (held 1 s)',
      [`POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 26\r\n\r\n{"q`],
      undefined,
      1000,
    ),
    raw('path traversal', [`GET /../../../../etc/passwd HTTP/1.1\r\n${host}\r\n`]),
    raw('encoded traversal', [`GET /graphql/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n${host}\r\n`]),
    raw('64 KB URL', [`GET /graphql?x=`, { repeat: 'a', times: 65_536 }, ` HTTP/1.1\r\n${host}\r\n`], {
      status: [400, 414, 431],
    }),
    raw('connect and close at once', []),
  ];
  for (let i = 0; i < 12; i++) {
    const bytes = Array.from({ length: 16 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
    cases.push(raw(`seeded garbage bytes #${i}`, [{ hex: Buffer.from(bytes).toString('hex') }, '\r\n\r\n']));
  }
  for (let i = 0; i < 8; i++) {
    // A valid request line with random printable header noise.
    const noise = Array.from({ length: 40 + Math.floor(rand() * 400) }, () =>
      String.fromCharCode(32 + Math.floor(rand() * 95)),
    ).join('');
    cases.push(raw(`seeded header noise #${i}`, [`GET /health HTTP/1.1\r\n${host}${noise}\r\n\r\n`]));
  }
  return cases;
}

function depth(): HostileCase[] {
  const category = 'depth';
  const nested = (levels: number) => {
    let inner = 'externalId';
    for (let i = 0; i < levels; i++) inner = `sessions(first: 1) { edges { node { entity { ${inner} } } } }`;
    return `{ entity(externalId: "seed") { ${inner} } }`;
  };
  const braces = (levels: number) => `{ ${'a { '.repeat(levels)}b${' }'.repeat(levels)} }`;
  const cases: HostileCase[] = [
    { name: 'depth 25 (over 20)', category, request: post(nested(6)), expect: { codes: VALIDATION } },
    { name: 'depth 201', category, request: post(nested(50)), expect: { codes: LIMITS } },
    { name: 'depth 5,000 (1,250 rounds)', category, request: post(nested(1250)), expect: { codes: LIMITS } },
    {
      name: '5,000 levels of unknown fields',
      category,
      request: post(braces(5000)),
      expect: { codes: [...LIMITS, 'GRAPHQL_PARSE_FAILED'] },
    },
    {
      name: '50,000 levels of unknown fields',
      category,
      request: post(braces(50_000)),
      expect: { codes: [...LIMITS, 'GRAPHQL_PARSE_FAILED'] },
    },
    {
      name: '5,000 unbalanced braces',
      category,
      request: post('{'.repeat(5000)),
      expect: { codes: PARSE },
    },
    {
      name: 'list literal nested 5,000 deep',
      category,
      request: post(`{ entity(externalId: ${'['.repeat(5000)}"x"${']'.repeat(5000)}) { id } }`),
      expect: { codes: PARSE },
    },
    {
      name: 'object literal nested 5,000 deep',
      category,
      request: post(
        `mutation { rememberFact(input: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}) { __typename } }`,
      ),
      expect: { codes: PARSE },
    },
    {
      name: 'inline fragments nested 5,000 deep',
      category,
      request: post(`{ ${'... on Query { '.repeat(5000)}__typename${' }'.repeat(5000)} }`),
      expect: { codes: LIMITS },
    },
    {
      name: 'introspection depth attack',
      category: 'introspection',
      request: post(
        `{ __schema { types { ${'fields { type { ofType { fields { type { '.repeat(5)}name${' } } } } }'.repeat(5)} } } }`,
      ),
      expect: { codes: VALIDATION },
    },
  ];
  return cases;
}

function aliases(): HostileCase[] {
  const category = 'aliases';
  const typenames = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
  const entities = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `e${i}: entity(externalId: "seed") { id }`).join(' ')} }`;
  return [
    {
      name: '30 aliases (at the limit) are served',
      category,
      request: post(entities(30)),
      expect: { status: [200] },
    },
    { name: '31 entity aliases', category, request: post(entities(31)), expect: { codes: VALIDATION } },
    { name: '31 aliased __typename', category, request: post(typenames(31)), expect: { codes: VALIDATION } },
    { name: '1,000 aliased __typename', category, request: post(typenames(1000)), expect: { codes: LIMITS } },
    {
      name: '30,000 aliased __typename',
      category,
      request: post(typenames(30_000)),
      expect: { codes: LIMITS },
    },
    { name: '5,000 entity aliases', category, request: post(entities(5000)), expect: { codes: LIMITS } },
    {
      name: '31 aliases spread over fragments',
      category,
      request: post(
        `{ ...F ...G } fragment F on Query { ${Array.from({ length: 16 }, (_, i) => `f${i}: __typename`).join(' ')} } fragment G on Query { ${Array.from({ length: 16 }, (_, i) => `g${i}: __typename`).join(' ')} }`,
      ),
      expect: { codes: VALIDATION },
    },
    {
      name: '31 aliases inside a subscription',
      category,
      request: post(
        `subscription { ${Array.from({ length: 31 }, (_, i) => `s${i}: factChanged(entity: "seed") { kind }`).join(' ')} }`,
        undefined,
        { headers: { accept: 'text/event-stream' }, streamMs: 500 },
      ),
      expect: { codes: [...VALIDATION, 'GRAPHQL_VALIDATION_FAILED'] },
    },
    {
      name: 'the same field 10,000 times without aliases',
      category,
      request: post(`{ ${'__typename '.repeat(10_000)}}`),
      expect: { codes: LIMITS },
    },
    {
      name: 'document of 90,000 tokens (under 1 MB)',
      category: 'tokens',
      request: post(`{ ${'__typename '.repeat(90_000)}}`),
      expect: { codes: ['QUERY_TOO_LARGE'] },
    },
    {
      name: '50,000 variable definitions',
      category: 'tokens',
      request: post(
        `query(${Array.from({ length: 50_000 }, (_, i) => `$v${i}: Int`).join(' ')}) { __typename }`,
      ),
      expect: { codes: ['QUERY_TOO_LARGE'] },
    },
    {
      name: '20,000 arguments',
      category: 'tokens',
      request: post(`{ entity(${Array.from({ length: 20_000 }, (_, i) => `a${i}: 1`).join(' ')}) { id } }`),
      expect: { codes: ['QUERY_TOO_LARGE'] },
    },
    {
      name: '900 KB comment',
      category: 'tokens',
      request: post(`# ${'c'.repeat(900_000)}\n{ __typename }`),
    },
  ];
}

function fragments(): HostileCase[] {
  const category = 'fragments';
  const chain = (n: number) => {
    // F0 spreads F1 twice, F1 spreads F2 twice...: 2^n expansions if anything walks it naively.
    const defs = Array.from(
      { length: n },
      (_, i) => `fragment F${i} on Query { a${i}: __typename ...F${i + 1} ...F${i + 1} }`,
    );
    defs.push(`fragment F${n} on Query { __typename }`);
    return `{ ...F0 } ${defs.join(' ')}`;
  };
  const wide = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `...W${i}`).join(' ')} } ${Array.from(
      { length: n },
      (_, i) => `fragment W${i} on Query { __typename }`,
    ).join(' ')}`;
  return [
    {
      name: 'two-fragment cycle',
      category,
      request: post('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
      expect: { codes: VALIDATION },
    },
    {
      name: 'self-spread',
      category,
      request: post('{ ...A } fragment A on Query { __typename ...A }'),
      expect: { codes: VALIDATION },
    },
    {
      name: 'unused fragment',
      category,
      request: post('{ __typename } fragment U on Query { __typename }'),
      expect: { codes: VALIDATION },
    },
    { name: 'unknown fragment', category, request: post('{ ...Nope }'), expect: { codes: VALIDATION } },
    {
      name: 'fragment on an unknown type',
      category,
      request: post('{ ...A } fragment A on Nope { id }'),
      expect: { codes: VALIDATION },
    },
    {
      name: 'fragment on a wrong type',
      category,
      request: post('{ ...A } fragment A on Fact { id }'),
      expect: { codes: VALIDATION },
    },
    {
      name: 'same fragment spread 50,000 times',
      category,
      request: post(`{ ${'...F '.repeat(50_000)}} fragment F on Query { __typename }`),
      expect: { codes: LIMITS },
    },
    { name: 'doubling chain of 30 fragments', category, request: post(chain(30)), expect: { codes: LIMITS } },
    {
      name: 'doubling chain of 200 fragments',
      category,
      request: post(chain(200)),
      expect: { codes: LIMITS },
    },
    { name: '5,000 distinct fragments', category, request: post(wide(5000)), expect: { codes: LIMITS } },
    {
      name: 'fragments with conflicting fields (overlap check) x 2,000',
      category,
      request: post(
        `{ ${Array.from({ length: 2000 }, (_, i) => `... on Query { x: entity(externalId: "${i}") { id } }`).join(' ')} }`,
      ),
      expect: { codes: LIMITS },
    },
    {
      name: 'cycle through inline fragments',
      category,
      request: post(
        '{ ...A } fragment A on Query { ... on Query { ...B } } fragment B on Query { ... on Query { ...A } }',
      ),
      expect: { codes: VALIDATION },
    },
  ];
}

function directives(): HostileCase[] {
  const category = 'directives';
  return [
    {
      name: 'unknown directive',
      category,
      request: post('{ __typename @nope }'),
      expect: { codes: VALIDATION },
    },
    {
      name: '@skip x 1,000 on one field',
      category,
      request: post(`{ __typename ${'@skip(if: false) '.repeat(1000)}}`),
      expect: { codes: LIMITS },
    },
    {
      name: '@include x 1,000 on one field',
      category,
      request: post(`{ __typename ${'@include(if: true) '.repeat(1000)}}`),
      expect: { codes: LIMITS },
    },
    {
      name: '10,000 distinct unknown directives',
      category,
      request: post(`{ __typename ${Array.from({ length: 10_000 }, (_, i) => `@d${i}`).join(' ')} }`),
      expect: { codes: LIMITS },
    },
    {
      name: '@skip without if',
      category,
      request: post('{ __typename @skip }'),
      expect: { codes: VALIDATION },
    },
    {
      name: '@skip(if: "yes")',
      category,
      request: post('{ __typename @skip(if: "yes") }'),
      expect: { codes: VALIDATION },
    },
    {
      name: '@skip with an undefined variable',
      category,
      request: post('{ __typename @skip(if: $nope) }'),
      expect: { codes: VALIDATION },
    },
    {
      name: '@deprecated on a field of a query',
      category,
      request: post('{ __typename @deprecated }'),
      expect: { codes: VALIDATION },
    },
    {
      name: '@skip on the operation',
      category,
      request: post('query @skip(if: true) { __typename }'),
      expect: { codes: VALIDATION },
    },
    {
      name: '@defer',
      category,
      request: post('{ ... @defer { __typename } }'),
      expect: { codes: VALIDATION },
    },
    {
      name: '@stream',
      category,
      request: post('{ nodes(ids: []) @stream { id } }'),
      expect: { codes: VALIDATION },
    },
    {
      name: 'directive with 5,000 arguments',
      category,
      request: post(
        `{ __typename @skip(${Array.from({ length: 5000 }, (_, i) => `a${i}: true`).join(' ')}) }`,
      ),
      expect: { codes: LIMITS },
    },
    {
      name: '@include(if: false) hiding a heavy selection',
      category,
      request: post(
        '{ entity(externalId: "seed") @include(if: false) { facts(first: 100) { totalCount } } }',
      ),
      expect: { status: [200] },
    },
  ];
}

function variables(seed: Seed): HostileCase[] {
  const category = 'variables';
  const floats = (n: number) => Array.from({ length: n }, (_, i) => (i % 7) / 7);
  const ids = (n: number) => Array.from({ length: n }, (_, i) => b64(`Fact:${i + 1}`));
  // Written as text: JSON.stringify itself overflows the stack on values this deep.
  const nested = (
    query: string,
    before: string,
    open: string,
    leaf: string,
    close: string,
    after: string,
  ): HttpRequest => ({
    kind: 'http',
    body: [
      `{"query":${JSON.stringify(query)},"variables":${before}`,
      { repeat: open, times: 10_000 },
      leaf,
      { repeat: close, times: 10_000 },
      `${after}}`,
    ],
  });
  const wrong: [string, string, unknown][] = [
    ['String given a number', 'query($v: String!) { entity(externalId: $v) { id } }', { v: 42 }],
    ['String given an object', 'query($v: String!) { entity(externalId: $v) { id } }', { v: { a: 1 } }],
    ['String given a list', 'query($v: String!) { entity(externalId: $v) { id } }', { v: ['a'] }],
    ['Int given a string', 'query($v: Int) { entities(first: $v) { totalCount } }', { v: '5' }],
    ['Int given a float', 'query($v: Int) { entities(first: $v) { totalCount } }', { v: 1.5 }],
    ['Int given 2^31', 'query($v: Int) { entities(first: $v) { totalCount } }', { v: 2 ** 31 }],
    ['Int given 1e308', 'query($v: Int) { entities(first: $v) { totalCount } }', { v: 1e308 }],
    ['Int given true', 'query($v: Int) { entities(first: $v) { totalCount } }', { v: true }],
    ['ID given an object', 'query($v: ID!) { node(id: $v) { id } }', { v: { id: 1 } }],
    ['ID given a float', 'query($v: ID!) { node(id: $v) { id } }', { v: 1.5 }],
    [
      'Float list given strings',
      'query($v: [Float!]) { semanticFacts(entity: "seed", vector: $v) { similarity } }',
      { v: ['a', 'b'] },
    ],
    [
      'Float list with null',
      'query($v: [Float!]) { semanticFacts(entity: "seed", vector: $v) { similarity } }',
      { v: [1, null] },
    ],
    [
      'enum given a lowercase name',
      'query($v: FactCategory) { entity(externalId: "seed") { facts(first: 1, category: $v) { totalCount } } }',
      { v: 'fact' },
    ],
    [
      'enum given a number',
      'query($v: FactOrder) { entity(externalId: "seed") { facts(first: 1, orderBy: $v) { totalCount } } }',
      { v: 1 },
    ],
    [
      'DateTime given garbage',
      'query($v: DateTime) { entities(first: 1, createdAfter: $v) { totalCount } }',
      { v: 'not a date' },
    ],
    [
      'DateTime given year 275760',
      'query($v: DateTime) { entities(first: 1, createdAfter: $v) { totalCount } }',
      { v: '+275760-09-13T00:00:00.001Z' },
    ],
    [
      'DateTime given a number',
      'query($v: DateTime) { entity(externalId: "seed") { triples(first: 1, asOf: $v) { totalCount } } }',
      { v: 1e20 },
    ],
    [
      'DateTime given 0000-00-00',
      'query($v: DateTime) { entity(externalId: "seed") { triples(first: 1, asOf: $v) { totalCount } } }',
      { v: '0000-00-00T00:00:00Z' },
    ],
    [
      'Boolean given "true"',
      'query($v: Boolean) { entity(externalId: "seed") { triples(first: 1, includeHistory: $v) { totalCount } } }',
      { v: 'true' },
    ],
    ['input with an unknown field', REMEMBER, { input: { entity: 'x', content: 'y', evil: 1 } }],
    ['input missing a required field', REMEMBER, { input: { entity: 'x' } }],
    ['input is a string', REMEMBER, { input: '{"entity":"x","content":"y"}' }],
    ['input is null', REMEMBER, { input: null }],
    [
      'messages is an object',
      RECORD,
      { input: { entity: 'x', process: 'p', messages: { role: 'USER', content: 'a' } } },
    ],
    [
      'role is unknown',
      RECORD,
      { input: { entity: 'x', process: 'p', messages: [{ role: 'ROOT', content: 'a' }] } },
    ],
    [
      'recall weights NaN-like',
      'query($w: RecallWeightsInput) { recall(entity: "seed", query: "tea", weights: $w) { score } }',
      { w: { semantic: 1e308, lexical: -1e308 } },
    ],
    [
      'threshold huge',
      'query { semanticFacts(entity: "seed", query: "x", threshold: 1e308) { similarity } }',
      {},
    ],
  ];
  // Recall weights and thresholds out of range are clamped or refused: either is fine.
  // A single object where a list goes is coerced to a list of one (GraphQL input coercion).
  const lenient = new Set(['recall weights NaN-like', 'threshold huge', 'messages is an object']);
  const cases: HostileCase[] = wrong.map(([name, query, vars]) => ({
    name,
    category,
    request: post(query, vars),
    ...(lenient.has(name) ? {} : { expect: { codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'] } }),
  }));
  cases.push(
    {
      name: 'required variable missing',
      category,
      request: post('query($v: String!) { entity(externalId: $v) { id } }', {}),
      expect: { codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'] },
    },
    {
      name: 'variables null',
      category,
      request: post('query($v: String!) { entity(externalId: $v) { id } }', null),
      expect: { codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST'] },
    },
    {
      name: 'extra variables are ignored',
      category,
      request: post('{ __typename }', { a: 1, b: [1, 2], c: { d: 'e' } }),
      expect: { status: [200] },
    },
    {
      name: 'undeclared variable used',
      category,
      request: post('{ entity(externalId: $v) { id } }', { v: 'x' }),
      expect: { codes: VALIDATION },
    },
    {
      name: 'variable declared twice',
      category,
      request: post('query($v: String!, $v: String!) { entity(externalId: $v) { id } }', { v: 'x' }),
      expect: { codes: VALIDATION },
    },
    {
      name: 'variable of an unknown type',
      category,
      request: post('query($v: Nope) { __typename }', { v: 1 }),
      expect: { codes: VALIDATION },
    },
    {
      name: 'variable of an output type',
      category,
      request: post('query($v: Fact) { __typename }', { v: 1 }),
      expect: { codes: VALIDATION },
    },
    {
      name: '__proto__ in input',
      category,
      request: post(
        REMEMBER,
        JSON.parse('{"input":{"__proto__":{"entity":"proto"},"entity":"seed","content":"p"}}'),
      ),
    },
    {
      name: 'object nested 10,000 deep where a String goes',
      category,
      request: nested(
        'query($v: String!) { entity(externalId: $v) { id } }',
        '{"v":',
        '{"a":',
        '"x"',
        '}',
        '}',
      ),
      expect: { codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'VARIABLES_TOO_LARGE'] },
    },
    {
      name: 'list nested 10,000 deep where [Float!] goes',
      category,
      request: nested(
        'query($v: [Float!]) { semanticFacts(entity: "seed", vector: $v) { similarity } }',
        '{"v":',
        '[',
        '1',
        ']',
        '}',
      ),
      expect: { codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'VARIABLES_TOO_LARGE'] },
    },
    {
      name: 'input nested 10,000 deep',
      category,
      request: nested(
        REMEMBER,
        '{"input":{"entity":"x","content":"y","category":',
        '{"a":',
        '"x"',
        '}',
        '}}',
      ),
      expect: { codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'VARIABLES_TOO_LARGE'] },
    },
    {
      name: 'nodes() with 10,001 ids',
      category,
      request: post('query($v: [ID!]!) { nodes(ids: $v) { id } }', { v: ids(10_001) }),
      expect: { codes: ['VARIABLES_TOO_LARGE'] },
    },
    {
      name: 'nodes() with 10,000 ids',
      category,
      request: post('query($v: [ID!]!) { nodes(ids: $v) { id } }', { v: ids(10_000) }),
      expect: { codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'VARIABLES_TOO_LARGE'] },
    },
    {
      name: 'a vector of 10,001 floats',
      category,
      request: post('query($v: [Float!]) { semanticFacts(entity: "seed", vector: $v) { similarity } }', {
        v: floats(10_001),
      }),
      expect: { codes: ['VARIABLES_TOO_LARGE'] },
    },
    {
      name: 'embedding of 50,000 floats',
      category,
      request: post(REMEMBER, { input: { entity: 'var-emb', content: 'x', embedding: floats(50_000) } }),
      expect: { codes: ['VARIABLES_TOO_LARGE'], noWrite: 'var-emb' },
    },
    {
      name: '10,001 messages',
      category,
      request: post(RECORD, {
        input: {
          entity: 'var-msgs',
          process: 'p',
          messages: Array.from({ length: 10_001 }, () => ({ role: 'USER', content: 'a' })),
        },
      }),
      expect: { codes: ['VARIABLES_TOO_LARGE'], noWrite: 'var-msgs' },
    },
    {
      name: '10,001 triples',
      category,
      request: post(ADD_TRIPLES, {
        input: {
          entity: 'var-triples',
          triples: Array.from({ length: 10_001 }, (_, i) => ({
            subject: 's',
            predicate: 'p',
            object: `${i}`,
          })),
        },
      }),
      expect: { codes: ['VARIABLES_TOO_LARGE'], noWrite: 'var-triples' },
    },
    {
      name: 'a list of 100,000 unused numbers',
      category,
      request: post('{ __typename }', { junk: Array.from({ length: 100_000 }, () => 0) }),
      expect: { codes: ['VARIABLES_TOO_LARGE'] },
    },
    {
      name: '900 KB of variables',
      category,
      request: post(REMEMBER, { input: { entity: 'var-big', content: 'y'.repeat(900_000) } }),
      expect: { refused: { path: 'rememberFact' }, noWrite: 'var-big' },
    },
    {
      name: '50,000 variable keys',
      category,
      request: post(
        '{ __typename }',
        Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])),
      ),
      expect: { codes: ['VARIABLES_TOO_LARGE'] },
    },
    {
      name: 'session uuid of the seed as a global id',
      category: 'global-ids',
      request: post('query($v: ID!) { session(id: $v) { id } }', { v: seed.sessionUuid }),
      expect: { status: [200] },
    },
  );
  return cases;
}

function batching(): HostileCase[] {
  const category = 'batching';
  const op = { query: '{ __typename }' };
  const raw = (name: string, value: string, expect?: Expect): HostileCase => ({
    name,
    category,
    request: { kind: 'http', body: [value] },
    ...(expect ? { expect } : {}),
  });
  return [
    raw('empty batch', '[]'),
    raw('batch of one', JSON.stringify([op])),
    raw('batch of two', JSON.stringify([op, op])),
    raw('batch of 100', JSON.stringify(Array.from({ length: 100 }, () => op))),
    raw('batch of 20,000', JSON.stringify(Array.from({ length: 20_000 }, () => op))),
    raw('nested batch', JSON.stringify([[op]])),
    raw('batch of numbers', '[1,2,3]'),
    raw('batch of nulls', '[null,null]'),
    raw(
      'batch of mutations',
      JSON.stringify([{ query: markerMutation('batch-1') }, { query: markerMutation('batch-1') }]),
      {
        noWrite: 'batch-1',
        status: [400, 405, 415, 200],
      },
    ),
    raw(
      'batch of 31-alias documents',
      JSON.stringify(
        Array.from({ length: 10 }, () => ({
          query: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
        })),
      ),
    ),
  ];
}

function introspection(): HostileCase[] {
  const category = 'introspection';
  const full = `query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType } directives { name locations args { ...InputValue } } } }
    fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } }
      inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
    fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;
  return [
    { name: 'full introspection', category, request: post(full) },
    {
      name: 'introspection over GET',
      category,
      request: get({ query: '{ __schema { queryType { name } } }' }),
    },
    {
      name: '31 aliased __schema',
      category,
      request: post(
        `{ ${Array.from({ length: 31 }, (_, i) => `s${i}: __schema { queryType { name } }`).join(' ')} }`,
      ),
      expect: { codes: VALIDATION },
    },
    {
      name: '__type with a 500 KB name',
      category,
      request: post('query($n: String!) { __type(name: $n) { name } }', { n: 'T'.repeat(500_000) }),
      expect: { refused: { path: '__type' } },
    },
    {
      name: '__typename on mutation',
      category,
      request: post('mutation { __typename }'),
      expect: { status: [200] },
    },
    {
      name: '__schema in a subscription',
      category,
      request: post('subscription { __schema { queryType { name } } }'),
      expect: { codes: VALIDATION },
    },
    {
      name: 'fields(includeDeprecated) x 30 aliases',
      category,
      request: post(
        `{ __schema { types { ${Array.from({ length: 30 }, (_, i) => `f${i}: fields(includeDeprecated: true) { name }`).join(' ')} } } }`,
      ),
    },
  ];
}

function giantStrings(): HostileCase[] {
  const category = 'giant-strings';
  const big = 'g'.repeat(900_000);
  return [
    {
      name: '900 KB string literal as externalId',
      category,
      request: post(`{ entity(externalId: "${big}") { id } }`),
      expect: { refused: { path: 'entity' } },
    },
    {
      name: '900 KB block string',
      category,
      request: post(`{ entity(externalId: """${big}""") { id } }`),
      expect: { refused: { path: 'entity' } },
    },
    {
      name: '100,000 unicode escapes',
      category,
      request: post(`{ entity(externalId: "${'\\u0041'.repeat(100_000)}") { id } }`),
      expect: { refused: { path: 'entity' } },
    },
    {
      name: 'content one character over MAX_CONTENT_LENGTH',
      category,
      request: post(REMEMBER, { input: { entity: 'giant-1', content: 'c'.repeat(16_001) } }),
      expect: {
        data: { rememberFact: { __typename: 'ValidationError', code: 'INPUT_TOO_LARGE' } },
        noWrite: 'giant-1',
      },
    },
    {
      name: '500 KB contains filter',
      category,
      request: post(
        'query($v: String) { entity(externalId: "seed") { facts(first: 5, contains: $v) { totalCount } } }',
        { v: '%_'.repeat(250_000) },
      ),
      expect: { refused: { path: 'entity.facts.totalCount' } },
    },
    {
      name: '500 KB externalIdPrefix',
      category,
      request: post('query($v: String) { entities(first: 5, externalIdPrefix: $v) { totalCount } }', {
        v: 'p'.repeat(500_000),
      }),
      expect: { refused: { path: 'entities.totalCount' } },
    },
    {
      name: '500 KB recall query',
      category,
      request: post('query($v: String!) { recall(entity: "seed", query: $v, first: 3) { score } }', {
        v: 'tea '.repeat(125_000),
      }),
      expect: { refused: { path: 'recall' } },
    },
    {
      name: '500 KB semantic query',
      category,
      request: post('query($v: String) { semanticFacts(entity: "seed", query: $v) { similarity } }', {
        v: 'q'.repeat(500_000),
      }),
      expect: { refused: { path: 'semanticFacts' } },
    },
    {
      name: '500 KB triple subject filter',
      category,
      request: post(
        'query($v: String) { entity(externalId: "seed") { triples(first: 1, subject: $v) { totalCount } } }',
        { v: 's'.repeat(500_000) },
      ),
      expect: { refused: { path: 'entity.triples.totalCount' } },
    },
    {
      name: '500 KB summary',
      category,
      request: post(RECORD, {
        input: {
          entity: 'giant-2',
          process: 'p',
          summary: 's'.repeat(500_000),
          messages: [{ role: 'USER', content: 'a' }],
        },
      }),
      expect: { refused: { path: 'recordConversation' }, noWrite: 'giant-2' },
    },
    {
      name: '500 KB message type',
      category,
      request: post(RECORD, {
        input: {
          entity: 'giant-3',
          process: 'p',
          messages: [{ role: 'USER', content: 'a', type: 't'.repeat(500_000) }],
        },
      }),
      expect: { refused: { path: 'recordConversation' }, noWrite: 'giant-3' },
    },
    {
      name: '500 KB operationName',
      category,
      request: { kind: 'http', body: body({ query: '{ __typename }', operationName: 'O'.repeat(500_000) }) },
    },
    {
      name: '500 KB field name',
      category,
      request: post(`{ ${'f'.repeat(500_000)} }`),
      // Longer than MAX_QUERY_LENGTH: refused before the parser sees it.
      expect: { codes: ['QUERY_TOO_LARGE'] },
    },
  ];
}

/** NUL and lone surrogates in every string argument: refused the same way on every database. */
function badCharacters(seed: Seed): HostileCase[] {
  const values: [string, string][] = [
    ['NUL', '\u0000'],
    ['a NUL b', 'a\u0000b'],
    ['lone high surrogate', '\uD800'],
    ['lone low surrogate in text', 'x\uDFFFy'],
    ['reversed pair', '\uDC00\uD800'],
  ];
  const cases: HostileCase[] = [];
  for (const argument of stringArguments(seed)) {
    for (const [label, value] of values) {
      cases.push({
        name: `${label} in ${argument.name}`,
        category: 'nul-utf16',
        request: post(argument.query, argument.variables(value)),
        expect: { refused: { path: argument.path } },
      });
    }
  }
  // The same characters as literals in the document itself.
  cases.push(
    {
      name: 'NUL escape in a document literal',
      category: 'nul-utf16',
      request: post('{ entity(externalId: "a\\u0000b") { id } }'),
      expect: { refused: { path: 'entity' } },
    },
    {
      name: 'surrogate escape in a document literal',
      category: 'nul-utf16',
      request: post('{ entity(externalId: "\\uD800") { id } }'),
      expect: { refused: { path: 'entity' } },
    },
    {
      name: 'raw NUL byte in a document',
      category: 'nul-utf16',
      request: {
        kind: 'http',
        body: ['{"query":"{ entity(externalId: \\"', { hex: '00' }, '\\") { id } }"}'],
      },
    },
  );
  return cases;
}

function invalidUtf8(): HostileCase[] {
  const category = 'invalid-utf8';
  const sequences: [string, string][] = [
    ['C3 28', 'c328'],
    ['A0 A1', 'a0a1'],
    ['E2 28 A1', 'e228a1'],
    ['F0 28 8C BC', 'f0288cbc'],
    ['F8 A1 A1 A1 A1', 'f8a1a1a1a1'],
    ['FF', 'ff'],
    ['overlong slash C0 AF', 'c0af'],
    ['UTF-8 encoded surrogate ED A0 80', 'eda080'],
    ['truncated 4-byte F0 9F 98', 'f09f98'],
  ];
  const cases: HostileCase[] = [];
  sequences.forEach(([label, hex], i) => {
    cases.push({
      name: `${label} inside fact content`,
      category,
      request: {
        kind: 'http',
        body: [
          `{"query":"mutation { rememberFact(input: { entity: \\"utf8-${i}\\", content: \\"a`,
          { hex },
          'b\\" }) { __typename } }"}',
        ],
      },
    });
    cases.push({
      name: `${label} in the document outside strings`,
      category,
      request: { kind: 'http', body: ['{"query":"{ ', { hex }, ' __typename }"}'] },
    });
  });
  cases.push({
    name: 'invalid UTF-8 in a header value',
    category,
    request: {
      kind: 'raw',
      writes: ['GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ', { hex: 'c328ff' }, '\r\n\r\n'],
    },
    expect: { silenceOk: true },
  });
  return cases;
}

function pagination(seed: Seed): HostileCase[] {
  const category = 'pagination';
  const connections: [string, (args: string) => string][] = [
    ['entity.facts', (a) => `{ entity(externalId: "seed") { facts(${a}) { totalCount edges { cursor } } } }`],
    [
      'entity.sessions',
      (a) => `{ entity(externalId: "seed") { sessions(${a}) { totalCount edges { cursor } } } }`,
    ],
    [
      'entity.triples',
      (a) => `{ entity(externalId: "seed") { triples(${a}) { totalCount edges { cursor } } } }`,
    ],
    ['entities', (a) => `{ entities(${a}) { totalCount edges { cursor } } }`],
    ['augmentationJobs', (a) => `{ augmentationJobs(${a}) { totalCount edges { cursor } } }`],
    [
      'session.conversations',
      (a) => `{ session(id: "${seed.sessionUuid}") { conversations(${a}) { totalCount edges { cursor } } } }`,
    ],
    [
      'fact.mentions',
      (a) =>
        `{ node(id: "${seed.factId}") { ... on Fact { mentions(${a}) { totalCount edges { cursor } } } } }`,
    ],
  ];
  const variants: [string, string, Expect][] = [
    ['first: -1', 'first: -1', { codes: ['BAD_USER_INPUT'] }],
    ['last: -1', 'last: -1', { codes: ['BAD_USER_INPUT'] }],
    ['first: 0', 'first: 0', {}],
    ['first: 2147483647', 'first: 2147483647', {}],
    ['first: 2147483648 (not an Int)', 'first: 2147483648', { codes: VALIDATION }],
    ['first and last', 'first: 5, last: 5', {}],
    ['last: 1000000', 'last: 1000000', {}],
    ['first: -2147483648', 'first: -2147483648', { codes: ['BAD_USER_INPUT'] }],
    [
      'after and before the same cursor',
      `first: 1, after: "${seed.factCursor}", before: "${seed.factCursor}"`,
      {},
    ],
    ['no arguments', '', {}],
  ];
  const cases: HostileCase[] = [];
  for (const [connection, build] of connections) {
    for (const [label, args, expect] of variants) {
      cases.push({ name: `${connection} ${label}`, category, request: post(build(args)), expect });
    }
  }
  return cases;
}

function cursors(): HostileCase[] {
  const category = 'cursors';
  // A cursor that does not decode to one of ours is a client mistake (BAD_USER_INPUT); one that
  // decodes but points nowhere (-1, empty) may give any page: only the invariants apply.
  const values: [string, string][] = [
    ['GPC:S:abc in base64', b64('GPC:S:abc')],
    ['GPC:S:abc raw', 'GPC:S:abc'],
    ['GPC:N:1e999', b64('GPC:N:1e999')],
    ['GPC:N:-1', b64('GPC:N:-1')],
    ['GPC:N:NaN', b64('GPC:N:NaN')],
    ['GPC:J: truncated', b64('GPC:J:{"a":')],
    ['GPC:J: deep', b64(`GPC:J:${'['.repeat(10_000)}${']'.repeat(10_000)}`)],
    ['GPC:D:not a date', b64('GPC:D:notadate')],
    ['GPC: with a NUL', b64('GPC:S:\u0000')],
    ['empty', ''],
    ['====', '===='],
    ['non-base64 bytes', '\u00ff\u00fe%%%'],
  ];
  const places: [string, string, string][] = [
    [
      'facts after',
      'query($c: String) { entity(externalId: "seed") { facts(first: 2, after: $c) { totalCount } } }',
      'entity.facts.totalCount',
    ],
    [
      'facts before',
      'query($c: String) { entity(externalId: "seed") { facts(last: 2, before: $c) { totalCount } } }',
      'entity.facts.totalCount',
    ],
    [
      'sessions after',
      'query($c: String) { entity(externalId: "seed") { sessions(first: 2, after: $c) { totalCount } } }',
      'entity.sessions.totalCount',
    ],
    [
      'entities after',
      'query($c: String) { entities(first: 2, after: $c) { totalCount } }',
      'entities.totalCount',
    ],
  ];
  const cases: HostileCase[] = [];
  const lenient = new Set(['GPC:N:-1', 'empty']);
  for (const [place, query] of places) {
    for (const [label, value] of values) {
      cases.push({
        name: `${label} as ${place}`,
        category,
        request: post(query, { c: value }),
        ...(lenient.has(label) ? {} : { expect: { codes: ['BAD_USER_INPUT'] } }),
      });
    }
  }
  cases.push({
    name: '1 MB cursor',
    category,
    request: post('query($c: String) { entities(first: 2, after: $c) { totalCount } }', {
      c: 'A'.repeat(1_000_000),
    }),
    expect: { codes: ['BAD_USER_INPUT', 'VARIABLES_TOO_LARGE'] },
  });
  cases.push({
    name: '900 KB base64 cursor of GPC:S:',
    category,
    request: post('query($c: String) { entities(first: 2, after: $c) { totalCount } }', {
      c: b64(`GPC:S:${'z'.repeat(600_000)}`),
    }),
    expect: { codes: ['BAD_USER_INPUT', 'VARIABLES_TOO_LARGE'] },
  });
  return cases;
}

function globalIds(rand: () => number): HostileCase[] {
  const category = 'global-ids';
  const randomBytes = (n: number) =>
    Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256))).toString('base64');
  const values: [string, string][] = [
    ['Nope:1', b64('Nope:1')],
    ['Fact:abc', b64('Fact:abc')],
    ['Fact:1e3', b64('Fact:1e3')],
    ['Fact:1:2:3', b64('Fact:1:2:3')],
    ['Fact:-1', b64('Fact:-1')],
    ['Fact:2^70', b64('Fact:1180591620717411303424')],
    ['Fact:0x10', b64('Fact:0x10')],
    ['Fact: (empty)', b64('Fact:')],
    ['Fact:999999 (missing)', b64('Fact:999999')],
    ['not base64', '%%%not-an-id'],
    ['empty string', ''],
    ['random bytes', randomBytes(24)],
  ];
  const places: [string, string, (v: string, i: number) => unknown, string][] = [
    ['node', 'query($v: ID!) { node(id: $v) { id } }', (v) => ({ v }), 'node'],
    ['nodes', 'query($v: ID!) { nodes(ids: [$v, $v]) { id } }', (v) => ({ v }), 'nodes.0'],
    ['session', 'query($v: ID!) { session(id: $v) { id } }', (v) => ({ v }), 'session'],
    ['forgetFact', 'mutation($v: ID!) { forgetFact(id: $v) { __typename } }', (v) => ({ v }), 'forgetFact'],
    [
      'forgetTriple',
      'mutation($v: ID!) { forgetTriple(id: $v) { __typename } }',
      (v) => ({ v }),
      'forgetTriple',
    ],
    [
      'rememberFact.source',
      REMEMBER,
      (v, i) => ({ input: { entity: `gid-source-${i}`, content: 'x', source: v } }),
      'rememberFact',
    ],
    [
      'recordConversation.conversation',
      RECORD,
      (v, i) => ({
        input: {
          entity: `gid-conv-${i}`,
          process: 'p',
          conversation: v,
          messages: [{ role: 'USER', content: 'a' }],
        },
      }),
      'recordConversation',
    ],
    [
      'rerunAugmentation',
      'mutation($v: ID!) { rerunAugmentation(job: $v) { __typename } }',
      (v) => ({ v }),
      'rerunAugmentation',
    ],
  ];
  const cases: HostileCase[] = [];
  for (const [place, query, vars, path] of places) {
    for (const [i, [label, value]] of values.entries()) {
      cases.push({
        name: `${label} in ${place}`,
        category,
        request: post(query, vars(value, i)),
        expect: {
          refused: { path },
          ...(place === 'rememberFact.source' ? { noWrite: `gid-source-${i}` } : {}),
          ...(place === 'recordConversation.conversation' ? { noWrite: `gid-conv-${i}` } : {}),
        },
      });
    }
  }
  cases.push({
    name: 'node() of a missing id is null without an error',
    category,
    request: post(`{ node(id: "${b64('Fact:999999')}") { id } }`),
    expect: { status: [200], data: { node: null } },
  });
  return cases;
}

function longIds(): HostileCase[] {
  const category = 'long-ids';
  const cases: HostileCase[] = [];
  for (const length of [10_000, 100_000]) {
    const id = `L${length}-${'i'.repeat(length - 8)}`;
    const k = `${length / 1000}k`;
    cases.push(
      {
        name: `entity(externalId) of ${k}`,
        category,
        request: post('query($v: String!) { entity(externalId: $v) { id } }', { v: id }),
        expect: { refused: { path: 'entity' } },
      },
      {
        name: `process(externalId) of ${k}`,
        category,
        request: post('query($v: String!) { process(externalId: $v) { id } }', { v: id }),
        expect: { refused: { path: 'process' } },
      },
      {
        name: `rememberFact entity of ${k}`,
        category,
        request: post(REMEMBER, { input: { entity: id, content: 'x' } }),
        expect: { refused: { path: 'rememberFact' } },
      },
      {
        name: `recordConversation entity of ${k}`,
        category,
        request: post(RECORD, {
          input: { entity: id, process: 'p', messages: [{ role: 'USER', content: 'a' }] },
        }),
        expect: { refused: { path: 'recordConversation' } },
      },
      {
        name: `recordConversation process of ${k}`,
        category,
        request: post(RECORD, {
          input: { entity: 'long-p', process: id, messages: [{ role: 'USER', content: 'a' }] },
        }),
        expect: { refused: { path: 'recordConversation' }, noWrite: 'long-p' },
      },
      {
        name: `recordConversation session of ${k}`,
        category,
        request: post(RECORD, {
          input: { entity: 'long-s', process: 'p', session: id, messages: [{ role: 'USER', content: 'a' }] },
        }),
        expect: { refused: { path: 'recordConversation' }, noWrite: 'long-s' },
      },
      {
        name: `triple subject of ${k}`,
        category,
        request: post(ADD_TRIPLES, {
          input: { entity: 'long-t', triples: [{ subject: id, predicate: 'p', object: 'o' }] },
        }),
        expect: { refused: { path: 'addTriples' }, noWrite: 'long-t' },
      },
      {
        name: `entities(externalIdPrefix) of ${k}`,
        category,
        request: post('query($v: String) { entities(first: 1, externalIdPrefix: $v) { totalCount } }', {
          v: id,
        }),
        expect: { refused: { path: 'entities.totalCount' } },
      },
      {
        name: `node(id) of ${k}`,
        category,
        request: post('query($v: ID!) { node(id: $v) { id } }', { v: b64(`Fact:${'9'.repeat(length)}`) }),
        expect: { refused: { path: 'node' } },
      },
      {
        name: `forgetFact of ${k}`,
        category,
        request: post('mutation($v: ID!) { forgetFact(id: $v) { __typename } }', {
          v: b64(`Fact:${'1'.repeat(length)}`),
        }),
        expect: { refused: { path: 'forgetFact' } },
      },
    );
  }
  return cases;
}

export const INJECTION_PAYLOADS = [
  "'; DROP TABLE entity; --",
  '" OR 1=1 --',
  "1' OR '1'='1",
  "admin'--",
  "%' OR '%'='",
  "' UNION SELECT password FROM users --",
  '); DELETE FROM entity_fact WHERE (1=1',
  "\\'; SELECT pg_sleep(5); --",
  '1; SELECT SLEEP(5)',
  "' AND extractvalue(1,concat(0x7e,version())) --",
  'MATCH (n) DETACH DELETE n',
  "' }) MATCH (n) RETURN n //",
  '{"$gt": ""}',
  '{{7*7}}',
  `\${7*7}`,
  '<%= 7*7 %>',
  '#{7*7}',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '<script>alert(1)</script>',
  '$(rm -rf /)',
  '`id`',
  '%00',
  '__proto__',
  'constructor.prototype',
  '\\\\',
  '*/ /*',
  '--',
  'ＳＥＬＥＣＴ * ＦＲＯＭ',
  '🙂 emoji 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '\u202Eright-to-left',
  'a\tb\nc',
  '\\u0000 as text',
  '"; }; process.exit(1); //',
];

function injection(): HostileCase[] {
  const category = 'injection';
  const cases: HostileCase[] = [];
  INJECTION_PAYLOADS.forEach((payload, i) => {
    const entity = `inj-${i}`;
    cases.push({
      name: `#${i} stored and found literally as fact content: ${JSON.stringify(payload).slice(0, 40)}`,
      category,
      request: post(REMEMBER, { input: { entity, content: payload } }),
      expect: { data: { rememberFact: { __typename: 'RememberFactSuccess', fact: { content: payload } } } },
      followUp: {
        request: post(
          'query($e: String!, $c: String) { entity(externalId: $e) { facts(first: 5, contains: $c) { edges { node { content } } } } }',
          { e: entity, c: payload },
        ),
        expect: { data: { entity: { facts: { edges: [{ node: { content: payload } }] } } } },
      },
    });
    cases.push({
      name: `#${i} as an externalId: ${JSON.stringify(payload).slice(0, 40)}`,
      category,
      request: post(REMEMBER, { input: { entity: `x${payload}`, content: 'payload entity' } }),
      expect: { data: { rememberFact: { __typename: 'RememberFactSuccess' } } },
      followUp: {
        request: post('query($e: String!) { entity(externalId: $e) { externalId } }', { e: `x${payload}` }),
        expect: { data: { entity: { externalId: `x${payload}` } } },
      },
    });
    cases.push({
      name: `#${i} as a triple and as triple filters: ${JSON.stringify(payload).slice(0, 40)}`,
      category,
      request: post(ADD_TRIPLES, {
        input: {
          entity: `inj-t-${i}`,
          triples: [{ subject: `s${payload}`, predicate: 'says', object: `o${payload}` }],
        },
      }),
      expect: { data: { addTriples: { __typename: 'AddTriplesSuccess' } } },
      followUp: {
        request: post(
          'query($e: String!, $o: String) { entity(externalId: $e) { triples(first: 5, object: $o) { totalCount } } }',
          { e: `inj-t-${i}`, o: `o${payload}` },
        ),
        expect: { data: { entity: { triples: { totalCount: 1 } } } },
      },
    });
  });
  return cases;
}

/** LIKE wildcards match literally (seed has facts "100% sure", "under_score", "plain text"; entities like_a, likeXa). */
function wildcards(): HostileCase[] {
  const category = 'wildcards';
  const contains = (value: string, count: number): HostileCase => ({
    name: `contains ${JSON.stringify(value)} matches ${count}`,
    category,
    request: post(
      'query($v: String) { entity(externalId: "wild") { facts(first: 10, contains: $v) { totalCount } } }',
      { v: value },
    ),
    expect: { data: { entity: { facts: { totalCount: count } } } },
  });
  const prefix = (value: string, count: number): HostileCase => ({
    name: `externalIdPrefix ${JSON.stringify(value)} matches ${count}`,
    category,
    request: post('query($v: String) { entities(first: 10, externalIdPrefix: $v) { totalCount } }', {
      v: value,
    }),
    expect: { data: { entities: { totalCount: count } } },
  });
  return [
    contains('%', 1),
    contains('_', 1),
    contains('%%', 0),
    contains('pl_in', 0),
    contains('1%sure', 0),
    contains('0%', 1),
    contains('\\', 0),
    contains('[a-z]', 0),
    prefix('like_', 1),
    prefix('like%', 0),
    prefix('lik_', 0),
    prefix('%', 0),
    prefix('_', 0),
  ];
}

function csrfAndCors(): HostileCase[] {
  const evil = 'https://evil.example';
  const cases: HostileCase[] = [];
  const origins = [
    evil,
    'null',
    'http://localhost.evil.example',
    'http://127.0.0.1.evil.example',
    'file://',
    'http://[::1].evil.example',
  ];
  origins.forEach((origin, i) => {
    const marker = `cors-${i}`;
    cases.push(
      {
        name: `POST mutation from Origin ${origin}`,
        category: 'cors',
        request: { kind: 'http', headers: { origin }, body: body({ query: markerMutation(marker) }) },
        expect: { status: [403], codes: ['CROSS_ORIGIN_REFUSED'], noCorsHeader: true, noWrite: marker },
      },
      {
        name: `GET from Origin ${origin}`,
        category: 'cors',
        request: get({ query: '{ __typename }' }, { headers: { origin } }),
        expect: { status: [403], codes: ['CROSS_ORIGIN_REFUSED'], noCorsHeader: true },
      },
      {
        name: `OPTIONS preflight from Origin ${origin}`,
        category: 'cors',
        request: {
          kind: 'http',
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type, authorization',
          },
        },
        expect: { noCorsHeader: true },
      },
    );
  });
  cases.push(
    {
      name: 'GET with sec-fetch-site: cross-site',
      category: 'cors',
      request: get({ query: '{ __typename }' }, { headers: { 'sec-fetch-site': 'cross-site' } }),
      expect: { status: [403], noCorsHeader: true },
    },
    {
      name: 'GET mutation with sec-fetch-site: cross-site',
      category: 'csrf',
      request: get({ query: markerMutation('csrf-sfs') }, { headers: { 'sec-fetch-site': 'cross-site' } }),
      expect: { status: [403, 405], noWrite: 'csrf-sfs' },
    },
    {
      name: 'POST text/plain with sec-fetch-mode no-cors from a foreign origin',
      category: 'csrf',
      request: {
        kind: 'http',
        headers: {
          'content-type': 'text/plain',
          'sec-fetch-mode': 'no-cors',
          'sec-fetch-site': 'cross-site',
          origin: evil,
        },
        body: body({ query: markerMutation('csrf-nocors') }),
      },
      expect: { status: [403, 415], noWrite: 'csrf-nocors', noCorsHeader: true },
    },
    {
      name: 'form POST with a foreign Referer and no Origin',
      category: 'csrf',
      request: {
        kind: 'http',
        headers: { 'content-type': 'application/x-www-form-urlencoded', referer: `${evil}/page` },
        body: [`query=${encodeURIComponent(markerMutation('csrf-referer'))}`],
      },
      expect: { ...CSRF, noWrite: 'csrf-referer' },
    },
    {
      name: 'SSE subscription from a foreign origin',
      category: 'cors',
      request: get(
        { query: 'subscription { factChanged(entity: "seed") { kind } }' },
        { headers: { origin: evil, accept: 'text/event-stream' }, streamMs: 300 },
      ),
      expect: { status: [403], noCorsHeader: true },
    },
  );
  return cases;
}

function hostHeaders(): HostileCase[] {
  const category = 'host';
  const refused = [
    'evil.example',
    'evil.example:4000',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    'attacker.com:80',
    'LOCALHOST.evil.example',
  ];
  const allowed = ['localhost', 'localhost:1234', '127.0.0.1', '[::1]:8080', 'LocalHost'];
  return [
    ...refused.map((host) => ({
      name: `Host ${host} is refused (DNS rebinding)`,
      category,
      request: post('{ __typename }', undefined, { headers: { host } }),
      expect: { status: [403], codes: ['HOST_NOT_ALLOWED'] },
    })),
    ...refused.slice(0, 2).map((host) => ({
      name: `GET with Host ${host} is refused`,
      category,
      request: get({ query: '{ __typename }' }, { headers: { host } }),
      expect: { status: [403], codes: ['HOST_NOT_ALLOWED'] },
    })),
    ...allowed.map((host) => ({
      name: `Host ${host} is served`,
      category,
      request: post('{ __typename }', undefined, { headers: { host } }),
      expect: { status: [200] },
    })),
  ];
}

function cost(): HostileCase[] {
  const category = 'cost';
  return [
    {
      name: 'facts(100) x mentions(100) x messages(100)',
      category,
      request: post(
        '{ entity(externalId: "seed") { facts(first: 100) { edges { node { mentions(first: 100) { edges { node { message { conversation { messages(first: 100) { edges { node { content } } } } } } } } } } } } }',
      ),
      expect: { codes: ['QUERY_COST_EXCEEDED'], maxMs: 2000 },
    },
    {
      name: 'entities(100) x facts(100) x mentions(100), 5 aliases',
      category,
      request: post(
        `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: entities(first: 100) { edges { node { facts(first: 100) { edges { node { mentions(first: 100) { totalCount } } } } } } }`).join(' ')} }`,
      ),
      expect: { codes: ['QUERY_COST_EXCEEDED'], maxMs: 2000 },
    },
    {
      name: 'nodes() of 100 ids, each with facts(100), each with mentions(100)',
      category,
      request: post(
        'query($ids: [ID!]!) { nodes(ids: $ids) { ... on Entity { facts(first: 100) { edges { node { mentions(first: 100) { edges { node { __typename } } } } } } } } }',
        { ids: Array.from({ length: 100 }, (_, i) => b64(`Entity:${i + 1}`)) },
      ),
      expect: { codes: ['QUERY_COST_EXCEEDED'], maxMs: 2000 },
    },
    {
      name: 'a small page is served',
      category,
      request: post('{ entity(externalId: "seed") { facts(first: 5) { edges { node { content } } } } }'),
      expect: { status: [200] },
    },
  ];
}

function websockets(): HostileCase[] {
  const category = 'websocket';
  const init = { type: 'connection_init' };
  const sub = (id: string, query = 'subscription { factChanged(entity: "seed") { kind } }') => ({
    id,
    type: 'subscribe',
    payload: { query },
  });
  const ws = (
    name: string,
    frames: WsRequest['frames'],
    expect: Expect = {},
    extra: Partial<WsRequest> = {},
  ): HostileCase => ({
    name,
    category,
    request: { kind: 'ws', frames, ...extra },
    expect,
  });
  const deepSub = `subscription { factChanged(entity: "seed") { fact { ${'entity { sessions(first: 1) { edges { node { entity { '.repeat(6)}id${' } } } } }'.repeat(6)} } } }`;
  const aliasSub = `subscription { factChanged(entity: "seed") { ${Array.from({ length: 31 }, (_, i) => `k${i}: kind`).join(' ')} } }`;
  const costSub =
    'subscription { factChanged(entity: "seed") { fact { mentions(first: 100) { edges { node { message { conversation { messages(first: 100) { edges { node { conversation { messages(first: 100) { totalCount } } } } } } } } } } } } }';
  return [
    ws('non-JSON message', ['not json'], { closeCodes: [4400] }),
    ws('empty object', [{}], { closeCodes: [4400] }),
    ws('unknown type', [init, 100, { type: 'unknown' }], { closeCodes: [4400] }),
    ws('subscribe before connection_init', [sub('1')], { closeCodes: [4401, 4400] }),
    ws('connection_init twice', [init, 100, init], { closeCodes: [4429] }),
    ws('duplicate subscription ids', [init, 100, sub('dup'), 100, sub('dup')], { closeCodes: [4409] }),
    ws('subscribe without payload', [init, 100, { id: '1', type: 'subscribe' }], { closeCodes: [4400] }),
    ws(
      'subscribe with a numeric id',
      [init, 100, { id: 1, type: 'subscribe', payload: { query: '{ __typename }' } }],
      { closeCodes: [4400] },
    ),
    ws('invalid document fails only that operation', [init, 100, sub('bad', 'subscription { nope }')], {
      wsErrorFor: ['bad'],
      wsOpen: true,
    }),
    ws('depth over the limit fails only that operation', [init, 100, sub('deep', deepSub)], {
      wsErrorFor: ['deep'],
      wsOpen: true,
    }),
    ws('31 aliases fail only that operation', [init, 100, sub('alias', aliasSub)], {
      wsErrorFor: ['alias'],
      wsOpen: true,
    }),
    ws('cost over the limit fails only that operation', [init, 100, sub('cost', costSub)], {
      wsErrorFor: ['cost'],
      wsOpen: true,
    }),
    ws(
      'a 90,000-token document fails only that operation',
      [init, 100, sub('tokens', `{ ${'__typename '.repeat(90_000)}}`)],
      { wsErrorFor: ['tokens'], wsOpen: true },
    ),
    ws(
      'a 5 MB message',
      [
        init,
        100,
        {
          text: [
            '{"type":"subscribe","id":"huge","payload":{"query":"{ __typename }","pad":"',
            { repeat: 'x', times: 5_000_000 },
            '"}}',
          ],
        },
      ],
      {},
    ),
    ws(
      'a 20 MB binary frame',
      [init, 100, { binaryHex: 'ff'.repeat(64) }, { text: [{ repeat: 'y', times: 20_000_000 }] }],
      {},
    ),
    ws('wrong subprotocol', [init], { closeCodes: [0, 1002, 1006, 4406] }, { protocol: 'graphql-ws' }),
    ws('no subprotocol', [init], {}, { protocol: null }),
    ws('1,000 pings', [init, 100, ...Array.from({ length: 1000 }, () => ({ type: 'ping' }))], {
      wsOpen: true,
    }),
    ws(
      'connection_init with a 900 KB payload',
      [{ type: 'connection_init', payload: { junk: 'j'.repeat(900_000) } }],
      {},
    ),
    ws('complete for an unknown id', [init, 100, { id: 'never', type: 'complete' }], { wsOpen: true }),
    ws(
      'a 1 MB operation id',
      [init, 100, { id: 'i'.repeat(1_000_000), type: 'subscribe', payload: { query: '{ __typename }' } }],
      {},
    ),
    ws('invalid UTF-8 binary frame', [init, 100, { binaryHex: 'c328ffa0a1' }], {}),
    ws(
      'NUL in a subscription argument',
      [init, 100, sub('nul', 'subscription { factChanged(entity: "a\\u0000b") { kind } }')],
      {},
    ),
    ws(
      'mutation over the socket with a bad id',
      [init, 100, sub('m', `mutation { forgetFact(id: "${b64('Fact:1:2:3')}") { __typename } }`)],
      { wsOpen: true },
    ),
    ws(
      'foreign Origin',
      [init, 100, sub('o', '{ __typename }')],
      {},
      { headers: { origin: 'https://evil.example' } },
    ),
    ws('200 subscriptions at once', [init, 100, ...Array.from({ length: 200 }, (_, i) => sub(`s${i}`))], {}),
  ];
}

/** With API_KEYS set: refused before parsing, and /health tells nothing about the host. */
function auth(): HostileCase[] {
  const category = 'auth';
  const unauthenticated: Expect = { status: [401], codes: ['UNAUTHENTICATED'] };
  const keyed = (
    name: string,
    headers: Record<string, string>,
    extra: Partial<HttpRequest> = {},
    expect = unauthenticated,
  ): HostileCase => ({
    name,
    category,
    request: { kind: 'http', target: 'keyed', headers, body: body({ query: '{ __typename }' }), ...extra },
    expect,
  });
  return [
    keyed('no Authorization header', {}),
    keyed('a wrong key', { authorization: 'Bearer wrong-key' }),
    keyed('a key with a suffix', { authorization: 'Bearer hostile-key-1x' }),
    keyed('a key prefix', { authorization: 'Bearer hostile-key' }),
    keyed('Bearer and nothing', { authorization: 'Bearer ' }),
    keyed('Basic with the key as user', { authorization: `Basic ${b64('hostile-key-1:')}` }),
    keyed('the key without Bearer', { authorization: 'hostile-key-1' }),
    keyed('an 8 KB bearer token', { authorization: `Bearer ${'k'.repeat(8192)}` }),
    keyed(
      'the key in the query string',
      {},
      { path: '/graphql?api_key=hostile-key-1&authorization=Bearer%20hostile-key-1' },
    ),
    keyed(
      'a mutation without a key is not executed',
      {},
      { body: body({ query: markerMutation('auth-nokey') }) },
      { ...unauthenticated, noWrite: 'auth-nokey' },
    ),
    keyed(
      'GET without a key',
      {},
      { method: 'GET', path: '/graphql?query=%7B__typename%7D', body: undefined },
    ),
    keyed(
      '900 KB of garbage without a key is refused before parsing',
      {},
      { body: [{ repeat: '{{{{', times: 225_000 }] },
      { ...unauthenticated, maxMs: 1000 },
    ),
    keyed(
      'a 50,000-level document without a key is refused before parsing',
      {},
      { body: body({ query: `{ ${'a { '.repeat(50_000)}b${' }'.repeat(50_000)} }` }) },
      { ...unauthenticated, maxMs: 1000 },
    ),
    keyed(
      'a valid key with a 31-alias document',
      { authorization: 'Bearer hostile-key-1' },
      { body: body({ query: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }` }) },
      { codes: VALIDATION },
    ),
    keyed('the second key works', { authorization: 'Bearer hostile-key-2' }, {}, { status: [200] }),
    {
      name: '/health without a key shows no paths or versions',
      category,
      request: { kind: 'http', target: 'keyed', method: 'GET', path: '/health' },
      expect: { bodyNotMatch: '(/work/|/home/|/root/|/tmp/|node_modules|\\d+\\.\\d+\\.\\d+|"version")' },
    },
    {
      name: '/ready without a key',
      category,
      request: { kind: 'http', target: 'keyed', method: 'GET', path: '/ready' },
      expect: { bodyNotMatch: '(/work/|/home/|node_modules|\\d+\\.\\d+\\.\\d+)' },
    },
    {
      name: 'graphql-ws without a key',
      category,
      request: {
        kind: 'ws',
        target: 'keyed',
        frames: [
          { type: 'connection_init' },
          200,
          { id: 'a', type: 'subscribe', payload: { query: '{ __typename }' } },
        ],
      },
      expect: { closeCodes: [4401, 4403, 0] },
    },
    {
      name: 'graphql-ws with a wrong key',
      category,
      request: {
        kind: 'ws',
        target: 'keyed',
        frames: [{ type: 'connection_init', payload: { authorization: 'Bearer nope' } }],
      },
      expect: { closeCodes: [4401, 4403, 0] },
    },
  ];
}

/** The whole corpus, built from the ids of the seed data. */
export function buildCorpus(seed: Seed): HostileCase[] {
  const rand = seededRandom(0x5eed);
  const cases = [
    ...malformedJson(rand),
    ...contentTypes(),
    ...methods(),
    ...getMutations(),
    ...hugeBodies(),
    ...rawProtocol(rand),
    ...depth(),
    ...aliases(),
    ...fragments(),
    ...directives(),
    ...variables(seed),
    ...batching(),
    ...introspection(),
    ...giantStrings(),
    ...badCharacters(seed),
    ...invalidUtf8(),
    ...pagination(seed),
    ...cursors(),
    ...globalIds(rand),
    ...longIds(),
    ...injection(),
    ...wildcards(),
    ...csrfAndCors(),
    ...hostHeaders(),
    ...cost(),
    ...websockets(),
    ...auth(),
  ];
  const names = new Set<string>();
  for (const c of cases) {
    const key = `${c.category}: ${c.name}`;
    if (names.has(key)) throw new Error(`duplicate case name ${key}`);
    names.add(key);
  }
  return cases;
}
