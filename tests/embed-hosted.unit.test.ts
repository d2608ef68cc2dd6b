import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cohereEmbedder,
  type HostedEmbedderOptions,
  huggingFaceEmbedder,
  openAICompatibleEmbedder,
  openAIEmbedder,
} from '../src/embed/hosted/index.ts';
import { type EmbeddingLogger, EmbeddingService } from '../src/embed/service.ts';
import { type Embedder, EmbeddingError, type EmbedPurpose, normalize } from '../src/embed/types.ts';
import {
  type FakeEmbeddingApi,
  fakeVector,
  type RecordedRequest,
  startFakeEmbeddingApi,
} from './helpers/fake-embedding-apis.ts';

/** What every provider is built with, minus what a test overrides. */
type Overrides = Omit<HostedEmbedderOptions, 'model'>;

interface ProviderCase {
  name: string;
  /** The id the embedder must report. */
  model: string;
  format: RecordedRequest['format'];
  /** A batch size below the provider's limit, above it to prove the cap, or unset for the default. */
  batchSize: number | undefined;
  /** Texts per request the batching test must see (the cap, when batchSize exceeds it). */
  expectedBatch: number;
  /** HF retries on 503 (its library would loop on it forever if left to itself). */
  transientStatus: number;
  make(api: FakeEmbeddingApi, overrides?: Overrides): Embedder;
  /** The credentials and parameters the request must carry. */
  expectRequest(request: RecordedRequest, api: FakeEmbeddingApi): void;
}

const cases: ProviderCase[] = [
  {
    name: 'OpenAI',
    model: 'openai:text-embedding-3-small',
    format: 'openai',
    batchSize: 64,
    expectedBatch: 64,
    transientStatus: 500,
    make: (api, overrides) =>
      openAIEmbedder({
        model: 'text-embedding-3-small',
        apiKey: api.apiKey,
        baseUrl: `${api.url}/v1`,
        ...overrides,
      }),
    expectRequest(request, api) {
      expect(request.headers.authorization).toBe(`Bearer ${api.apiKey}`);
      expect(request.body.model).toBe('text-embedding-3-small');
      expect(request.body.encoding_format).toBe('float');
    },
  },
  {
    name: 'OpenAI-compatible (vLLM/Ollama style)',
    model: 'openai-compatible:nomic-embed-text',
    format: 'openai',
    batchSize: 50,
    expectedBatch: 50,
    transientStatus: 500,
    make: (api, overrides) =>
      openAICompatibleEmbedder({
        model: 'nomic-embed-text',
        apiKey: api.apiKey,
        baseUrl: `${api.url}/v1`,
        headers: { 'x-tenant': 'engram-tests' },
        ...overrides,
      }),
    expectRequest(request, api) {
      expect(request.headers.authorization).toBe(`Bearer ${api.apiKey}`);
      expect(request.headers['x-tenant']).toBe('engram-tests');
      expect(request.body.model).toBe('nomic-embed-text');
    },
  },
  {
    name: 'Azure OpenAI (through openai-compatible)',
    model: 'openai-compatible:my-embedding-deployment',
    format: 'azure',
    batchSize: 100,
    expectedBatch: 100,
    transientStatus: 500,
    make: (api, overrides) =>
      openAICompatibleEmbedder({
        model: 'my-embedding-deployment',
        apiKey: api.apiKey,
        apiKeyHeader: 'api-key',
        baseUrl: `${api.url}/openai/deployments/my-embedding-deployment`,
        queryParams: { 'api-version': '2024-10-21' },
        ...overrides,
      }),
    expectRequest(request, api) {
      expect(request.path).toBe('/openai/deployments/my-embedding-deployment/embeddings');
      expect(request.query['api-version']).toBe('2024-10-21');
      expect(request.headers['api-key']).toBe(api.apiKey);
      // The key goes in api-key only, not also as a bearer token.
      expect(request.headers.authorization).toBeUndefined();
    },
  },
  {
    name: 'Cohere',
    model: 'cohere:embed-english-v3.0',
    format: 'cohere',
    // Above Cohere's 96 per call: the embedder must cap it.
    batchSize: 500,
    expectedBatch: 96,
    transientStatus: 500,
    make: (api, overrides) =>
      cohereEmbedder({
        model: 'embed-english-v3.0',
        apiKey: api.apiKey,
        baseUrl: `${api.url}/v2`,
        ...overrides,
      }),
    expectRequest(request, api) {
      expect(request.path).toBe('/v2/embed');
      expect(request.headers.authorization).toBe(`Bearer ${api.apiKey}`);
      expect(request.body.embedding_types).toEqual(['float']);
      expect(request.body.model).toBe('embed-english-v3.0');
    },
  },
  {
    name: 'Hugging Face (router URL)',
    model: 'huggingface:sentence-transformers/all-MiniLM-L6-v2',
    format: 'huggingface',
    batchSize: 20,
    expectedBatch: 20,
    transientStatus: 503,
    make: (api, overrides) =>
      huggingFaceEmbedder({
        model: 'sentence-transformers/all-MiniLM-L6-v2',
        apiKey: api.apiKey,
        baseUrl: `${api.url}/hf-inference`,
        ...overrides,
      }),
    expectRequest(request, api) {
      expect(request.path).toBe(
        '/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction',
      );
      expect(request.headers.authorization).toBe(`Bearer ${api.apiKey}`);
      expect(request.body.truncate).toBe(true);
    },
  },
  {
    name: 'Hugging Face (dedicated endpoint URL)',
    model: 'huggingface:BAAI/bge-small-en-v1.5',
    format: 'huggingface',
    // The default: 32, what Text Embeddings Inference (and so the fake) accepts per call.
    batchSize: undefined,
    expectedBatch: 32,
    transientStatus: 503,
    make: (api, overrides) =>
      huggingFaceEmbedder({
        model: 'BAAI/bge-small-en-v1.5',
        apiKey: api.apiKey,
        endpointUrl: `${api.url}/endpoint`,
        ...overrides,
      }),
    expectRequest(request, api) {
      expect(request.path).toBe('/endpoint');
      expect(request.headers.authorization).toBe(`Bearer ${api.apiKey}`);
    },
  },
];

/** What the embedder should return for a text: the fake's vector, scaled to unit length. */
function expected(text: string, dimension: number): Float32Array {
  return normalize(Float32Array.from(fakeVector(text, dimension)));
}

function expectClose(actual: Float32Array | undefined, wanted: Float32Array): void {
  expect(actual?.length).toBe(wanted.length);
  const worst = Math.max(...wanted.map((value, i) => Math.abs(value - (actual?.[i] ?? Number.NaN))));
  expect(worst).toBeLessThan(1e-6);
}

function length(vector: Float32Array | undefined): number {
  return Math.hypot(...(vector ?? []));
}

async function rejection(promise: Promise<unknown>): Promise<EmbeddingError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EmbeddingError);
  return error as EmbeddingError;
}

describe('hosted embedding providers', () => {
  let api: FakeEmbeddingApi;
  const open: Embedder[] = [];

  beforeAll(async () => {
    api = await startFakeEmbeddingApi({ dimension: 16 });
  });
  afterAll(async () => {
    await Promise.all(open.map((embedder) => embedder.close()));
    await api.close();
  });
  beforeEach(() => api.reset());

  function make(testCase: ProviderCase, overrides?: Overrides): Embedder {
    const embedder = testCase.make(api, overrides);
    open.push(embedder);
    return embedder;
  }

  describe.each(cases)('$name', (testCase) => {
    it('loads to the model dimension and returns unit, deterministic vectors in order', async () => {
      const embedder = make(testCase);
      expect(embedder.model).toBe(testCase.model);
      expect(await embedder.load()).toBe(16);
      const [a, b, again] = await embedder.embed(['the cat sat', 'a dog barked', 'the cat sat'], 'document');
      for (const vector of [a, b, again]) {
        expect(vector).toBeInstanceOf(Float32Array);
        expect(length(vector)).toBeCloseTo(1, 5);
      }
      expect(again).toEqual(a);
      expect(b).not.toEqual(a);
      expectClose(a, expected('the cat sat', 16));
      expectClose(b, expected('a dog barked', 16));
      expect(await embedder.embed([], 'query')).toEqual([]);
    });

    it('sends the key, headers and parameters the service expects', async () => {
      const embedder = make(testCase);
      await embedder.embed(['hello'], 'query');
      expect(api.requests).toHaveLength(1);
      const [request] = api.requests;
      expect(request?.format).toBe(testCase.format);
      testCase.expectRequest(request as RecordedRequest, api);
      expect(request?.texts).toEqual(['hello']);
    });

    it('splits a large input into batches within the provider limit, keeping order', async () => {
      const embedder = make(testCase, { batchSize: testCase.batchSize });
      const texts = Array.from({ length: 200 }, (_, i) => `memory number ${i}`);
      const vectors = await embedder.embed(texts, 'document');
      const sizes = api.requests.map((request) => request.texts.length);
      const batches = Math.ceil(200 / testCase.expectedBatch);
      expect(sizes).toEqual([
        ...Array.from({ length: batches - 1 }, () => testCase.expectedBatch),
        200 - testCase.expectedBatch * (batches - 1),
      ]);
      expect(vectors).toHaveLength(200);
      expectClose(vectors[0], expected('memory number 0', 16));
      expectClose(vectors[137], expected('memory number 137', 16));
      expectClose(vectors[199], expected('memory number 199', 16));
    });

    it(`retries a transient ${testCase.transientStatus} and then succeeds`, async () => {
      const embedder = make(testCase);
      api.failNext(testCase.transientStatus);
      const [vector] = await embedder.embed(['try again'], 'document');
      expect(api.requests).toHaveLength(2);
      expectClose(vector, expected('try again', 16));
    });

    it('gives up after maxRetries with EMBEDDING_FAILED naming the provider and host', async () => {
      const embedder = make(testCase, { maxRetries: 1 });
      api.failNext(500, 5);
      const error = await rejection(embedder.embed(['never'], 'document'));
      expect(api.requests).toHaveLength(2);
      expect(error.code).toBe('EMBEDDING_FAILED');
      expect(error.message).toContain(new URL(api.url).host);
      expect(error.message).toContain('HTTP 500');
      expect(error.cause).toBeDefined();
    });

    it('fails a slow server with EMBEDDING_TIMEOUT within the timeout', async () => {
      const embedder = make(testCase, { timeoutMs: 200 });
      api.delayMs = 10_000;
      const started = performance.now();
      const error = await rejection(embedder.embed(['slow'], 'document'));
      const elapsed = performance.now() - started;
      expect(error.code).toBe('EMBEDDING_TIMEOUT');
      expect(error.message).toContain('200 ms');
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(2_000);
    });

    it('reports a refused key as EMBEDDING_UNAVAILABLE without echoing it', async () => {
      const key = 'sk-wrong-key-do-not-print-9876';
      const embedder = make(testCase, { apiKey: key });
      const error = await rejection(embedder.load());
      expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
      expect(error.message).toMatch(/refused the API key \(HTTP 401\)/);
      expect(error.message).not.toContain(key);
      expect(error.message).not.toContain('do-not-print');
      // 401 is not worth retrying.
      expect(api.requests).toHaveLength(1);
    });

    it('refuses a response with the wrong number of vectors, or a changed dimension', async () => {
      const embedder = make(testCase);
      expect(await embedder.load()).toBe(16);
      api.dropLastVector = true;
      const short = await rejection(embedder.embed(['one', 'two'], 'document'));
      expect(short.code).toBe('EMBEDDING_FAILED');
      expect(short.message).toContain('1 vectors for 2 texts');
      api.dropLastVector = false;
      api.dimension = 24;
      const changed = await rejection(embedder.embed(['three'], 'document'));
      expect(changed.code).toBe('EMBEDDING_FAILED');
      expect(changed.message).toContain('24-dimensional vector, expected 16');
    });

    it('fails fast with a clear message when nothing listens at the URL', async () => {
      const closed = await startFakeEmbeddingApi();
      await closed.close();
      const embedder = testCase.make(closed, { maxRetries: 0 });
      const error = await rejection(embedder.embed(['anyone?'], 'document'));
      expect(error.code).toBe('EMBEDDING_FAILED');
      expect(error.message).toContain(new URL(closed.url).host);
    });
  });

  it('Cohere embeds documents and queries with their input types', async () => {
    const embedder = make(cases[3] as ProviderCase);
    await embedder.embed(['stored fact'], 'document');
    await embedder.embed(['what do I like?'], 'query');
    expect(api.requests.map((request) => request.body.input_type)).toEqual([
      'search_document',
      'search_query',
    ]);
  });

  it('OpenAI and Cohere pass `dimensions` on (dimensions / output_dimension)', async () => {
    const openai = make(cases[0] as ProviderCase, { dimensions: 8 });
    expect(await openai.load()).toBe(8);
    expect(api.requests[0]?.body.dimensions).toBe(8);
    const compatible = make(cases[1] as ProviderCase, { dimensions: 12 });
    expect(await compatible.load()).toBe(12);
    expect(api.requests[1]?.body.dimensions).toBe(12);
    const cohere = make(cases[3] as ProviderCase, { dimensions: 256 });
    expect(await cohere.load()).toBe(256);
    expect(api.requests[2]?.body.output_dimension).toBe(256);
  });

  it('OpenAI and Cohere refuse to run without a key, before any request', async () => {
    for (const testCase of [cases[0], cases[3]] as ProviderCase[]) {
      const error = await rejection(make(testCase, { apiKey: '' }).load());
      expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
      expect(error.message).toMatch(/need an API key/);
    }
    expect(api.requests).toHaveLength(0);
  });

  it('Hugging Face mean-pools per-token vectors', async () => {
    const embedder = make(cases[4] as ProviderCase);
    api.hfTokenVectors = true;
    const [vector] = await embedder.embed(['red green blue'], 'document');
    const tokens = ['red', 'green', 'blue'].map((token) => fakeVector(token, 16));
    const mean =
      tokens[0]?.map((_, i) => tokens.reduce((sum, token) => sum + (token[i] as number), 0) / 3) ?? [];
    expectClose(vector, normalize(Float32Array.from(mean)));
  });

  it('Hugging Face works anonymously (public models)', async () => {
    const embedder = make(cases[5] as ProviderCase, { apiKey: undefined });
    await embedder.embed(['no token'], 'document');
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('close() aborts a request in flight and refuses later calls', async () => {
    const embedder = make(cases[0] as ProviderCase);
    api.delayMs = 10_000;
    const inFlight = rejection(embedder.embed(['slow'], 'document'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await embedder.close();
    expect((await inFlight).code).toBe('EMBEDDING_UNAVAILABLE');
    expect((await rejection(embedder.embed(['later'], 'document'))).code).toBe('EMBEDDING_UNAVAILABLE');
  });
});

/** An embedder whose load the test settles by hand. */
function controllableEmbedder() {
  let settle: { resolve(dimension: number): void; reject(error: unknown): void } | undefined;
  const calls: string[][] = [];
  const embedder: Embedder = {
    model: 'test:controllable',
    load: () =>
      new Promise<number>((resolve, reject) => {
        settle = { resolve, reject };
      }),
    embed: async (texts: string[], _purpose: EmbedPurpose) => {
      calls.push(texts);
      return texts.map((text) => expected(text, 4));
    },
    close: async () => {},
  };
  return {
    embedder,
    calls,
    resolve: (dimension: number) => settle?.resolve(dimension),
    reject: (error: unknown) => settle?.reject(error),
  };
}

function recordingLogger() {
  const lines: { level: string; msg: string | undefined }[] = [];
  const logger: EmbeddingLogger = {
    info: (_obj, msg) => lines.push({ level: 'info', msg }),
    warn: (_obj, msg) => lines.push({ level: 'warn', msg }),
    error: (_obj, msg) => lines.push({ level: 'error', msg }),
  };
  return { logger, lines };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('EmbeddingService', () => {
  let api: FakeEmbeddingApi;
  const services: EmbeddingService[] = [];

  beforeAll(async () => {
    api = await startFakeEmbeddingApi({ dimension: 16 });
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.close()));
    await api.close();
  });
  beforeEach(() => api.reset());

  function service(
    embedder: Embedder | null,
    options: Partial<ConstructorParameters<typeof EmbeddingService>[0]> = {},
  ) {
    const created = new EmbeddingService({ embedder, ...options });
    services.push(created);
    return created;
  }

  function openai(overrides?: Overrides): Embedder {
    return openAIEmbedder({
      model: 'text-embedding-3-small',
      apiKey: api.apiKey,
      baseUrl: `${api.url}/v1`,
      ...overrides,
    });
  }

  it('accepts a pino logger', () => {
    const logger: EmbeddingLogger = pino({ level: 'silent' });
    expect(service(null, { logger }).status().state).toBe('disabled');
  });

  it('without a provider is disabled and says so', async () => {
    const disabled = service(null);
    disabled.start();
    expect(disabled.status()).toEqual({ state: 'disabled', model: null, dimension: null, error: null });
    const error = await rejection(disabled.embed(['x'], 'query'));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/no embedding provider is configured/);
  });

  it('goes loading -> ready, logging both, and embeds', async () => {
    const { logger, lines } = recordingLogger();
    const control = controllableEmbedder();
    const ready = service(control.embedder, { logger });
    expect(ready.status().state).toBe('loading');
    ready.start();
    ready.start(); // a second start while loading is a no-op
    expect(ready.status()).toEqual({
      state: 'loading',
      model: 'test:controllable',
      dimension: null,
      error: null,
    });
    control.resolve(4);
    await tick();
    expect(ready.status()).toEqual({ state: 'ready', model: 'test:controllable', dimension: 4, error: null });
    expect(lines.map((line) => line.msg)).toEqual(['loading embedding model', 'embedding model ready']);
    const [vector] = await ready.embed(['hi'], 'query');
    expectClose(vector, expected('hi', 4));
  });

  it('goes loading -> unavailable when the key is refused, with a safe error', async () => {
    const { logger, lines } = recordingLogger();
    const key = 'sk-service-wrong-key-4321';
    const unavailable = service(openai({ apiKey: key }), { logger });
    unavailable.start();
    expect(unavailable.status().state).toBe('loading');
    const error = await rejection(unavailable.embed(['x'], 'query'));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    const status = unavailable.status();
    expect(status.state).toBe('unavailable');
    expect(status.model).toBe('openai:text-embedding-3-small');
    expect(status.error).toMatch(/refused the API key/);
    expect(status.error).not.toContain(key);
    expect(error.message).toContain(status.error as string);
    expect(lines.at(-1)).toEqual({ level: 'error', msg: 'embedding model unavailable' });
    // Within retryLoadAfterMs a call fails at once, without asking the API again.
    const requests = api.requests.length;
    await rejection(unavailable.embed(['x'], 'query'));
    expect(api.requests).toHaveLength(requests);
  });

  it('tries loading again after retryLoadAfterMs', async () => {
    const flaky = service(openai({ maxRetries: 0 }), { retryLoadAfterMs: 0 });
    api.failNext(500);
    flaky.start();
    await rejection(flaky.embed(['x'], 'query'));
    expect(flaky.status().state).toBe('unavailable');
    const [vector] = await flaky.embed(['x'], 'query');
    expect(flaky.status()).toMatchObject({ state: 'ready', dimension: 16, error: null });
    expectClose(vector, expected('x', 16));
  });

  it('the first embed() starts the load and waits for it', async () => {
    const control = controllableEmbedder();
    const lazy = service(control.embedder);
    const pending = lazy.embed(['wait for me'], 'document');
    await tick();
    expect(lazy.status().state).toBe('loading');
    control.resolve(4);
    const [vector] = await pending;
    expectClose(vector, expected('wait for me', 4));
  });

  it('stops waiting for a slow load after loadWaitMs', async () => {
    const control = controllableEmbedder();
    const slow = service(control.embedder, { loadWaitMs: 50 });
    slow.start();
    const started = performance.now();
    const error = await rejection(slow.embed(['x'], 'query'));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/still loading \(waited 50 ms\)/);
    expect(slow.status().state).toBe('loading');
  });

  it('answers identical text from the cache without a second request', async () => {
    const cached = service(openai());
    cached.start();
    await cached.embed(['warm up'], 'query');
    const before = api.requests.length;
    const [first] = await cached.embed(['I like green tea'], 'document');
    const [second] = await cached.embed(['I like green tea'], 'document');
    expect(api.requests.length).toBe(before + 1);
    expect(second).toEqual(first);
    expect(cached.cacheStats()).toMatchObject({ hits: 1, misses: 2, size: 2 });
    // The purpose is part of the key (Cohere embeds them differently).
    await cached.embed(['I like green tea'], 'query');
    expect(api.requests.length).toBe(before + 2);
    // Callers get copies: scribbling on one does not reach the cache.
    (first as Float32Array).fill(0);
    const [third] = await cached.embed(['I like green tea'], 'document');
    expect(third).toEqual(second);
  });

  it('sends only the texts it has not seen, in one request', async () => {
    const mixed = service(openai());
    mixed.start();
    await mixed.embed(['a', 'b'], 'document');
    const before = api.requests.length;
    const vectors = await mixed.embed(['b', 'c', 'a', 'd', 'c'], 'document');
    expect(api.requests.length).toBe(before + 1);
    expect(api.requests.at(-1)?.texts).toEqual(['c', 'd']);
    for (const [i, text] of ['b', 'c', 'a', 'd', 'c'].entries()) expectClose(vectors[i], expected(text, 16));
  });

  it('shares one request between concurrent identical calls', async () => {
    const shared = service(openai());
    shared.start();
    await shared.embed(['warm up'], 'query');
    const before = api.requests.length;
    api.delayMs = 50;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => shared.embed(['what did I say about Rome?'], 'query')),
    );
    expect(api.requests.length).toBe(before + 1);
    for (const [vector] of results) expectClose(vector, expected('what did I say about Rome?', 16));
    expect(shared.cacheStats()).toMatchObject({ hits: 4, misses: 2 });
  });

  it('does not cache failures: the next call asks again', async () => {
    const retrying = service(openai({ maxRetries: 0 }));
    retrying.start();
    await retrying.embed(['warm up'], 'query');
    api.failNext(500);
    const error = await rejection(retrying.embed(['fragile'], 'document'));
    expect(error.code).toBe('EMBEDDING_FAILED');
    expect(retrying.status().state).toBe('ready');
    const [vector] = await retrying.embed(['fragile'], 'document');
    expectClose(vector, expected('fragile', 16));
  });

  it('evicts the least recently used vector beyond cacheSize', async () => {
    const control = controllableEmbedder();
    const small = service(control.embedder, { cacheSize: 2 });
    small.start();
    control.resolve(4);
    await small.embed(['one', 'two'], 'document');
    await small.embed(['one'], 'document'); // 'one' is now the most recent
    await small.embed(['three'], 'document'); // evicts 'two'
    await small.embed(['one', 'two'], 'document');
    expect(control.calls).toEqual([['one', 'two'], ['three'], ['two']]);
    expect(small.cacheStats().size).toBe(2);
  });

  it('close() makes later calls fail as unavailable', async () => {
    const control = controllableEmbedder();
    const closing = service(control.embedder);
    closing.start();
    control.resolve(4);
    await closing.embed(['x'], 'query');
    await closing.close();
    expect(closing.status().state).toBe('unavailable');
    expect((await rejection(closing.embed(['x'], 'query'))).code).toBe('EMBEDDING_UNAVAILABLE');
  });
});
