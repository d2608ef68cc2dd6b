/**
 * The AI SDK middleware (`engramMemory`) over a real Engram, with MockLanguageModelV3 as the model
 * (the one edge we cannot reach): the model receives the recalled memory as a delimited system
 * message and the user's words unchanged, the caller receives the model's output unchanged, and
 * the turn is stored in the middleware's session, incomplete when the stream was cut short.
 */
import { generateText, type LanguageModel, streamText, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngramClient, engramMemory, MEMORY_CLOSE, MEMORY_OPEN } from '../client-codegen/client/index.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { wordHashEmbedder } from './helpers/vectors.ts';

type GenerateResult = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>;
type StreamPart =
  Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never;

const KEY = 'middleware-service-key';
const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};
const answer = (text: string): GenerateResult => ({
  content: [{ type: 'text', text }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage,
  warnings: [],
});
const streamed = (deltas: string[]): StreamPart[] => [
  { type: 'stream-start', warnings: [] },
  { type: 'text-start', id: 't1' },
  ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
  { type: 'text-end', id: 't1' },
  { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
];
const uuid = () => crypto.randomUUID();

describe('engramMemory middleware', () => {
  let server: TestServer;
  let client: EngramClient;

  beforeAll(async () => {
    server = await startTestServer({ embedder: wordHashEmbedder(), env: { API_KEYS: `service:${KEY}` } });
    client = new EngramClient({ url: server.url, apiKey: KEY });
    await client.rememberFact({ entity: 'mw-1', content: 'Drinks green tea every morning' });
    await client.rememberFact({ entity: 'mw-1', content: 'Allergic to peanuts' });
    await client.rememberFact({ entity: 'mw-other', content: 'Drinks black coffee only' });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  const stored = async (session: string) =>
    (await client.sessionMessages(session))?.messages.map((m) => `${m.role}/${m.type}: ${m.content}`) ?? null;

  it('generateText: injects the memory block, keeps the user text, records the turn', async () => {
    const model = new MockLanguageModelV3({ doGenerate: async () => answer('Try a Japanese sencha.') });
    // No session given: the middleware makes one up, and the server takes it.
    const memory = engramMemory({ client, entity: 'mw-1', process: 'tea-bot' });
    const result = await generateText({
      model: wrapLanguageModel({ model, middleware: memory }),
      system: 'You are a terse shop assistant.',
      prompt: 'Which tea should I buy?',
    });
    expect(result.text).toBe('Try a Japanese sencha.');

    const prompt = model.doGenerateCalls[0]?.prompt ?? [];
    expect(prompt.map((m) => m.role)).toEqual(['system', 'system', 'user']);
    expect(prompt[0]).toMatchObject({ content: 'You are a terse shop assistant.' });
    const block = prompt[1]?.content as string;
    expect(block.startsWith(`${MEMORY_OPEN}\n`)).toBe(true);
    expect(block.endsWith(`\n${MEMORY_CLOSE}`)).toBe(true);
    expect(block).toContain('\n- Drinks green tea every morning\n');
    // Another entity's memory never reaches this user's call.
    expect(block).not.toContain('coffee');
    expect(prompt[2]).toMatchObject({ content: [{ type: 'text', text: 'Which tea should I buy?' }] });

    await memory.flush();
    expect(await stored(memory.session)).toEqual([
      'USER/text: Which tea should I buy?',
      'ASSISTANT/text: Try a Japanese sencha.',
    ]);
    const session = await client.sessionMessages(memory.session);
    expect(session?.entity.externalId).toBe('mw-1');
  });

  it('streamText: passes every chunk through unchanged and records when the stream ends', async () => {
    const deltas = ['Green ', 'tea, ', 'no peanuts.'];
    const model = new MockLanguageModelV3({
      doStream: async () => ({ stream: simulateReadableStream({ chunks: streamed(deltas) }) }),
    });
    const memory = engramMemory({ client, entity: 'mw-1', session: uuid() });
    const wrapped = wrapLanguageModel({ model, middleware: memory });

    // What the model emits is exactly what the caller of the wrapped model reads.
    const direct = await wrapped.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Any snack tips?' }] }],
    });
    const parts: StreamPart[] = [];
    for await (const part of direct.stream as unknown as AsyncIterable<StreamPart>) parts.push(part);
    expect(parts).toEqual(streamed(deltas));
    expect(JSON.stringify(model.doStreamCalls[0]?.prompt)).toContain('Allergic to peanuts');

    const result = streamText({ model: wrapped as LanguageModel, prompt: 'What do I drink in the morning?' });
    const text: string[] = [];
    for await (const chunk of result.textStream) text.push(chunk);
    expect(text).toEqual(deltas);
    const second = model.doStreamCalls[1]?.prompt ?? [];
    expect(second.map((m) => m.role)).toEqual(['system', 'user']);
    expect(second[0]?.content).toContain('- Drinks green tea every morning');

    await memory.flush();
    expect(await stored(memory.session)).toEqual([
      'USER/text: Any snack tips?',
      'ASSISTANT/text: Green tea, no peanuts.',
      'USER/text: What do I drink in the morning?',
      'ASSISTANT/text: Green tea, no peanuts.',
    ]);
  });

  it('records what arrived, as incomplete, when the caller aborts or the model fails mid-stream', async () => {
    const model = new MockLanguageModelV3({
      // As a provider's HTTP body does, the stream fails when the call's signal aborts.
      doStream: async ({ abortSignal }) => ({
        stream: new ReadableStream<StreamPart>({
          start(controller) {
            abortSignal?.addEventListener('abort', () => controller.error(abortSignal.reason), {
              once: true,
            });
            controller.enqueue({ type: 'stream-start', warnings: [] });
            controller.enqueue({ type: 'text-start', id: 't1' });
            controller.enqueue({ type: 'text-delta', id: 't1', delta: 'Half an ' });
            controller.enqueue({ type: 'text-delta', id: 't1', delta: 'answer' });
          },
        }),
      }),
    });
    const memory = engramMemory({ client, entity: 'mw-1', session: uuid(), recall: false });
    const abort = new AbortController();
    const result = streamText({
      model: wrapLanguageModel({ model, middleware: memory }),
      prompt: 'Tell me a long story',
      abortSignal: abort.signal,
      onError: () => {},
    });
    const text: string[] = [];
    for await (const chunk of result.textStream) {
      text.push(chunk);
      if (text.join('') === 'Half an answer') abort.abort();
    }
    expect(text.join('')).toBe('Half an answer');
    await memory.flush();
    expect(await stored(memory.session)).toEqual([
      'USER/text: Tell me a long story',
      'ASSISTANT/incomplete: Half an answer',
    ]);
    expect(model.doStreamCalls[0]?.prompt.map((m) => m.role)).toEqual(['user']);

    const before: StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: 't1' },
      { type: 'text-delta', id: 't1', delta: 'Cut sh' },
    ];
    const failing = new MockLanguageModelV3({
      doStream: async () => ({
        stream: new ReadableStream<StreamPart>(
          {
            // One part per read, then the failure (an error in start() would drop the queued parts).
            pull(controller) {
              const part = before.shift();
              if (part) controller.enqueue(part);
              else controller.error(new Error('upstream connection reset'));
            },
          },
          { highWaterMark: 0 },
        ),
      }),
    });
    const broken = engramMemory({ client, entity: 'mw-1', session: uuid() });
    const failed = streamText({
      model: wrapLanguageModel({ model: failing, middleware: broken }),
      prompt: 'Go on',
      onError: () => {},
    });
    const drained = (async () => {
      for await (const _ of failed.textStream) {
        // what arrived before the failure
      }
    })();
    // The caller sees the model's failure as it would without the middleware.
    await expect(drained).rejects.toThrow('upstream connection reset');
    await broken.flush();
    expect(await stored(broken.session)).toEqual(['USER/text: Go on', 'ASSISTANT/incomplete: Cut sh']);
  });

  it('keeps answering when Engram fails, and reports it to onError', async () => {
    const model = new MockLanguageModelV3({ doGenerate: async () => answer('Still here.') });
    const refused = new EngramClient({ url: server.url, apiKey: 'not-a-key' });
    const failures: string[] = [];
    const memory = engramMemory({
      client: refused,
      entity: 'mw-1',
      onError: (error, stage) => failures.push(`${stage}:${(error as { code?: string }).code}`),
    });
    const result = await generateText({
      model: wrapLanguageModel({ model, middleware: memory }),
      prompt: 'Hi',
    });
    expect(result.text).toBe('Still here.');
    await memory.flush();
    expect(failures).toEqual(['recall:UNAUTHENTICATED', 'record:UNAUTHENTICATED']);
    expect(model.doGenerateCalls[0]?.prompt.map((m) => m.role)).toEqual(['user']);
  });

  it('recall: false adds nothing, record: false stores nothing', async () => {
    const model = new MockLanguageModelV3({ doGenerate: async () => answer('Ok.') });
    const memory = engramMemory({ client, entity: 'mw-1', recall: false, record: false });
    await generateText({ model: wrapLanguageModel({ model, middleware: memory }), prompt: 'Which tea?' });
    await memory.flush();
    expect(model.doGenerateCalls[0]?.prompt.map((m) => m.role)).toEqual(['user']);
    expect(await stored(memory.session)).toBeNull();
  });

  it('records tool calls as the proxy does, and the user turn once across tool steps', async () => {
    const model = new MockLanguageModelV3({
      doGenerate: async () => ({
        ...answer(''),
        content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'weather', input: '{"city":"Lisbon"}' }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      }),
    });
    const memory = engramMemory({ client, entity: 'mw-1', session: uuid(), recall: false });
    const wrapped = wrapLanguageModel({ model, middleware: memory });
    await wrapped.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Weather?' }] }] });
    // The next step ends with the tool's result: the user's message is not recorded again.
    await wrapped.doGenerate({
      prompt: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 'c1',
              toolName: 'weather',
              output: { type: 'text', value: 'sun' },
            },
          ],
        },
      ],
    });
    await memory.flush();
    const call = JSON.stringify([{ toolCallId: 'c1', toolName: 'weather', input: '{"city":"Lisbon"}' }]);
    expect(await stored(memory.session)).toEqual([
      'USER/text: Weather?',
      `ASSISTANT/tool_calls: ${call}`,
      `ASSISTANT/tool_calls: ${call}`,
    ]);
  });
});
