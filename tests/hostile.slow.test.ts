import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TEST_DATABASE } from './helpers/database.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { codeOf, errorsOf, judge, describe as summarize } from './hostile/checks.ts';
import { buildCorpus } from './hostile/corpus.ts';
import { type Observation, type RunContext, requestText, send, sendHttp } from './hostile/run.ts';
import type { HostileCase, Seed } from './hostile/types.ts';

/**
 * The hostile-input corpus (tests/hostile/corpus.ts) against a real server per database, plus the
 * attacks that need their own setup: 20 MB documents with and without a key, the heavy query,
 * concurrent writes, WebSocket isolation, slowloris and failed-authentication rate limiting.
 * Every case must leave the server up, never answer 5xx (but a coded 503), never an
 * INTERNAL_SERVER_ERROR, never leak internals, and give the specific answer its case expects.
 */

/** Seed ids are known only once the server has them: cases carry placeholders. */
const PLACEHOLDERS: Seed = {
  factId: '@@factId@@',
  tripleId: '@@tripleId@@',
  sessionId: '@@sessionId@@',
  sessionUuid: '@@sessionUuid@@',
  conversationId: '@@conversationId@@',
  messageId: '@@messageId@@',
  factCursor: '@@factCursor@@',
};
const CASES = buildCorpus(PLACEHOLDERS);
const KEY = 'hostile-key-1';
const CONCURRENCY = 6;

/** A collector that runs `global.gc` when the process has it, or makes it available. */
function collector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
const gc = collector();
const rssMb = () => {
  gc();
  gc();
  return process.memoryUsage().rss / 1024 / 1024;
};

/** JSON answers of ad-hoc documents, read loosely: the assertions check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Loose = any;

async function post(url: string, query: string, variables?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: Loose; errors?: Loose[] } };
}

async function isUp(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const answer = await post(url, '{ __typename }', undefined, headers);
    return answer.status === 200 && answer.body.data?.__typename === 'Query';
  } catch {
    return false;
  }
}

async function seedServer(server: TestServer): Promise<Seed> {
  const record = await post(
    server.url,
    `mutation($input: RecordConversationInput!) { recordConversation(input: $input) { __typename
      ... on RecordConversationSuccess { conversation { id session { id uuid } messages(first: 5) { edges { node { id } } } } } } }`,
    {
      input: {
        entity: 'seed',
        process: 'bot',
        session: '00000000-0000-4000-8000-00000000beef',
        messages: [
          { role: 'USER', content: 'I like green tea.' },
          { role: 'ASSISTANT', content: 'Noted.' },
        ],
      },
    },
  );
  const conversation = record.body.data.recordConversation.conversation;
  const messageId: string = conversation.messages.edges[0].node.id;
  const remember = (entity: string, content: string, source?: string) =>
    post(
      server.url,
      'mutation($input: RememberFactInput!) { rememberFact(input: $input) { __typename ... on RememberFactSuccess { fact { id } } } }',
      { input: { entity, content, source } },
    );
  const fact = await remember('seed', 'likes green tea', messageId);
  for (const content of ['lives in Porto', 'plays chess', 'speaks Portuguese'])
    await remember('seed', content, messageId);
  for (const content of ['100% sure', 'under_score', 'plain text']) await remember('wild', content);
  for (const entity of ['like_a', 'likeXa']) await remember(entity, 'x');
  const triples = await post(
    server.url,
    'mutation { addTriples(input: { entity: "seed", triples: [{ subject: "seed", predicate: "likes", object: "tea" }] }) { ... on AddTriplesSuccess { triples { id } } } }',
  );
  const page = await post(
    server.url,
    '{ entity(externalId: "seed") { facts(first: 1) { edges { cursor } } } }',
  );
  return {
    factId: fact.body.data.rememberFact.fact.id,
    tripleId: triples.body.data.addTriples.triples[0].id,
    sessionId: conversation.session.id,
    sessionUuid: conversation.session.uuid,
    conversationId: conversation.id,
    messageId,
    factCursor: page.body.data.entity.facts.edges[0].cursor,
  };
}

interface Outcome {
  observation: Observation;
  problems: string[];
  crashed: boolean;
  fiveXX: boolean;
  internal: boolean;
}

/** Statements the server's background loops run on their own schedule. */
const BACKGROUND_SQL = /\b(vector_change|augmentation_job|tombstone|graph_change|graph_mirror)\b/;

describe(`hostile input (${TEST_DATABASE})`, () => {
  let main: TestServer;
  let keyed: TestServer;
  let seed: Seed;
  let context: RunContext;
  let statements = 0;
  const recent: string[] = [];
  let rssBefore = 0;
  let heapBefore = 0;
  const outcomes = new Map<HostileCase, Outcome>();
  const extra: { name: string; category: string; ok: boolean }[] = [];
  let rateLimitedRetries = 0;
  let corpusMs = 0;

  beforeAll(async () => {
    // Development mode (the default NODE_ENV, no keys) for the corpus: Host checks apply there.
    main = await startTestServer({
      env: { NODE_ENV: 'development' },
      onQuery: (sql) => {
        statements++;
        recent.push(sql);
        if (recent.length > 1000) recent.shift();
      },
    });
    // The corpus sends many requests without a key from one address: the failed-authentication limit
    // is off here and has a server of its own below.
    keyed = await startTestServer({
      env: { NODE_ENV: 'production', API_KEYS: `${KEY},hostile-key-2`, RATE_LIMIT_AUTH_FAILURES: '0' },
    });
    seed = await seedServer(main);
    const ports = { main: Number(new URL(main.url).port), keyed: Number(new URL(keyed.url).port) };
    context = {
      port: (target) => ports[target],
      substitute: (text) =>
        text.includes('@@')
          ? text.replace(/@@(\w+)@@/g, (_, key: keyof Seed) => seed[key] ?? `@@${key}@@`)
          : text,
    };
    rssBefore = rssMb();
    heapBefore = process.memoryUsage().heapUsed / 1024 / 1024;
  }, 120_000);

  afterAll(async () => {
    await main?.close();
    await keyed?.close();
  });

  async function runCase(testCase: HostileCase): Promise<Outcome> {
    const target = testCase.request.kind === 'burst' ? 'main' : (testCase.request.target ?? 'main');
    const expectations = testCase.expect ?? {};
    const bound = Math.max(10_000, (expectations.maxMs ?? 5000) * 2);
    let observation = await send(context, testCase.request, bound);
    // A generous client is still rate-limited sometimes: wait as told (briefly) and retry, twice.
    for (
      let retry = 0;
      retry < 2 && observation.status === 429 && !expectations.status?.includes(429);
      retry++
    ) {
      rateLimitedRetries++;
      const wait = Number(observation.headers['retry-after'] ?? 1);
      if (!(wait <= 3)) break;
      await sleep(wait * 1000);
      observation = await send(context, testCase.request, bound);
    }
    const sent = requestText(context, testCase.request);
    const verdict = judge(observation, expectations, sent);
    const problems = [...verdict.problems];
    if (expectations.noWrite) {
      const written = await main.db.entity.count({ where: { externalId: expectations.noWrite } });
      if (written > 0) problems.push(`EXECUTED: entity ${expectations.noWrite} was written`);
    }
    if (testCase.followUp) {
      const follow = await send(context, testCase.followUp.request, 10_000);
      const followVerdict = judge(
        follow,
        testCase.followUp.expect,
        requestText(context, testCase.followUp.request),
      );
      problems.push(...followVerdict.problems.map((problem) => `then: ${problem} (${summarize(follow)})`));
    }
    const server = target === 'keyed' ? keyed : main;
    const crashed = !(await isUp(server.url, target === 'keyed' ? { authorization: `Bearer ${KEY}` } : {}));
    if (crashed) problems.push('SERVER DOWN afterwards');
    return { observation, problems, crashed, fiveXX: verdict.fiveXX, internal: verdict.internal };
  }

  it(`runs ${CASES.length} cases`, async () => {
    const started = performance.now();
    const queue = [...CASES];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          outcomes.set(next, await runCase(next));
        }
      }),
    );
    corpusMs = performance.now() - started;
    console.log(summary(null));
    expect(outcomes.size).toBe(CASES.length);
  }, 300_000);

  const categories = [...new Set(CASES.map((testCase) => testCase.category))];
  for (const category of categories) {
    describe(category, () => {
      for (const testCase of CASES.filter((c) => c.category === category)) {
        it(testCase.name, () => {
          const outcome = outcomes.get(testCase);
          if (!outcome) throw new Error('not run');
          if (outcome.problems.length > 0)
            throw new Error(`${outcome.problems.join('; ')} [answer: ${summarize(outcome.observation)}]`);
        });
      }
    });
  }

  function record<T>(category: string, name: string, run: () => Promise<T>) {
    return async () => {
      let ok = false;
      try {
        await run();
        ok = true;
      } finally {
        extra.push({ name, category, ok });
      }
    };
  }

  it(
    'refuses the heavy query over 6 aliases with QUERY_COST_EXCEEDED before running any SQL',
    record('cost', 'heavy query x 6 aliases before execution', async () => {
      const heavy = `entity(externalId: "seed") { facts(first: 100) { edges { node { mentions(first: 100) { edges { node {
        message { conversation { messages(first: 100) { edges { node { conversation { messages(first: 100) { totalCount
        edges { node { content } } } } } } } } } } } } } } } }`;
      const query = `{ ${Array.from({ length: 6 }, (_, i) => `h${i}: ${heavy}`).join(' ')} }`;
      await sleep(200);
      const before = statements;
      const started = performance.now();
      const answer = await post(main.url, query);
      const ms = performance.now() - started;
      // Only what the request ran: the search index's sync, the augmentation poll and the graph
      // mirror read their own tables in the background whatever the request does.
      const ran = recent
        .slice(recent.length - Math.min(statements - before, recent.length))
        .filter((sql) => !BACKGROUND_SQL.test(sql));
      console.log(
        `[hostile] heavy query: status ${answer.status}, ${Math.round(ms)} ms, ${ran.length} SQL statements, ${JSON.stringify(answer.body.errors?.[0] ?? answer.body).slice(0, 200)}`,
      );
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('QUERY_COST_EXCEEDED');
      expect(answer.body.data ?? null).toBeNull();
      expect(ran).toEqual([]);
    }),
  );

  it(
    'counts the same rememberFact sent 50 times at once as one fact with 50 mentions',
    record('concurrency', 'rememberFact x 50 in parallel', async () => {
      const query =
        'mutation { rememberFact(input: { entity: "burst-fact", content: "drinks mate" }) { __typename ... on RememberFactSuccess { fact { id } } ... on UserError { code message } } }';
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(main.url, query)));
      const bad = answers.filter((answer) => answer.status !== 200 || answer.body.errors?.length);
      expect(bad.map((answer) => JSON.stringify(answer.body).slice(0, 200))).toEqual([]);
      const facts = await main.db.entityFact.findMany({ where: { entity: { externalId: 'burst-fact' } } });
      expect(facts).toHaveLength(1);
      expect(facts[0]?.mentionCount).toBe(50);
      expect(await main.db.entity.count({ where: { externalId: 'burst-fact' } })).toBe(1);
    }),
  );

  it(
    'counts the same triple sent 50 times at once as one triple',
    record('concurrency', 'addTriples x 50 in parallel', async () => {
      const query =
        'mutation { addTriples(input: { entity: "burst-triple", triples: [{ subject: "ana", predicate: "likes", object: "mate" }] }) { __typename ... on UserError { code message } } }';
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(main.url, query)));
      const bad = answers.filter((answer) => answer.status !== 200 || answer.body.errors?.length);
      expect(bad.map((answer) => JSON.stringify(answer.body).slice(0, 200))).toEqual([]);
      const triples = await main.db.triple.findMany({ where: { entity: { externalId: 'burst-triple' } } });
      expect(triples).toHaveLength(1);
      expect(triples[0]?.mentionCount).toBe(50);
    }),
  );

  it(
    'creates one entity, process and session for 50 concurrent conversations in a new session',
    record('concurrency', 'recordConversation x 50 in parallel, one new session', async () => {
      const query = `mutation { recordConversation(input: { entity: "burst-conv", process: "burst-bot",
        session: "00000000-0000-4000-8000-0000000b0057", messages: [{ role: USER, content: "hi" }] }) { __typename ... on UserError { code message } } }`;
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(main.url, query)));
      const bad = answers.filter((answer) => answer.status !== 200 || answer.body.errors?.length);
      expect(bad.map((answer) => JSON.stringify(answer.body).slice(0, 200))).toEqual([]);
      expect(await main.db.entity.count({ where: { externalId: 'burst-conv' } })).toBe(1);
      expect(await main.db.process.count({ where: { externalId: 'burst-bot' } })).toBe(1);
      expect(await main.db.session.count({ where: { uuid: '00000000-0000-4000-8000-0000000b0057' } })).toBe(
        1,
      );
    }),
  );

  it(
    'forgets a fact once when 20 forgetFact calls race',
    record('concurrency', 'forgetFact x 20 in parallel', async () => {
      const created = await post(
        main.url,
        'mutation { rememberFact(input: { entity: "burst-forget", content: "to forget" }) { ... on RememberFactSuccess { fact { id } } } }',
      );
      const id: string = created.body.data.rememberFact.fact.id;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          post(
            main.url,
            'mutation($id: ID!) { forgetFact(id: $id) { __typename ... on UserError { code } } }',
            { id },
          ),
        ),
      );
      const kinds = answers.map(
        (answer) => answer.body.data?.forgetFact?.__typename ?? JSON.stringify(answer.body).slice(0, 160),
      );
      expect(kinds.filter((kind) => kind === 'ForgetSuccess')).toHaveLength(1);
      expect(kinds.filter((kind) => kind !== 'ForgetSuccess' && kind !== 'NotFoundError')).toEqual([]);
    }),
  );

  /** A raw graphql-transport-ws socket that records every message. */
  async function openSocket() {
    const socket = new WebSocket(main.wsUrl, 'graphql-transport-ws');
    const messages: Record<string, Loose>[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init' }));
    for (let i = 0; i < 50 && !messages.some((message) => message.type === 'connection_ack'); i++)
      await sleep(20);
    return { socket, messages };
  }

  it(
    'fails only the over-limit operation on a socket; its other subscription keeps receiving events',
    record('websocket', 'over-limit operations beside a live subscription', async () => {
      const { socket, messages } = await openSocket();
      const subscribe = (id: string, query: string) =>
        socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
      subscribe('live', 'subscription { factChanged(entity: "ws-live") { kind fact { content } } }');
      subscribe(
        'deep',
        `subscription { factChanged(entity: "ws-live") { fact { ${'entity { sessions(first: 1) { edges { node { entity { '.repeat(6)}id${' } } } } }'.repeat(6)} } } }`,
      );
      subscribe(
        'alias',
        `subscription { factChanged(entity: "ws-live") { ${Array.from({ length: 31 }, (_, i) => `k${i}: kind`).join(' ')} } }`,
      );
      subscribe(
        'cost',
        'subscription { factChanged(entity: "ws-live") { fact { mentions(first: 100) { edges { node { message { conversation { messages(first: 100) { edges { node { conversation { messages(first: 100) { totalCount } } } } } } } } } } } } }',
      );
      await sleep(300);
      await post(
        main.url,
        'mutation { rememberFact(input: { entity: "ws-live", content: "event one" }) { __typename } }',
      );
      for (let i = 0; i < 100 && !messages.some((m) => m.id === 'live' && m.type === 'next'); i++)
        await sleep(20);
      const open = socket.readyState === WebSocket.OPEN;
      socket.terminate();
      const summary = messages.map((m) => `${m.type}:${m.id ?? ''}:${codeOf(m.payload?.[0]) ?? ''}`);
      console.log(`[hostile] ws isolation: open=${open} ${summary.join(' ')}`);
      for (const id of ['deep', 'alias', 'cost']) {
        const error = messages.find((m) => m.id === id && m.type === 'error');
        expect(error, `error for ${id}`).toBeDefined();
        expect(codeOf(error?.payload?.[0]), `code for ${id}`).toMatch(
          /^(GRAPHQL_VALIDATION_FAILED|QUERY_COST_EXCEEDED)$/,
        );
      }
      expect(open).toBe(true);
      expect(messages.some((m) => m.id === 'live' && m.type === 'next')).toBe(true);
    }),
  );

  it(
    'answers subscriptions past the per-socket limit with an error, and keeps serving',
    record('websocket', 'too many subscriptions on one socket', async () => {
      const { socket, messages } = await openSocket();
      for (let i = 0; i < 1000 && socket.readyState === WebSocket.OPEN; i++) {
        socket.send(
          JSON.stringify({
            id: `m${i}`,
            type: 'subscribe',
            payload: { query: `subscription { factChanged(entity: "many-${i}") { kind } }` },
          }),
        );
      }
      await sleep(1500);
      const errors = messages.filter((m) => m.type === 'error');
      const firstRefused = errors[0]?.id;
      console.log(
        `[hostile] 1,000 subscriptions on one socket: ${errors.length} refused (first ${firstRefused ?? 'none'}, ${JSON.stringify(errors[0]?.payload?.[0] ?? null).slice(0, 160)}), open=${socket.readyState === WebSocket.OPEN}`,
      );
      socket.terminate();
      expect(errors.length).toBeGreaterThan(0);
      expect(
        errors.every((m) => codeOf(m.payload?.[0]) && codeOf(m.payload?.[0]) !== 'INTERNAL_SERVER_ERROR'),
      ).toBe(true);
      expect(await isUp(main.url)).toBe(true);
    }),
  );

  it(
    'keeps answering while 40 slowloris sockets dribble headers',
    record('raw-protocol', 'slowloris: 40 sockets held open', async () => {
      const port = Number(new URL(main.url).port);
      const sockets = Array.from({ length: 40 }, () => {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        return socket;
      });
      const dribble = setInterval(() => {
        for (const socket of sockets) if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
      }, 100);
      try {
        await sleep(300);
        const timings: number[] = [];
        for (let i = 0; i < 10; i++) {
          const started = performance.now();
          expect(await isUp(main.url)).toBe(true);
          timings.push(performance.now() - started);
        }
        console.log(`[hostile] slowloris: slowest of 10 requests ${Math.round(Math.max(...timings))} ms`);
        expect(Math.max(...timings)).toBeLessThan(1000);
      } finally {
        clearInterval(dribble);
        for (const socket of sockets) socket.destroy();
      }
    }),
  );

  it(
    'rate-limits failed authentication with 429, Retry-After and RATE_LIMITED',
    record('rate-limit', 'failed authentication x 300', async () => {
      const guarded = await startTestServer({
        env: { NODE_ENV: 'production', API_KEYS: KEY, RATE_LIMIT_AUTH_FAILURES: '10' },
      });
      try {
        let limited:
          | { status: number; retryAfter: string | null; code?: string; attempt: number }
          | undefined;
        for (let i = 0; i < 300 && !limited; i++) {
          const response = await fetch(guarded.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer wrong-${i}` },
            body: '{"query":"{ __typename }"}',
          });
          const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
          if (response.status === 429) {
            limited = {
              status: 429,
              retryAfter: response.headers.get('retry-after'),
              code: body.errors?.[0]?.extensions?.code,
              attempt: i + 1,
            };
          }
        }
        console.log(
          `[hostile] failed authentication: ${JSON.stringify(limited ?? 'never limited in 300 attempts')}`,
        );
        expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED', attempt: 11 });
        expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
      } finally {
        await guarded.close();
      }
    }),
    60_000,
  );

  /** The figures for the README and the lead's worklist: counts per category and every failure. */
  function summary(rssAfter: number | null): string {
    const all = [...outcomes.entries()];
    const failed = all.filter(([, outcome]) => outcome.problems.length > 0);
    const byCategory = new Map<string, { cases: number; failed: number }>();
    const count = (category: string, ok: boolean) => {
      const row = byCategory.get(category) ?? { cases: 0, failed: 0 };
      row.cases++;
      if (!ok) row.failed++;
      byCategory.set(category, row);
    };
    for (const [testCase, outcome] of all) count(testCase.category, outcome.problems.length === 0);
    for (const item of extra) count(item.category, item.ok);
    const slowest = all
      .map(
        ([testCase, outcome]) =>
          `${testCase.category}/${testCase.name} ${Math.round(outcome.observation.ms)}ms`,
      )
      .sort((a, b) => Number(b.match(/(\d+)ms$/)?.[1]) - Number(a.match(/(\d+)ms$/)?.[1]))
      .slice(0, 5);
    return [
      `[hostile] ${TEST_DATABASE}: ${all.length + extra.length} cases in ${byCategory.size} categories (corpus ${all.length} in ${(corpusMs / 1000).toFixed(1)} s, ${extra.length} own tests)`,
      `[hostile] failed ${failed.length + extra.filter((item) => !item.ok).length}; server down after ${all.filter(([, o]) => o.crashed).length}; 5xx ${all.filter(([, o]) => o.fiveXX).length}; INTERNAL_SERVER_ERROR ${all.filter(([, o]) => o.internal).length}; rate-limited retries ${rateLimitedRetries}`,
      rssAfter === null
        ? `[hostile] RSS before ${rssBefore.toFixed(1)} MB`
        : `[hostile] RSS before ${rssBefore.toFixed(1)} MB, after ${rssAfter.toFixed(1)} MB, growth ${(rssAfter - rssBefore).toFixed(1)} MB`,
      `[hostile] slowest: ${slowest.join(', ')}`,
      ...[...byCategory.entries()].map(
        ([category, row]) => `[hostile]   ${category}: ${row.cases} cases, ${row.failed} failed`,
      ),
      ...failed.map(
        ([testCase, outcome]) =>
          `[hostile] FAIL ${testCase.category} | ${testCase.name} | ${summarize(outcome.observation)} | ${outcome.problems.join('; ')}`,
      ),
      ...extra.filter((item) => !item.ok).map((item) => `[hostile] FAIL ${item.category} | ${item.name}`),
    ].join('\n');
  }

  it('keeps the memory of the process bounded over the whole corpus, and prints the figures', () => {
    const rssAfter = rssMb();
    const heapAfter = process.memoryUsage().heapUsed / 1024 / 1024;
    console.log(summary(rssAfter));
    console.log(`[hostile] heap after GC ${heapBefore.toFixed(1)} -> ${heapAfter.toFixed(1)} MB`);
    // The server shares this process with the client that builds every hostile body (900 KB ones
    // six at a time), so RSS keeps their high-water mark; what the server kept shows in the heap
    // after a collection. tests/huge-documents.slow.test.ts measures a server process on its own.
    expect(heapAfter - heapBefore).toBeLessThan(64);
    expect(rssAfter - rssBefore).toBeLessThan(400);
  });

  // Last: on a server without a body limit this one can exhaust the heap and end the run.
  it(
    'refuses five distinct 20 MB documents with and without a key, fast and without holding memory',
    record('huge-body', '20 MB documents x 5, with and without a key', async () => {
      const before = rssMb();
      const answers: string[] = [];
      const slow: string[] = [];
      for (let i = 0; i < 5; i++) {
        for (const authorization of [undefined, `Bearer ${KEY}`]) {
          const comment = `# document ${i} ${authorization ? 'with' : 'without'} a key ${'#'.repeat(i)}\n`;
          const observation = await sendHttp(
            context,
            {
              kind: 'http',
              target: 'keyed',
              headers: authorization ? { authorization } : {},
              body: [
                `{"query":"${comment.replace('\n', '\\n')}{ `,
                { repeat: '__typename ', times: 1_818_182 },
                '}"}',
              ],
            },
            10_000,
          );
          const code = codeOf(errorsOf(observation)[0]);
          answers.push(`${i} ${authorization ? 'key' : 'no key'}: ${summarize(observation)}`);
          const refused = authorization
            ? observation.status === 413 && code === 'REQUEST_TOO_LARGE'
            : (observation.status === 401 && code === 'UNAUTHENTICATED') ||
              (observation.status === 413 && code === 'REQUEST_TOO_LARGE');
          if (!refused || observation.ms > 1000) slow.push(answers.at(-1) ?? '');
        }
        // A server that reads and parses these runs out of heap within a few of them: stop at the first.
        if (slow.length > 0) break;
      }
      const growth = rssMb() - before;
      console.log(`[hostile] 20 MB documents: RSS growth ${growth.toFixed(1)} MB\n  ${answers.join('\n  ')}`);
      expect(slow, 'refused within 1 s with 401/413').toEqual([]);
      // In this process the client builds the documents too: a loose bound here, the server alone
      // is measured in tests/huge-documents.slow.test.ts.
      expect(growth).toBeLessThan(200);
      expect(await isUp(keyed.url, { authorization: `Bearer ${KEY}` })).toBe(true);
    }),
    120_000,
  );
});
