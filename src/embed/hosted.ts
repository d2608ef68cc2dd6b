import { setTimeout as sleep } from 'node:timers/promises';
import { createCohere } from '@ai-sdk/cohere';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  type FeatureExtractionOutput,
  featureExtraction,
  InferenceClientProviderApiError,
} from '@huggingface/inference';
import { APICallError, type EmbeddingModel, embedMany, RetryError } from 'ai';
import { type Embedder, EmbeddingError, type EmbedPurpose, normalize } from './types.ts';

/**
 * Hosted embedding providers. The HTTP, the retries and the wire formats belong to the libraries
 * (the Vercel AI SDK for OpenAI, OpenAI-compatible servers and Cohere; @huggingface/inference for
 * Hugging Face); this file adds what Engram needs on top: batching within provider limits, a
 * timeout, unit-length vectors checked for count and dimension, and errors that say what went
 * wrong without ever echoing the API key.
 */

/** Options every hosted provider takes. */
export interface HostedEmbedderOptions {
  /** The provider's model name (`text-embedding-3-small`, `embed-english-v3.0`, an Azure deployment...). */
  model: string;
  /** The provider's API key or token; required by OpenAI and Cohere, optional elsewhere. */
  apiKey?: string;
  /** Where the API lives; each provider documents its default. */
  baseUrl?: string;
  /**
   * How long one request (one batch, retries included) may take before it fails with
   * EMBEDDING_TIMEOUT.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Retries of a request that failed with 408, 409, 429, 5xx or a dropped connection, with
   * exponential backoff that honours the server's `retry-after(-ms)` header.
   * @default 2
   */
  maxRetries?: number;
  /** Texts per request; capped at the provider's own limit. Each provider documents its default. */
  batchSize?: number;
  /**
   * Ask for shorter vectors, for models that support it (OpenAI text-embedding-3, Cohere embed-v4
   * with 256/512/1024/1536). Unset: the model's native dimension.
   */
  dimensions?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 2;
/** What load() embeds to learn the dimension. */
const PROBE_TEXT = 'Engram embedding probe';
/** The AI SDK's backoff, reused for Hugging Face so every provider retries alike. */
const INITIAL_RETRY_DELAY_MS = 2_000;
/** Provider messages can quote whole requests or responses; a log line should not. */
const MAX_DETAIL_LENGTH = 300;

/** Sends one batch (already within limits) and returns the raw vectors, in order. */
type EmbedBatch = (texts: string[], purpose: EmbedPurpose, signal: AbortSignal) => Promise<number[][]>;

interface HostedEmbedderConfig {
  /** `openai:text-embedding-3-small`. */
  model: string;
  /** For messages: `OpenAI`, `Cohere`... */
  label: string;
  /** The URL requests go to; only its host appears in messages. */
  url: string;
  apiKey: string | undefined;
  apiKeyRequired: boolean;
  timeoutMs: number;
  batchSize: number;
  embedBatch: EmbedBatch;
}

class HostedEmbedder implements Embedder {
  readonly model: string;
  private dimension: number | undefined;
  private readonly host: string;
  /** Requests under way, aborted by close(). */
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(private readonly config: HostedEmbedderConfig) {
    this.model = config.model;
    this.host = hostOf(config.url);
  }

  async load(): Promise<number> {
    // A new load re-learns the dimension: the endpoint may have been reconfigured since.
    this.dimension = undefined;
    await this.embed([PROBE_TEXT], 'document');
    if (this.dimension === undefined) throw new EmbeddingError(`${this.config.label} returned no vector`);
    return this.dimension;
  }

  async embed(texts: string[], purpose: EmbedPurpose): Promise<Float32Array[]> {
    if (this.closed) {
      throw new EmbeddingError(
        `${this.config.label} embeddings (${this.model}) are closed`,
        'EMBEDDING_UNAVAILABLE',
      );
    }
    if (this.config.apiKeyRequired && !this.config.apiKey) {
      throw new EmbeddingError(
        `${this.config.label} embeddings at ${this.host} need an API key and none is configured`,
        'EMBEDDING_UNAVAILABLE',
      );
    }
    const vectors: Float32Array[] = [];
    // Batches go one after another: parallel calls would mostly buy rate-limit errors (429).
    for (let start = 0; start < texts.length; start += this.config.batchSize) {
      const batch = texts.slice(start, start + this.config.batchSize);
      for (const vector of await this.embedOneBatch(batch, purpose)) vectors.push(vector);
    }
    return vectors;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
  }

  private async embedOneBatch(texts: string[], purpose: EmbedPurpose): Promise<Float32Array[]> {
    // One controller per batch, aborted by the timer or by close(). Not AbortSignal.any() with a
    // long-lived close signal: Node has leaked the combined signals then (nodejs/node#55351).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`timed out after ${this.config.timeoutMs} ms`, 'TimeoutError'));
    }, this.config.timeoutMs);
    this.inFlight.add(controller);
    let raw: number[][];
    try {
      raw = await this.config.embedBatch(texts, purpose, controller.signal);
    } catch (error) {
      throw this.describe(error, timedOut);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    return this.check(raw, texts.length);
  }

  /** Wrong counts, dimensions or non-numbers would corrupt the index silently: refuse them here. */
  private check(raw: number[][], expected: number): Float32Array[] {
    const where = `${this.config.label} embeddings at ${this.host} (${this.model})`;
    if (raw.length !== expected) {
      throw new EmbeddingError(`${where} returned ${raw.length} vectors for ${expected} texts`);
    }
    return raw.map((values) => {
      if (values.length === 0) throw new EmbeddingError(`${where} returned an empty vector`);
      this.dimension ??= values.length;
      if (values.length !== this.dimension) {
        throw new EmbeddingError(
          `${where} returned a ${values.length}-dimensional vector, expected ${this.dimension} (the model's dimension when it loaded)`,
        );
      }
      const vector = Float32Array.from(values);
      if (!vector.every(Number.isFinite))
        throw new EmbeddingError(`${where} returned a vector with non-numbers`);
      return normalize(vector);
    });
  }

  private describe(error: unknown, timedOut: boolean): EmbeddingError {
    const where = `${this.config.label} embeddings at ${this.host}`;
    if (this.closed) {
      return new EmbeddingError(`${where}: closed while a request was in flight`, 'EMBEDDING_UNAVAILABLE', {
        cause: error,
      });
    }
    if (timedOut) {
      return new EmbeddingError(
        `${where} did not answer within ${this.config.timeoutMs} ms`,
        'EMBEDDING_TIMEOUT',
        {
          cause: error,
        },
      );
    }
    if (error instanceof EmbeddingError) return error;
    const status = statusOf(error);
    if (status === 401 || status === 403) {
      // Never the provider's own message: some (OpenAI) quote part of the key back.
      return new EmbeddingError(
        `${where} refused the API key (HTTP ${status}); check the configured key and its access to model ${this.model}`,
        'EMBEDDING_UNAVAILABLE',
        { cause: error },
      );
    }
    const detail = this.scrub(detailOf(error));
    return new EmbeddingError(
      `${where} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`,
      'EMBEDDING_FAILED',
      {
        cause: error,
      },
    );
  }

  private scrub(text: string): string {
    const key = this.config.apiKey;
    const scrubbed = key && key.length >= 4 ? text.split(key).join('[redacted]') : text;
    return scrubbed.length > MAX_DETAIL_LENGTH ? `${scrubbed.slice(0, MAX_DETAIL_LENGTH)}...` : scrubbed;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The HTTP status behind an error from either library, through the AI SDK's retry wrapper. */
function statusOf(error: unknown): number | undefined {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (APICallError.isInstance(last)) return last.statusCode;
  if (last instanceof InferenceClientProviderApiError) return last.httpResponse.status;
  return undefined;
}

function detailOf(error: unknown): string {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  const message = last instanceof Error ? last.message : String(last);
  // fetch() says only "fetch failed"; the reason (ECONNREFUSED, a DNS failure) is in its cause.
  const reason = last instanceof TypeError && last.cause instanceof Error ? `: ${last.cause.message}` : '';
  const attempts = RetryError.isInstance(error) ? ` (after ${error.errors.length} attempts)` : '';
  return `${message}${reason}${attempts}`;
}

function integer(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}

function commonConfig(options: HostedEmbedderOptions, providerLimit: number, defaultBatchSize: number) {
  return {
    apiKey: options.apiKey || undefined,
    timeoutMs: integer(options.timeoutMs, DEFAULT_TIMEOUT_MS, 1, 'timeoutMs'),
    maxRetries: integer(options.maxRetries, DEFAULT_MAX_RETRIES, 0, 'maxRetries'),
    batchSize: Math.min(integer(options.batchSize, defaultBatchSize, 1, 'batchSize'), providerLimit),
  };
}

/** One batch through the AI SDK, which retries 408/409/429/5xx and honours retry-after headers. */
function aiSdkBatch(
  model: EmbeddingModel,
  maxRetries: number,
  providerOptions: (purpose: EmbedPurpose) => Parameters<typeof embedMany>[0]['providerOptions'],
): EmbedBatch {
  return async (texts, purpose, signal) => {
    const result = await embedMany({
      model,
      values: texts,
      maxRetries,
      abortSignal: signal,
      providerOptions: providerOptions(purpose),
    });
    return result.embeddings;
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAI

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** The API's limit on inputs per request. */
const OPENAI_MAX_PER_CALL = 2048;

export interface OpenAIEmbedderOptions extends HostedEmbedderOptions {
  /**
   * The API root; set explicitly so that the SDK never falls back to OPENAI_BASE_URL from the
   * environment behind the configuration's back.
   * @default 'https://api.openai.com/v1'
   */
  baseUrl?: string;
  /**
   * Texts per request (the API takes up to 2048 and 300k tokens; the AI SDK splits further by
   * size).
   * @default 512
   */
  batchSize?: number;
  /** Sent as `OpenAI-Organization`. */
  organization?: string;
  /** Sent as `OpenAI-Project`. */
  project?: string;
}

/** OpenAI embeddings (`openai:<model>`), e.g. text-embedding-3-small (1536-d, or `dimensions`). */
export function openAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const common = commonConfig(options, OPENAI_MAX_PER_CALL, 512);
  const url = options.baseUrl ?? OPENAI_BASE_URL;
  // An empty key rather than undefined: the SDK would otherwise read OPENAI_API_KEY itself.
  const provider = createOpenAI({
    baseURL: url,
    apiKey: common.apiKey ?? '',
    organization: options.organization,
    project: options.project,
  });
  const dimensions = options.dimensions;
  return new HostedEmbedder({
    ...common,
    model: `openai:${options.model}`,
    label: 'OpenAI',
    url,
    apiKeyRequired: true,
    embedBatch: aiSdkBatch(provider.embeddingModel(options.model), common.maxRetries, () =>
      dimensions === undefined ? undefined : { openai: { dimensions } },
    ),
  });
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible servers: Azure OpenAI, Ollama, vLLM, LiteLLM, TEI's /v1...

/** The provider name the AI SDK files our options under (`providerOptions.openaiCompatible`). */
const COMPATIBLE_NAME = 'openaiCompatible';
/** What @ai-sdk/openai-compatible allows per call. */
const COMPATIBLE_MAX_PER_CALL = 2048;

export interface OpenAICompatibleEmbedderOptions extends HostedEmbedderOptions {
  /**
   * The API root the SDK appends `/embeddings` to: `http://localhost:11434/v1` (Ollama),
   * `http://vllm:8000/v1`, or for Azure OpenAI
   * `https://<resource>.openai.azure.com/openai/deployments/<deployment>`.
   */
  baseUrl: string;
  /**
   * The header the key goes in: `Authorization` sends `Bearer <key>`; any other name (Azure's
   * `api-key`) sends the bare key.
   * @default 'Authorization'
   */
  apiKeyHeader?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * Query parameters on every request, e.g. `{ 'api-version': '2024-10-21' }` for Azure. They
   * replace any query string in `baseUrl`.
   */
  queryParams?: Record<string, string>;
  /**
   * Texts per request (servers differ; Azure takes 2048, small self-hosted servers prefer less).
   * @default 64
   */
  batchSize?: number;
}

/** Any server that speaks OpenAI's `/embeddings` (`openai-compatible:<model>`). */
export function openAICompatibleEmbedder(options: OpenAICompatibleEmbedderOptions): Embedder {
  const common = commonConfig(options, COMPATIBLE_MAX_PER_CALL, 64);
  const keyHeader = options.apiKeyHeader ?? 'Authorization';
  const bearer = keyHeader.toLowerCase() === 'authorization';
  const provider = createOpenAICompatible({
    name: COMPATIBLE_NAME,
    baseURL: options.baseUrl,
    apiKey: bearer ? common.apiKey : undefined,
    headers: {
      ...options.headers,
      ...(!bearer && common.apiKey ? { [keyHeader]: common.apiKey } : {}),
    },
    queryParams: options.queryParams,
  });
  const dimensions = options.dimensions;
  return new HostedEmbedder({
    ...common,
    model: `openai-compatible:${options.model}`,
    label: 'OpenAI-compatible',
    url: options.baseUrl,
    // Ollama and vLLM usually run without one.
    apiKeyRequired: false,
    embedBatch: aiSdkBatch(provider.embeddingModel(options.model), common.maxRetries, () =>
      dimensions === undefined ? undefined : { [COMPATIBLE_NAME]: { dimensions } },
    ),
  });
}

// ---------------------------------------------------------------------------------------------
// Cohere

const COHERE_BASE_URL = 'https://api.cohere.com/v2';
/** Cohere's limit on texts per /v2/embed call (the AI SDK enforces it too). */
const COHERE_MAX_PER_CALL = 96;

export interface CohereEmbedderOptions extends HostedEmbedderOptions {
  /**
   * The v2 API root; the SDK posts to `<baseUrl>/embed`.
   * @default 'https://api.cohere.com/v2'
   */
  baseUrl?: string;
  /**
   * Texts per request, at most 96 (Cohere's limit).
   * @default 96
   */
  batchSize?: number;
}

/**
 * Cohere embeddings (`cohere:<model>`), e.g. embed-english-v3.0 (1024-d). Documents and queries are
 * embedded differently (`search_document` / `search_query`), which is why `embed` takes a purpose.
 */
export function cohereEmbedder(options: CohereEmbedderOptions): Embedder {
  const common = commonConfig(options, COHERE_MAX_PER_CALL, COHERE_MAX_PER_CALL);
  const url = options.baseUrl ?? COHERE_BASE_URL;
  // An empty key rather than undefined: the SDK would otherwise read COHERE_API_KEY itself.
  const provider = createCohere({ baseURL: url, apiKey: common.apiKey ?? '' });
  const dimensions = options.dimensions;
  return new HostedEmbedder({
    ...common,
    model: `cohere:${options.model}`,
    label: 'Cohere',
    url,
    apiKeyRequired: true,
    embedBatch: aiSdkBatch(provider.embeddingModel(options.model), common.maxRetries, (purpose) => ({
      cohere: {
        inputType: purpose === 'query' ? 'search_query' : 'search_document',
        // The SDK's schema only admits 256/512/1024/1536 and says so if given anything else.
        ...(dimensions === undefined ? {} : { outputDimension: dimensions }),
      },
    })),
  });
}

// ---------------------------------------------------------------------------------------------
// Hugging Face Inference

const HF_BASE_URL = 'https://router.huggingface.co/hf-inference';
/** Text Embeddings Inference's default --max-client-batch-size, which HF's endpoints run. */
const HF_DEFAULT_BATCH = 32;
/** Statuses worth another try (the same set the AI SDK retries). */
const RETRYABLE_STATUSES = new Set([408, 409, 429]);

export interface HuggingFaceEmbedderOptions extends Omit<HostedEmbedderOptions, 'dimensions'> {
  /**
   * The serverless router root; requests go to `<baseUrl>/models/<model>/pipeline/feature-extraction`.
   * @default 'https://router.huggingface.co/hf-inference'
   */
  baseUrl?: string;
  /**
   * A dedicated Inference Endpoint (or any Text Embeddings Inference server): requests go to this
   * URL as it is, and `baseUrl` is ignored.
   */
  endpointUrl?: string;
  /**
   * Texts per request (Text Embeddings Inference refuses more than 32 by default).
   * @default 32
   */
  batchSize?: number;
  /**
   * Ask the server to cut texts longer than the model's window instead of failing on them.
   * @default true
   */
  truncate?: boolean;
}

/**
 * Hugging Face feature extraction (`huggingface:<model>`), e.g. sentence-transformers/all-MiniLM-L6-v2
 * (384-d). Endpoints that return one vector per token are mean-pooled here.
 */
export function huggingFaceEmbedder(options: HuggingFaceEmbedderOptions): Embedder {
  const common = commonConfig(options, Number.MAX_SAFE_INTEGER, HF_DEFAULT_BATCH);
  // Always an explicit URL: without one the library asks the Hub which provider serves the model
  // first, an extra round trip that can also route to a provider with another response shape.
  const url =
    options.endpointUrl ??
    `${(options.baseUrl ?? HF_BASE_URL).replace(/\/+$/, '')}/models/${options.model}/pipeline/feature-extraction`;
  const truncate = options.truncate ?? true;
  const embedBatch: EmbedBatch = async (texts, _purpose, signal) => {
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      // The library's errors carry the status but not the headers; catch retry-after on the way.
      const recordingFetch: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        retryAfterMs = retryAfterOf(response.headers);
        return response;
      };
      try {
        const output = await featureExtraction(
          { accessToken: common.apiKey, endpointUrl: url, inputs: texts, truncate },
          // retry_on_error off: the library would otherwise repeat a 503 at once, forever.
          { signal, fetch: recordingFetch, retry_on_error: false },
        );
        return pool(output, texts.length);
      } catch (error) {
        if (signal.aborted || attempt >= common.maxRetries || !isRetryable(error)) throw error;
        await sleep(retryAfterMs ?? INITIAL_RETRY_DELAY_MS * 2 ** attempt, undefined, { signal });
      }
    }
  };
  return new HostedEmbedder({
    ...common,
    model: `huggingface:${options.model}`,
    label: 'Hugging Face',
    url,
    // Public models answer anonymously, if rate-limited; dedicated endpoints may be public too.
    apiKeyRequired: false,
    embedBatch,
  });
}

function isRetryable(error: unknown): boolean {
  if (error instanceof InferenceClientProviderApiError) {
    const status = error.httpResponse.status;
    return RETRYABLE_STATUSES.has(status) || status >= 500;
  }
  // fetch() rejects with a TypeError when the connection fails.
  return error instanceof TypeError;
}

/** `retry-after-ms` (milliseconds) or `retry-after` (seconds or a date), if sensible. */
function retryAfterOf(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0 && ms < 60_000) return ms;
  const after = headers.get('retry-after');
  if (!after) return undefined;
  const seconds = Number.parseFloat(after);
  const delay = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(after) - Date.now();
  return Number.isFinite(delay) && delay >= 0 && delay < 60_000 ? delay : undefined;
}

/**
 * One vector per text. Sentence-transformers models answer `number[][]` (already pooled); plain
 * transformer models answer one vector per token (`number[][][]`), which are averaged: the same
 * pooling all-MiniLM-style models use. Anything else is malformed.
 */
function pool(output: FeatureExtractionOutput, expected: number): number[][] {
  // A single text may come back unwrapped as one flat vector.
  const rows = expected === 1 && output.every((value) => typeof value === 'number') ? [output] : output;
  return rows.map((row) => {
    if (!Array.isArray(row))
      throw new EmbeddingError('Hugging Face returned a number where a vector was expected');
    if (row.every((value) => typeof value === 'number')) return row as number[];
    const tokens = row as unknown[];
    if (!tokens.every((token): token is number[] => Array.isArray(token) && token.length > 0)) {
      throw new EmbeddingError('Hugging Face returned a malformed feature-extraction response');
    }
    const first = tokens[0] as number[];
    const mean = new Array<number>(first.length).fill(0);
    for (const token of tokens) {
      if (token.length !== first.length)
        throw new EmbeddingError('Hugging Face returned ragged token vectors');
      for (let i = 0; i < token.length; i++)
        mean[i] = (mean[i] as number) + (token[i] as number) / tokens.length;
    }
    return mean;
  });
}
