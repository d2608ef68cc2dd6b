/**
 * The client's pure parts: the middleware's memory block is byte for byte the LLM proxy's (a
 * model sees the same memory whichever way Engram is put in front of it), JWT expiry decoding,
 * the token cache's clock, and the library bundling for browsers with no Node built-in.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Credentials, tokenExpiry } from '../client-codegen/client/credentials.ts';
import { EngramClient, engramMemory } from '../client-codegen/client/index.ts';
import { memoryBlock } from '../client-codegen/client/memory-block.ts';
import { memoryBlock as proxyMemoryBlock } from '../src/proxy/inject.ts';

const jwt = (claims: Record<string, unknown>) =>
  `${btoa('{"alg":"HS256"}')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.signature`;

describe('the client memory block', () => {
  const cases = [
    { facts: ['Drinks green tea', 'Lives  in\nLisbon'], triples: [], budget: 1000 },
    { facts: ['Likes jazz'], triples: ['Ana lives_in Lisbon', 'Ana works_at Acme'], budget: 1000 },
    { facts: [], triples: ['Ana lives_in Lisbon'], budget: 1000 },
    { facts: ['x'.repeat(300), 'y'.repeat(300), 'z'], triples: ['a b c'], budget: 120 },
    { facts: ['only'], triples: ['t'.repeat(500)], budget: 60 },
    { facts: [], triples: [], budget: 1000 },
    { facts: ['too long for any budget'], triples: [], budget: 10 },
  ];
  it.each(cases)(
    'matches the proxy’s for $facts.length facts, $triples.length triples, $budget tokens',
    (input) => {
      const expected = proxyMemoryBlock({ facts: input.facts, triples: input.triples }, input.budget);
      expect(memoryBlock({ facts: input.facts, triples: input.triples }, input.budget)).toBe(expected);
    },
  );
});

describe('entity tokens in the client', () => {
  it('reads exp without verifying, and null when there is none', () => {
    expect(tokenExpiry(jwt({ sub: 'u-1', exp: 1_900_000_000 }))).toBe(1_900_000_000);
    expect(tokenExpiry(jwt({ sub: 'ü-ñ', exp: 42, pad: '??>>' }))).toBe(42);
    expect(tokenExpiry(jwt({ sub: 'u-1' }))).toBeNull();
    expect(tokenExpiry('an-api-key')).toBeNull();
    expect(tokenExpiry('a.%%%.c')).toBeNull();
  });

  it('keeps a provided token until skew seconds before exp, sharing one fetch between callers', async () => {
    let now = 1_000_000_000_000;
    let calls = 0;
    const credentials = new Credentials(
      {
        getToken: async () => {
          calls++;
          return jwt({ exp: now / 1000 + 60, n: calls });
        },
        refreshSkewSeconds: 10,
      },
      () => now,
    );
    const [a, b] = await Promise.all([credentials.current(), credentials.current()]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    now += 49_000;
    expect(await credentials.current()).toBe(a);
    now += 2_000;
    expect(await credentials.current()).not.toBe(a);
    expect(calls).toBe(2);
    credentials.invalidate('some older token');
    await credentials.current();
    expect(calls).toBe(2);
    credentials.invalidate();
    await credentials.current();
    expect(calls).toBe(3);
  });

  it('takes one credential, not several', () => {
    expect(() => new Credentials({ apiKey: 'k', token: 't' })).toThrow(
      'give one of apiKey, token or getToken',
    );
  });
});

describe('the middleware’s session', () => {
  it('is a fresh v4 uuid per middleware unless one is given', () => {
    const client = new EngramClient({ url: 'http://127.0.0.1:1/graphql' });
    const a = engramMemory({ client, entity: 'x' }).session;
    const b = engramMemory({ client, entity: 'x' }).session;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(engramMemory({ client, entity: 'x', session: 'chat-1' }).session).toBe('chat-1');
  });

  it('records turns one after another, in the order they happened, even past a failure', async () => {
    // The first recording is the slowest: sent at once, the second would be stored first.
    const log: string[] = [];
    let calls = 0;
    const client = {
      recordConversation: async (input: { messages: { content: string }[] }) => {
        const text = input.messages.map((m) => m.content).join('+');
        log.push(`start ${text}`);
        const call = ++calls;
        await new Promise((resolve) => setTimeout(resolve, call === 1 ? 50 : 1));
        log.push(`end ${text}`);
        if (call === 2) throw new Error('refused');
      },
    } as unknown as EngramClient;
    const errors: string[] = [];
    const memory = engramMemory({
      client,
      entity: 'x',
      recall: false,
      onError: (error) => errors.push((error as Error).message),
    });
    const step = (text: string) =>
      memory.wrapGenerate?.({
        doGenerate: async () => ({
          content: [{ type: 'text', text: `re ${text}` }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {} as never,
          warnings: [],
        }),
        doStream: async () => {
          throw new Error('unused');
        },
        params: { prompt: [{ role: 'user', content: [{ type: 'text', text }] }] },
        model: {} as never,
      });
    await step('one');
    await step('two');
    await step('three');
    await memory.flush();
    expect(log).toEqual([
      'start one+re one',
      'end one+re one',
      'start two+re two',
      'end two+re two',
      'start three+re three',
      'end three+re three',
    ]);
    expect(errors).toEqual(['refused']);
  });
});

describe('the client bundle', () => {
  it('bundles for browsers without any Node built-in', async () => {
    const result = await build({
      entryPoints: ['client-codegen/client/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      minify: true,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => /^node:|(^|\/)(ws|undici|pino)\//.test(path))).toEqual([]);
    expect(inputs.some((path) => path.includes('node_modules/graphql-ws/'))).toBe(true);
    // The `ai` package is only a type import of the middleware: none of it is shipped.
    expect(inputs.filter((path) => /node_modules\/(ai|@ai-sdk)\//.test(path))).toEqual([]);
    const bytes = result.outputFiles[0]?.contents.byteLength ?? 0;
    expect(bytes).toBeGreaterThan(1000);
  });
});
