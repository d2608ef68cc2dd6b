import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that answers the embedding wire formats the provider libraries
 * speak, so the tests exercise the libraries' actual requests and parsing:
 *
 * - OpenAI and OpenAI-compatible (Ollama, vLLM): `POST /v1/embeddings`, `Authorization: Bearer`.
 * - Azure OpenAI: `POST /openai/deployments/<deployment>/embeddings?api-version=...`, `api-key` header.
 * - Cohere v2 (what @ai-sdk/cohere 3 calls): `POST /v2/embed`, `Authorization: Bearer`.
 * - Hugging Face feature extraction: `POST /hf-inference/models/<model>/pipeline/feature-extraction`
 *   (the serverless router's shape) and `POST /endpoint` (a dedicated endpoint's root), optional
 *   `Authorization: Bearer`.
 *
 * Vectors are derived from the text ({@link fakeVector}), deliberately not unit-length, so tests
 * can check normalization and determinism. Every request is recorded; the server can be told to
 * fail or to answer slowly.
 */

export interface RecordedRequest {
  format: 'openai' | 'azure' | 'cohere' | 'huggingface';
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The texts the request asked to embed. */
  texts: string[];
}

export interface FakeEmbeddingApiOptions {
  /** The key every format expects. @default 'test-secret-key-1234' */
  apiKey?: string;
  /** Native vector length. @default 16 */
  dimension?: number;
}

export interface FakeEmbeddingApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly apiKey: string;
  readonly requests: RecordedRequest[];
  /** Native vector length; change it to simulate a reconfigured model. */
  dimension: number;
  /** Hugging Face answers one vector per whitespace-separated token instead of a pooled one. */
  hfTokenVectors: boolean;
  /** Drops the last vector of every answer (a broken server). */
  dropLastVector: boolean;
  /** Answers the next `times` embedding requests with `status` (and `retry-after-ms: 5`). */
  failNext(status: number, times?: number): void;
  /** Waits this long before answering every request; 0 answers at once. */
  delayMs: number;
  /** Forgets the requests, failures, delay and modes. */
  reset(): void;
  close(): Promise<void>;
}

/** The fake's vector for a text: hash-seeded, deterministic, length around 3 (not normalized). */
export function fakeVector(text: string, dimension: number): number[] {
  let seed = createHash('sha256').update(text).digest().readUInt32LE(0);
  const vector: number[] = [];
  for (let i = 0; i < dimension; i++) {
    // mulberry32: small, fast and good enough to make distinct texts point different ways.
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    vector.push(((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * 3);
  }
  return vector;
}

/** Per-request limits the real services enforce, so batching bugs show up as errors. */
const MAX_TEXTS = { openai: 2048, azure: 2048, cohere: 96, huggingface: 32 } as const;

export async function startFakeEmbeddingApi(
  options: FakeEmbeddingApiOptions = {},
): Promise<FakeEmbeddingApi> {
  const apiKey = options.apiKey ?? 'test-secret-key-1234';
  const initialDimension = options.dimension ?? 16;
  let failures: { status: number; times: number } | undefined;

  const state = {
    requests: [] as RecordedRequest[],
    dimension: initialDimension,
    hfTokenVectors: false,
    dropLastVector: false,
    delayMs: 0,
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(error) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const format = formatOf(req.method, url.pathname);
    if (!format) return send(res, 404, { error: { message: `no route for ${req.method} ${url.pathname}` } });
    const raw = await readBody(req);
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const texts = textsOf(format, body);
    state.requests.push({
      format,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      texts,
    });

    if (state.delayMs > 0) {
      const waited = await waitUnlessClosed(res, state.delayMs);
      if (!waited) return;
    }
    if (failures && failures.times > 0) {
      failures.times--;
      return sendError(res, format, failures.status, 'simulated failure');
    }
    const authorized =
      format === 'azure'
        ? req.headers['api-key'] === apiKey
        : format === 'huggingface'
          ? req.headers.authorization === undefined || req.headers.authorization === `Bearer ${apiKey}`
          : req.headers.authorization === `Bearer ${apiKey}`;
    if (!authorized) {
      // Like OpenAI, echo the key back: the client must not pass it on.
      const sent = String(req.headers['api-key'] ?? req.headers.authorization ?? '');
      return sendError(res, format, 401, `Incorrect API key provided: ${sent}`);
    }
    if (format === 'azure' && !url.searchParams.get('api-version')) {
      return sendError(res, format, 404, 'Resource not found (api-version missing)');
    }
    if (texts.length === 0 || texts.length > MAX_TEXTS[format]) {
      return sendError(res, format, format === 'huggingface' ? 413 : 400, `batch of ${texts.length} texts`);
    }

    const requested =
      format === 'cohere'
        ? (body.output_dimension as number | undefined)
        : (body.dimensions as number | undefined);
    const dimension = requested ?? state.dimension;
    const vectors = texts.map((text) => fakeVector(text, dimension));
    if (state.dropLastVector) vectors.pop();

    if (format === 'cohere') {
      if (
        !['search_document', 'search_query', 'classification', 'clustering'].includes(String(body.input_type))
      ) {
        return sendError(res, format, 400, 'input_type is required for embed-v3 models');
      }
      return send(res, 200, {
        id: 'fake',
        embeddings: { float: vectors },
        texts,
        meta: { api_version: { version: '2' }, billed_units: { input_tokens: texts.length } },
      });
    }
    if (format === 'huggingface') {
      const tokenVectors = texts.map((text) =>
        text.split(/\s+/).map((token) => fakeVector(token, dimension)),
      );
      return send(res, 200, state.hfTokenVectors ? tokenVectors : vectors);
    }
    const base64 = body.encoding_format === 'base64';
    return send(res, 200, {
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(Float32Array.from(vector).buffer).toString('base64') : vector,
      })),
      model: String(body.model),
      usage: { prompt_tokens: texts.length, total_tokens: texts.length },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    get requests() {
      return state.requests;
    },
    get dimension() {
      return state.dimension;
    },
    set dimension(value) {
      state.dimension = value;
    },
    get hfTokenVectors() {
      return state.hfTokenVectors;
    },
    set hfTokenVectors(value) {
      state.hfTokenVectors = value;
    },
    get dropLastVector() {
      return state.dropLastVector;
    },
    set dropLastVector(value) {
      state.dropLastVector = value;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value) {
      state.delayMs = value;
    },
    failNext(status, times = 1) {
      failures = { status, times };
    },
    reset() {
      state.requests = [];
      state.dimension = initialDimension;
      state.hfTokenVectors = false;
      state.dropLastVector = false;
      state.delayMs = 0;
      failures = undefined;
    },
    async close() {
      // Keep-alive sockets from fetch() would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function formatOf(method: string | undefined, path: string): RecordedRequest['format'] | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/embeddings') return 'openai';
  if (/^\/openai\/deployments\/[^/]+\/embeddings$/.test(path)) return 'azure';
  if (path === '/v2/embed') return 'cohere';
  if (/^\/hf-inference\/models\/.+\/pipeline\/feature-extraction$/.test(path) || path === '/endpoint') {
    return 'huggingface';
  }
  return undefined;
}

function textsOf(format: RecordedRequest['format'], body: Record<string, unknown>): string[] {
  const value = format === 'cohere' ? body.texts : format === 'huggingface' ? body.inputs : body.input;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.map(String) : [];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Resolves true after `ms`, or false as soon as the client gives up (so no timer outlives it). */
function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.on('close', onClose);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Each service's error body, with a short retry-after so that retries in tests take milliseconds. */
function sendError(
  res: ServerResponse,
  format: RecordedRequest['format'],
  status: number,
  message: string,
): void {
  const body =
    format === 'cohere'
      ? { message }
      : format === 'huggingface'
        ? { error: message }
        : { error: { message, type: 'invalid_request_error', code: null } };
  send(res, status, body, { 'retry-after-ms': '5' });
}
