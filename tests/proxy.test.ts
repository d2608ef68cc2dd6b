import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExtractionInput, Extractor } from '../src/augment/types.ts';
import { recordConversation } from '../src/services/conversations.ts';
import { rememberFact } from '../src/services/facts.ts';
import { memoryContext } from '../src/services/memory-context.ts';
import { addTriples } from '../src/services/triples.ts';
import {
  anthropicChunks,
  type FakeUpstream,
  openaiChunks,
  startFakeUpstream,
} from './helpers/fake-llm-upstream.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { wordHashEmbedder } from './helpers/vectors.ts';

const KEY = 'service:proxy-test-service-key';
const SERVICE_KEY = 'proxy-test-service-key';
const READ_KEY = 'proxy-test-read-key';
const ADMIN = { principal: { kind: 'key', role: 'admin', name: 'test' } as const, address: null };

/**
 * The LLM proxy (src/proxy/): the official `openai` and `@anthropic-ai/sdk` clients pointed at
 * Engram, Engram pointed at fake upstreams (real HTTP servers in this test that record what they
 * received). Memory is recalled into the request, the answer comes back unchanged, and the turn is
 * recorded in the session the call named.
 */
/**
 * Carol's memory: a fact and a triple learnt from one message ("My sister Dana plays the cello"),
 * and a triple learnt from no message (not a cello question's topic).
 */
async function seedCarol(deps: Parameters<typeof recordConversation>[0]): Promise<void> {
  const { messages } = await recordConversation(deps, ADMIN, {
    entity: 'proxy-carol',
    process: 'seed',
    messages: [{ role: 'USER', content: 'My sister Dana plays the cello' }],
  });
  const sourceMessageId = messages[0]?.id ?? null;
  await rememberFact(deps, ADMIN, {
    entity: 'proxy-carol',
    content: 'Has a sister who plays the cello',
    sourceMessageId,
  });
  await addTriples(deps, ADMIN, {
    entity: 'proxy-carol',
    sourceMessageId,
    triples: [{ subject: 'Dana', predicate: 'plays', object: 'cello' }],
  });
  await addTriples(deps, ADMIN, {
    entity: 'proxy-carol',
    triples: [{ subject: 'Carol', predicate: 'likes', object: 'jazz' }],
  });
}

describe('LLM proxy', () => {
  let server: TestServer;
  let openaiUpstream: FakeUpstream;
  let anthropicUpstream: FakeUpstream;
  let base: string;
  /** What augmentation was given: the recorded turns, as the extractor sees them. */
  const extracted: ExtractionInput[] = [];
  const extractor: Extractor = {
    name: 'proxy-test',
    async extract(input) {
      extracted.push(input);
      return {
        facts: [{ content: 'Asked the assistant a question', category: 'FACT', messageIndex: 0 }],
        triples: [],
      };
    },
  };

  beforeAll(async () => {
    [openaiUpstream, anthropicUpstream] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    server = await startTestServer({
      embedder: wordHashEmbedder(),
      extractor,
      env: {
        API_KEYS: `${KEY},read:${READ_KEY}`,
        PROXY_OPENAI_BASE_URL: `${openaiUpstream.url}/v1`,
        PROXY_OPENAI_API_KEY: 'sk-upstream-openai',
        PROXY_ANTHROPIC_BASE_URL: anthropicUpstream.url,
        PROXY_ANTHROPIC_API_KEY: 'sk-upstream-anthropic',
        PROXY_MEMORY: 'facts',
        AUGMENTATION: 'on',
        AUGMENTATION_CONCURRENCY: '1',
        AUGMENTATION_POLL_MS: '20',
      },
    });
    base = server.url.replace(/\/graphql$/, '');
    const deps = server.engram.services;
    for (const entity of ['proxy-alice', 'proxy-bob']) {
      await rememberFact(deps, ADMIN, { entity, content: `${entity} drinks green tea every morning` });
      await rememberFact(deps, ADMIN, { entity, content: `${entity} owns a bicycle` });
    }
  });

  afterAll(async () => {
    await server?.close();
    await Promise.all([openaiUpstream?.close(), anthropicUpstream?.close()]);
  });

  const openai = (headers: Record<string, string> = {}, apiKey = SERVICE_KEY) =>
    new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0, defaultHeaders: headers });
  const anthropic = (headers: Record<string, string> = {}, apiKey = SERVICE_KEY) =>
    new Anthropic({ baseURL: base, apiKey, maxRetries: 0, defaultHeaders: headers });

  /** The session's messages, oldest first, once the proxy's recordings are written. */
  const sessionMessages = async (uuid: string, on: TestServer = server) => {
    await on.app.proxy?.settled();
    const session = await on.db.session.findUnique({
      where: { uuid },
      include: {
        entity: true,
        process: true,
        conversations: { include: { messages: { orderBy: { id: 'asc' } } }, orderBy: { id: 'asc' } },
      },
    });
    return {
      session,
      messages: (session?.conversations ?? []).flatMap((conversation) =>
        conversation.messages.map(({ role, content, type }) => ({ role, content, type })),
      ),
    };
  };

  /** The augmentation job of the recorded conversations, once it is no longer waiting or running. */
  const augmentationOf = async (conversationIds: number[]) => {
    const where = { conversationId: { in: conversationIds } };
    return vi.waitFor(
      async () => {
        const job = await server.db.augmentationJob.findFirst({ where });
        if (job?.status !== 'DONE') throw new Error(`augmentation job: ${job?.status ?? 'none yet'}`);
        return job;
      },
      { timeout: 20_000, interval: 20 },
    );
  };

  it('streams a chat completion with memory injected and records the turn (OpenAI)', async () => {
    const chunks = openaiChunks('chatcmpl-1', [
      { role: 'assistant', content: '' },
      { content: 'You like ' },
      { content: 'green tea.' },
    ]);
    openaiUpstream.answer = { kind: 'sse', chunks };
    const session = randomUUID();
    const stream = await openai({
      'X-Engram-Entity': 'proxy-alice',
      'X-Engram-Session': session,
    }).chat.completions.create({
      model: 'gpt-fake',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What tea do I drink?' },
      ],
    });
    const received: unknown[] = [];
    for await (const chunk of stream) received.push(chunk);

    // The client got the upstream's chunks, unchanged.
    const sent = chunks
      .filter((chunk) => !chunk.includes('[DONE]'))
      .map((chunk) => JSON.parse(chunk.slice(6)));
    expect(received).toEqual(sent);

    const upstream = openaiUpstream.received.at(-1);
    expect(upstream?.path).toBe('/v1/chat/completions');
    expect(upstream?.headers.authorization).toBe('Bearer sk-upstream-openai');
    const messages = upstream?.body.messages as { role: string; content: string }[];
    expect(messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(messages[1]?.role).toBe('system');
    expect(messages[1]?.content).toMatch(
      /^<engram-memory>\n[\s\S]*proxy-alice drinks green tea[\s\S]*<\/engram-memory>$/,
    );
    // Only this entity's memory.
    expect(messages[1]?.content).not.toContain('proxy-bob');
    expect(messages[2]).toEqual({ role: 'user', content: 'What tea do I drink?' });

    const stored = await sessionMessages(session);
    expect(stored.session?.entity.externalId).toBe('proxy-alice');
    expect(stored.session?.process.externalId).toBe('proxy');
    expect(stored.messages).toEqual([
      { role: 'USER', content: 'What tea do I drink?', type: 'text' },
      { role: 'ASSISTANT', content: 'You like green tea.', type: 'text' },
    ]);
    // Then augmented, as any recorded turn is.
    await augmentationOf(stored.session?.conversations.map((c) => c.id) ?? []);
    expect(extracted).toContainEqual(
      expect.objectContaining({
        entity: 'proxy-alice',
        messages: [
          { role: 'USER', content: 'What tea do I drink?' },
          { role: 'ASSISTANT', content: 'You like green tea.' },
        ],
      }),
    );
  });

  it('passes a stream back byte for byte', async () => {
    const chunks = openaiChunks('chatcmpl-raw', [{ content: 'ünïcode ' }, { content: 'split' }]);
    openaiUpstream.answer = { kind: 'sse', chunks };
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'm',
        stream: true,
        user: 'proxy-alice',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe(chunks.join(''));
  });

  it('stops pulling a stream from the upstream while the client is not reading', async () => {
    // About 100 MB: far more than the kernel's socket buffers (tens of MB at most) and the stream
    // buffers between the upstream and the client can hold.
    openaiUpstream.answer = { kind: 'flood', events: 3072, size: 32 * 1024 };
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' },
      });
      req.once('response', resolve).once('error', reject);
      req.end(
        JSON.stringify({
          model: 'm',
          stream: true,
          user: 'proxy-dave',
          messages: [{ role: 'user', content: 'Tell me everything' }],
        }),
      );
    });
    expect(response.statusCode).toBe(200);
    const hash = createHash('sha256');
    let received = 0;
    const ended = once(response, 'end');
    const first = new Promise<void>((resolve) => {
      response.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        // The client reads one chunk, then stops.
        if (received === chunk.length) {
          response.pause();
          resolve();
        }
      });
    });
    await first;
    const flood = openaiUpstream.flood;
    if (!flood) throw new Error('the upstream was not called');
    // The upstream's writes block and stay blocked (300 ms without the connection taking a byte):
    // the proxy stopped reading from it. Had it kept pulling, buffering for the client, the
    // upstream would have written everything instead (no slow machine makes that wait end early).
    const stalledAt = await Promise.race([flood.stalled(300), flood.finished.then(() => flood.total)]);
    expect(stalledAt).toBeLessThan(flood.total);
    expect(received).toBeLessThan(stalledAt);

    response.resume();
    await ended;
    await flood.finished;
    expect(received).toBe(flood.total);
    expect(hash.digest('hex')).toBe(flood.digest);
  });

  it('answers a non-streamed completion, tool calls untouched, and records them (OpenAI)', async () => {
    const answer = {
      id: 'chatcmpl-2',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-fake',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
    };
    openaiUpstream.answer = { kind: 'json', body: answer };
    const session = randomUUID();
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    const completion = await openai({
      'X-Engram-Session': session,
      'X-Engram-Process': 'app-1',
    }).chat.completions.create({
      model: 'gpt-fake',
      user: 'proxy-bob',
      tools,
      messages: [{ role: 'user', content: 'Weather in Paris for my bicycle ride?' }],
    });
    expect(completion).toEqual(answer);
    const upstream = openaiUpstream.received.at(-1);
    expect(upstream?.body.tools).toEqual(tools);
    const messages = upstream?.body.messages as { role: string; content: string }[];
    expect(messages[0]?.content).toContain('proxy-bob owns a bicycle');
    expect(messages[1]).toEqual({ role: 'user', content: 'Weather in Paris for my bicycle ride?' });

    const stored = await sessionMessages(session);
    expect(stored.session?.entity.externalId).toBe('proxy-bob');
    expect(stored.session?.process.externalId).toBe('app-1');
    expect(stored.messages).toEqual([
      { role: 'USER', content: 'Weather in Paris for my bicycle ride?', type: 'text' },
      {
        role: 'ASSISTANT',
        content: JSON.stringify(answer.choices[0]?.message.tool_calls),
        type: 'tool_calls',
      },
    ]);
  });

  it('streams Anthropic messages with memory in `system` and records the turn', async () => {
    const chunks = anthropicChunks('msg_1', ['You drink ', 'green tea.']);
    anthropicUpstream.answer = { kind: 'sse', chunks };
    const session = randomUUID();
    const events: unknown[] = [];
    const stream = await anthropic({ 'X-Engram-Session': session }).messages.create({
      model: 'claude-fake',
      max_tokens: 100,
      stream: true,
      system: 'Be brief.',
      metadata: { user_id: 'proxy-alice' },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Which tea do I drink?' }] }],
    });
    for await (const event of stream) events.push(event);
    expect(events).toEqual(chunks.map((chunk) => JSON.parse(chunk.split('\ndata: ')[1] as string)));

    const upstream = anthropicUpstream.received.at(-1);
    expect(upstream?.path).toBe('/v1/messages');
    expect(upstream?.headers['x-api-key']).toBe('sk-upstream-anthropic');
    expect(upstream?.headers.authorization).toBeUndefined();
    const system = upstream?.body.system as { type: string; text: string }[];
    expect(system[0]).toEqual({ type: 'text', text: 'Be brief.' });
    expect(system[1]?.text).toMatch(
      /^<engram-memory>[\s\S]*proxy-alice drinks green tea[\s\S]*<\/engram-memory>$/,
    );
    expect(upstream?.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Which tea do I drink?' }] },
    ]);

    const stored = await sessionMessages(session);
    expect(stored.session?.entity.externalId).toBe('proxy-alice');
    expect(stored.messages).toEqual([
      { role: 'USER', content: 'Which tea do I drink?', type: 'text' },
      { role: 'ASSISTANT', content: 'You drink green tea.', type: 'text' },
    ]);
    // Then augmented, as any recorded turn is.
    await augmentationOf(stored.session?.conversations.map((c) => c.id) ?? []);
    expect(extracted).toContainEqual(
      expect.objectContaining({
        entity: 'proxy-alice',
        messages: [
          { role: 'USER', content: 'Which tea do I drink?' },
          { role: 'ASSISTANT', content: 'You drink green tea.' },
        ],
      }),
    );
  });

  it('answers a non-streamed Anthropic message with tool use untouched', async () => {
    const answer = {
      id: 'msg_2',
      type: 'message',
      role: 'assistant',
      model: 'claude-fake',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5 },
    };
    anthropicUpstream.answer = { kind: 'json', body: answer };
    const session = randomUUID();
    const message = await anthropic({
      'X-Engram-Entity': 'proxy-bob',
      'X-Engram-Session': session,
    }).messages.create({
      model: 'claude-fake',
      max_tokens: 100,
      tools: [
        { name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      ],
      messages: [{ role: 'user', content: 'Weather for my bicycle?' }],
    });
    expect(message).toEqual(answer);
    expect(anthropicUpstream.received.at(-1)?.body.system).toMatch(/proxy-bob owns a bicycle/);
    const stored = await sessionMessages(session);
    expect(stored.messages).toEqual([
      { role: 'USER', content: 'Weather for my bicycle?', type: 'text' },
      { role: 'ASSISTANT', content: 'Checking.', type: 'text' },
      {
        role: 'ASSISTANT',
        content: JSON.stringify([{ id: 'toolu_1', name: 'weather', input: { city: 'Paris' } }]),
        type: 'tool_calls',
      },
    ]);
  });

  it("passes the upstream's error status and body through, and records nothing", async () => {
    const error = {
      error: { message: 'Rate limit reached', type: 'rate_limit_error', param: null, code: null },
    };
    openaiUpstream.answer = { kind: 'json', status: 429, body: error };
    const session = randomUUID();
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SERVICE_KEY}`,
        'content-type': 'application/json',
        'x-engram-session': session,
      },
      body: JSON.stringify({ model: 'm', user: 'proxy-alice', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('x-request-id')).toBe('req-fake');
    expect(await response.text()).toBe(JSON.stringify(error));
    // Through the SDK: its own error class, with the status.
    await expect(
      openai().chat.completions.create({
        model: 'm',
        user: 'proxy-alice',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 429 });
    expect((await sessionMessages(session)).session).toBeNull();
  });

  it('refuses a call naming no entity with a 400 in the provider’s error shape', async () => {
    const before = openaiUpstream.received.length;
    await expect(
      openai().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 400, error: { type: 'invalid_request_error' } });
    await expect(
      anthropic().messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({
      status: 400,
      error: { type: 'error', error: { type: 'invalid_request_error' } },
    });
    expect(openaiUpstream.received.length).toBe(before);
  });

  it('lets an entity token act for its entity only, and a read key not at all', async () => {
    const { token } = await server.engram.tokens.issue('proxy-alice', 60, ['READ', 'WRITE']);
    openaiUpstream.answer = {
      kind: 'json',
      body: {
        id: 'x',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
      },
    };
    const before = openaiUpstream.received.length;
    await expect(
      openai({ 'X-Engram-Entity': 'proxy-bob' }, token).chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 403, error: { type: 'permission_error' } });
    await expect(
      openai({}, token).chat.completions.create({
        model: 'm',
        user: 'proxy-bob',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect(openaiUpstream.received.length).toBe(before);

    // Without naming one, the token's own entity.
    const session = randomUUID();
    const ok = await openai({ 'X-Engram-Session': session }, token).chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'tea?' }],
    });
    expect(ok.choices[0]?.message.content).toBe('ok');
    expect((await sessionMessages(session)).session?.entity.externalId).toBe('proxy-alice');

    await expect(
      openai({}, READ_KEY).chat.completions.create({
        model: 'm',
        user: 'proxy-alice',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 403 });
    const refused = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-a-key', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    await expect(
      openai({}, 'not-a-key').chat.completions.create({
        model: 'm',
        user: 'proxy-alice',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 401, error: { type: 'authentication_error' } });
  });

  it('records an aborted stream with what arrived, marked incomplete', async () => {
    openaiUpstream.answer = {
      kind: 'sse',
      chunks: openaiChunks('chatcmpl-3', [{ content: 'Half an ' }, { content: 'answer' }], false),
      hang: true,
    };
    const session = randomUUID();
    const controller = new AbortController();
    const stream = await openai({
      'X-Engram-Entity': 'proxy-alice',
      'X-Engram-Session': session,
    }).chat.completions.create(
      { model: 'm', stream: true, messages: [{ role: 'user', content: 'Tell me a long story' }] },
      { signal: controller.signal },
    );
    let seen = 0;
    try {
      for await (const _chunk of stream) {
        seen++;
        if (seen === 2) controller.abort();
      }
    } catch {
      // The SDK may end the loop or throw its abort error: either way the client went away.
    }
    expect(seen).toBe(2);
    // The upstream call is cancelled with the client's.
    await openaiUpstream.lastClosed;
    const stored = await sessionMessages(session);
    expect(stored.messages).toEqual([
      { role: 'USER', content: 'Tell me a long story', type: 'text' },
      { role: 'ASSISTANT', content: 'Half an answer', type: 'incomplete' },
    ]);
  });

  it('records a stream as whole when the client hangs up right after its end marker', async () => {
    // The upstream keeps the connection open after [DONE]; the SDK stops reading there and goes.
    openaiUpstream.answer = {
      kind: 'sse',
      chunks: openaiChunks('chatcmpl-4', [{ content: 'All of ' }, { content: 'it' }]),
      hang: true,
    };
    const session = randomUUID();
    const stream = await openai({
      'X-Engram-Entity': 'proxy-alice',
      'X-Engram-Session': session,
    }).chat.completions.create({
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: 'Say all of it' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('All of it');
    await openaiUpstream.lastClosed;
    expect((await sessionMessages(session)).messages).toEqual([
      { role: 'USER', content: 'Say all of it', type: 'text' },
      { role: 'ASSISTANT', content: 'All of it', type: 'text' },
    ]);
  });

  it('passes the caller’s provider key through when allowed, and times out a silent upstream', async () => {
    const other = await startTestServer({
      env: {
        API_KEYS: KEY,
        PROXY_OPENAI_BASE_URL: `${openaiUpstream.url}/v1`,
        PROXY_OPENAI_API_KEY: 'sk-configured',
        PROXY_ANTHROPIC_BASE_URL: anthropicUpstream.url,
        PROXY_PASS_THROUGH_KEYS: 'true',
        PROXY_MEMORY: 'off',
        PROXY_FIRST_BYTE_TIMEOUT_MS: '300',
      },
    });
    try {
      const otherBase = other.url.replace(/\/graphql$/, '');
      openaiUpstream.answer = {
        kind: 'json',
        body: {
          id: 'x',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
        },
      };
      const client = new OpenAI({
        baseURL: `${otherBase}/v1`,
        apiKey: SERVICE_KEY,
        maxRetries: 0,
        defaultHeaders: { 'X-Provider-Authorization': 'Bearer sk-callers-own' },
      });
      await client.chat.completions.create({
        model: 'm',
        user: 'proxy-alice',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(openaiUpstream.received.at(-1)?.headers.authorization).toBe('Bearer sk-callers-own');
      // Memory off: the request goes up as it came.
      expect(openaiUpstream.received.at(-1)?.body.messages).toEqual([{ role: 'user', content: 'hi' }]);

      anthropicUpstream.answer = { kind: 'json', body: { id: 'm', type: 'message', content: [] } };
      await new Anthropic({
        baseURL: otherBase,
        apiKey: SERVICE_KEY,
        maxRetries: 0,
        defaultHeaders: { 'x-api-key': 'sk-ant-callers-own' },
      }).messages.create({
        model: 'm',
        max_tokens: 5,
        metadata: { user_id: 'proxy-alice' },
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(anthropicUpstream.received.at(-1)?.headers['x-api-key']).toBe('sk-ant-callers-own');

      openaiUpstream.answer = { kind: 'silent' };
      const started = Date.now();
      await expect(
        client.chat.completions.create({
          model: 'm',
          user: 'proxy-alice',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      ).rejects.toMatchObject({ status: 504, error: { type: 'api_error' } });
      expect(Date.now() - started).toBeLessThan(5000);
      await openaiUpstream.lastClosed;
    } finally {
      await other.close();
    }
  });

  /** A second server on the same fake upstreams, with memory off and its own settings. */
  const serverWith = (env: Record<string, string>) =>
    startTestServer({
      env: {
        API_KEYS: KEY,
        PROXY_OPENAI_BASE_URL: `${openaiUpstream.url}/v1`,
        PROXY_ANTHROPIC_BASE_URL: anthropicUpstream.url,
        PROXY_MEMORY: 'off',
        ...env,
      },
    });

  /** A streamed completion through `on`, raw, for the session given. */
  const streamedCall = (on: TestServer, session: string, content: string) =>
    fetch(on.url.replace(/\/graphql$/, '/v1/chat/completions'), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SERVICE_KEY}`,
        'content-type': 'application/json',
        'x-engram-session': session,
      },
      body: JSON.stringify({
        model: 'm',
        stream: true,
        user: 'proxy-alice',
        messages: [{ role: 'user', content }],
      }),
    });

  /** A response body read to its end, or until the connection is cut (`cut` is then the error). */
  const readBody = async (response: Response) => {
    if (!response.body) throw new Error('no body');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return { text, cut: null };
        text += decoder.decode(value, { stream: true });
      }
    } catch (error) {
      return { text, cut: error };
    }
  };

  /** The text of the complete OpenAI chunk events in a stream's bytes. */
  const deltaText = (sse: string) =>
    sse
      .split('\n\n')
      .slice(0, -1)
      .filter((event) => event.startsWith('data: {'))
      .map((event) => JSON.parse(event.slice('data: '.length)).choices[0].delta.content ?? '')
      .join('');

  it('cuts a stream whose upstream falls silent mid-way (idle timeout) and records what arrived as incomplete', async () => {
    const other = await serverWith({ PROXY_FIRST_BYTE_TIMEOUT_MS: '300' });
    try {
      const chunks = openaiChunks('chatcmpl-idle', [{ content: 'Once upon ' }, { content: 'a time' }], false);
      openaiUpstream.answer = { kind: 'sse', chunks, hang: true };
      const session = randomUUID();
      const response = await streamedCall(other, session, 'Tell me a story');
      expect(response.status).toBe(200);
      const { text, cut } = await readBody(response);
      // The status was sent with the first bytes: the client learns of the cut from the connection.
      expect(cut).toBeInstanceOf(TypeError);
      expect(text).toBe(chunks.join(''));
      // The upstream call is given up, not left open.
      await openaiUpstream.lastClosed;
      expect((await sessionMessages(session, other)).messages).toEqual([
        { role: 'USER', content: 'Tell me a story', type: 'text' },
        { role: 'ASSISTANT', content: 'Once upon a time', type: 'incomplete' },
      ]);
    } finally {
      await other.close();
    }
  });

  it('cuts a stream still flowing at the total timeout and records what arrived as incomplete', async () => {
    // Never idle for long (a chunk every 20 ms), but the whole answer takes over 6 s.
    const other = await serverWith({ PROXY_TOTAL_TIMEOUT_MS: '1000' });
    try {
      const chunks = openaiChunks(
        'chatcmpl-long',
        Array.from({ length: 300 }, () => ({ content: 'tick ' })),
      );
      openaiUpstream.answer = { kind: 'sse', chunks, gapMs: 20 };
      const session = randomUUID();
      const response = await streamedCall(other, session, 'Count for a long time');
      expect(response.status).toBe(200);
      const { text, cut } = await readBody(response);
      expect(cut).toBeInstanceOf(TypeError);
      const whole = chunks.join('');
      expect(text.length).toBeLessThan(whole.length);
      expect(whole.startsWith(text)).toBe(true);
      await openaiUpstream.lastClosed;
      const arrived = deltaText(text);
      expect(arrived).toMatch(/^(tick )+$/);
      expect((await sessionMessages(session, other)).messages).toEqual([
        { role: 'USER', content: 'Count for a long time', type: 'text' },
        // (Stored trimmed, as every message is.)
        { role: 'ASSISTANT', content: arrived.trim(), type: 'incomplete' },
      ]);
    } finally {
      await other.close();
    }
  });

  it('passes a stream longer than MAX_CONTENT_LENGTH back whole and records it cut to the limit, as incomplete', async () => {
    const other = await serverWith({ MAX_CONTENT_LENGTH: '60' });
    try {
      const pieces = Array.from({ length: 200 }, (_, i) => ({ content: `word${i} ` }));
      const chunks = openaiChunks('chatcmpl-longer', pieces);
      openaiUpstream.answer = { kind: 'sse', chunks, gapMs: 0 };
      const session = randomUUID();
      const response = await streamedCall(other, session, 'Say many words');
      expect(response.status).toBe(200);
      const { text, cut } = await readBody(response);
      expect(cut).toBeNull();
      expect(text).toBe(chunks.join(''));
      const said = pieces.map((piece) => piece.content).join('');
      expect((await sessionMessages(session, other)).messages).toEqual([
        { role: 'USER', content: 'Say many words', type: 'text' },
        { role: 'ASSISTANT', content: said.slice(0, 60).trim(), type: 'incomplete' },
      ]);
    } finally {
      await other.close();
    }
  });

  describe('with PROXY_MEMORY=facts_and_triples, a top-k of 3 and a budget of 150 tokens', () => {
    let memory: TestServer;
    const TOP_K = 3;
    const MAX_TOKENS = 150;
    beforeAll(async () => {
      memory = await startTestServer({
        embedder: wordHashEmbedder(),
        env: {
          API_KEYS: KEY,
          PROXY_OPENAI_BASE_URL: `${openaiUpstream.url}/v1`,
          PROXY_MEMORY: 'facts_and_triples',
          PROXY_MEMORY_TOP_K: String(TOP_K),
          PROXY_MEMORY_MAX_TOKENS: String(MAX_TOKENS),
        },
      });
    });
    afterAll(async () => {
      await memory?.close();
    });

    /** Calls the proxy for `entity` and returns the memory block the upstream received, split up. */
    const injected = async (entity: string, question: string) => {
      openaiUpstream.answer = {
        kind: 'json',
        body: {
          id: 'x',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
        },
      };
      await new OpenAI({
        baseURL: memory.url.replace(/\/graphql$/, '/v1'),
        apiKey: SERVICE_KEY,
        maxRetries: 0,
      }).chat.completions.create({
        model: 'm',
        user: entity,
        messages: [{ role: 'user', content: question }],
      });
      const messages = openaiUpstream.received.at(-1)?.body.messages as { role: string; content: string }[];
      expect(messages).toHaveLength(2);
      expect(messages[0]?.role).toBe('system');
      const block = messages[0]?.content ?? '';
      const lines = block.split('\n');
      expect(lines[0]).toBe('<engram-memory>');
      expect(lines.at(-1)).toBe('</engram-memory>');
      const relations = lines.indexOf('Relations:');
      const items = (from: number, to: number) =>
        lines.slice(from, to).flatMap((line) => (line.startsWith('- ') ? [line.slice(2)] : []));
      return {
        block,
        facts: items(1, relations === -1 ? -1 : relations),
        triples: relations === -1 ? [] : items(relations + 1, -1),
      };
    };

    it('injects the triples learnt from the recalled facts’ messages', async () => {
      await seedCarol(memory.engram.services);
      const { facts, triples } = await injected('proxy-carol', 'Who plays the cello?');
      expect(facts).toEqual(['Has a sister who plays the cello']);
      expect(triples).toHaveLength(1);
      expect(triples[0]).toMatch(/^dana plays cello$/i);
    });

    it('injects at most top-k facts', async () => {
      const deps = memory.engram.services;
      const seeded = ['hiking', 'chess', 'jazz', 'cooking', 'sailing', 'painting'].map(
        (hobby) => `proxy-erin likes ${hobby}`,
      );
      for (const content of seeded) await rememberFact(deps, ADMIN, { entity: 'proxy-erin', content });
      const question = 'What does proxy-erin like?';
      const recalled = await memoryContext(
        deps,
        ADMIN.principal,
        { entity: 'proxy-erin', query: question, first: 100, withTriples: false },
        100,
      );
      expect(recalled.facts).toHaveLength(seeded.length);
      const { facts, triples } = await injected('proxy-erin', question);
      // All six are recalled without a limit and would fit the budget: the top-k keeps three, whole.
      expect(facts).toHaveLength(TOP_K);
      for (const fact of facts) expect(seeded).toContain(fact);
      expect(triples).toEqual([]);
    });

    it('keeps the block within the token budget, dropping whole facts', async () => {
      const deps = memory.engram.services;
      const seeded = [
        'proxy-fred wrote in the diary about the long walk along the river, the grey herons standing in the shallows, the willows bending over the water, the old stone bridge near the mill and the rain that caught him on the way home',
        'proxy-fred wrote in the diary about the Saturday market in the square, the cheese stall run by two brothers, the baker who sells rye bread only before nine, the flower seller shouting prices and the busker playing the accordion',
        'proxy-fred wrote in the diary about the night train to Vienna, the narrow couchette shared with a retired teacher, the customs officers at the border at three in the morning and the coffee served cold at breakfast',
      ];
      for (const content of seeded) await rememberFact(deps, ADMIN, { entity: 'proxy-fred', content });
      // All three are recalled for the question: only the budget can leave some out.
      const question = 'What did proxy-fred write in the diary?';
      const recalled = await memoryContext(
        deps,
        ADMIN.principal,
        { entity: 'proxy-fred', query: question, first: TOP_K, withTriples: false },
        100,
      );
      expect(recalled.facts).toHaveLength(3);
      const { block, facts } = await injected('proxy-fred', question);
      // Tokens are counted as characters / 4.
      expect(block.length).toBeLessThanOrEqual(MAX_TOKENS * 4);
      // The budget, not the top-k, is what held the block back: fewer facts than k, each whole.
      expect(facts.length).toBeGreaterThan(0);
      expect(facts.length).toBeLessThan(TOP_K);
      for (const fact of facts) expect(seeded).toContain(fact);
    });
  });

  it('recalls, with facts_and_triples, the current triples of the recalled facts’ messages', async () => {
    const deps = server.engram.services;
    await seedCarol(deps);
    const input = { entity: 'proxy-carol', query: 'who plays the cello?', first: 5 };
    const context = await memoryContext(deps, ADMIN.principal, { ...input, withTriples: true }, 100);
    // (Augmentation of the seeding turn may add the test extractor's fact beside it.)
    expect(context.facts).toContain('Has a sister who plays the cello');
    expect(context.triples).toHaveLength(1);
    expect(context.triples[0]).toMatch(/^dana plays cello$/i);
    expect(
      (await memoryContext(deps, ADMIN.principal, { ...input, withTriples: false }, 100)).triples,
    ).toEqual([]);
  });

  it('serves no /v1 route when no upstream is configured', async () => {
    const plain = await startTestServer({ env: { API_KEYS: KEY } });
    try {
      const response = await fetch(plain.url.replace(/\/graphql$/, '/v1/chat/completions'), {
        method: 'POST',
        headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
