/**
 * examples/ai-sdk-chat runs as a user would run it (a child process through tsx) against a real
 * Engram and a fake OpenAI-compatible API (a real HTTP server speaking its streaming protocol), so
 * the example cannot rot: the model must receive the recalled memory, the terminal must show the
 * streamed answer, and Engram must hold the turn in the example's session.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngramClient } from '../client-codegen/client/index.ts';
import { type FakeUpstream, openaiChunks, startFakeUpstream } from './helpers/fake-llm-upstream.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { wordHashEmbedder } from './helpers/vectors.ts';

const KEY = 'example-service-key';

function runExample(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/ai-sdk-chat/main.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('examples/ai-sdk-chat', () => {
  let server: TestServer;
  let llm: FakeUpstream;
  let client: EngramClient;

  beforeAll(async () => {
    [server, llm] = await Promise.all([
      startTestServer({ embedder: wordHashEmbedder(), env: { API_KEYS: `service:${KEY}` } }),
      startFakeUpstream(),
    ]);
    client = new EngramClient({ url: server.url, apiKey: KEY });
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all([server?.close(), llm?.close()]);
  });

  it('chats with memory through an OpenAI-compatible API and records the turn', async () => {
    llm.answer = {
      kind: 'sse',
      chunks: openaiChunks('chatcmpl-ex', [
        { role: 'assistant', content: 'A green ' },
        { content: 'sencha!' },
      ]),
    };
    const session = crypto.randomUUID();
    const run = await runExample(['/remember Drinks green tea every morning', 'Which tea should I buy?'], {
      ENGRAM_URL: server.url,
      ENGRAM_API_KEY: KEY,
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-fake',
      MODEL: 'gpt-fake',
      ENTITY: 'example-user',
      SESSION: session,
    });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toBe(
      `remembered: Drinks green tea every morning\nA green sencha!\n[session ${session}]\n`,
    );

    const request = llm.received.find((received) => received.path === '/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-fake');
    const messages = request?.body.messages as { role: string; content: unknown }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'system', 'user']);
    expect(messages[1]?.content).toContain('<engram-memory>');
    expect(messages[1]?.content).toContain('- Drinks green tea every morning');
    expect(messages[2]?.content).toBe('Which tea should I buy?');

    const stored = await client.sessionMessages(session);
    expect(stored?.entity.externalId).toBe('example-user');
    expect(stored?.messages.map((m) => `${m.role}: ${m.content}`)).toEqual([
      'USER: Which tea should I buy?',
      'ASSISTANT: A green sencha!',
    ]);
  });

  it('says what is missing instead of failing later', async () => {
    const run = await runExample(['hello'], { ENGRAM_URL: server.url });
    expect(run.code).toBe(2);
    expect(run.err).toContain('Set OPENAI_BASE_URL');
  });
});
