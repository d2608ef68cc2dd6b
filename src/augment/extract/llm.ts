import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createXai } from '@ai-sdk/xai';
import {
  APICallError,
  generateText,
  type JSONSchema7,
  jsonSchema,
  type LanguageModel,
  LoadAPIKeyError,
  LoadSettingError,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  Output,
  RetryError,
} from 'ai';
import pThrottle from 'p-throttle';
import { z } from 'zod';
import { FactCategory } from '../../db/enums.ts';
import { EngramError } from '../../errors.ts';
import type {
  ExtractedFact,
  ExtractedTriple,
  Extraction,
  ExtractionInput,
  Extractor,
  TokenUsage,
} from '../types.ts';
import { buildSystemPrompt, buildUserPrompt, PREFERRED_PREDICATES } from './llm-prompt.ts';

/**
 * LLM extractors: one code path (the AI SDK's `generateText` with `Output.object`, which AI SDK 6
 * recommends over the deprecated `generateObject`) for every provider; only the construction of the
 * model differs. Each provider library sends the schema its own way (OpenAI-style `response_format`
 * json_schema, Anthropic `output_config.format` or a forced `json` tool, Gemini `responseSchema`,
 * Bedrock Converse) and the SDK does the HTTP, the retries of 408/409/429/5xx with backoff that
 * honours `retry-after(-ms)`, and the parsing of each wire format. This file adds the prompt, a
 * lenient validation of what comes back, a timeout, a rate limit, token usage, and errors a job
 * queue can act on without ever echoing the API key.
 */

export type LlmProvider = 'openai' | 'anthropic' | 'google' | 'xai' | 'bedrock' | 'openai-compatible';

export const LLM_PROVIDERS: readonly LlmProvider[] = [
  'openai',
  'anthropic',
  'google',
  'xai',
  'bedrock',
  'openai-compatible',
];

export interface ExtractorLogger {
  warn(obj: object, msg?: string): void;
}

export interface LlmExtractorOptions {
  provider: LlmProvider;
  /** The provider's model id: `gpt-4.1-mini`, `claude-haiku-4-5`, `gemini-2.5-flash`, `llama3.1:8b`... */
  model: string;
  /**
   * The API key. Required for openai, anthropic, google and xai; optional for openai-compatible
   * (Ollama and vLLM usually run without one); for bedrock, a Bedrock API key used instead of
   * access keys. Never read from the environment behind the configuration's back.
   */
  apiKey?: string;
  /**
   * Where the API lives. Required for openai-compatible (`http://localhost:11434/v1` for Ollama,
   * `http://vllm:8000/v1`); elsewhere the provider's public endpoint (for bedrock, the region's).
   */
  baseUrl?: string;
  /** Extra request headers (a gateway's tenant header, for instance). */
  headers?: Record<string, string>;
  /**
   * Bedrock: the AWS region (`us-east-1`). Bedrock needs one; AWS_REGION counts, as do the usual
   * AWS credential variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
   * AWS_BEARER_TOKEN_BEDROCK) when no credentials are given here.
   */
  region?: string;
  /** Bedrock: SigV4 access key id, with `secretAccessKey` (and `sessionToken` for temporary keys). */
  accessKeyId?: string;
  /** Bedrock: SigV4 secret access key. */
  secretAccessKey?: string;
  /** Bedrock: session token of temporary credentials. */
  sessionToken?: string;
  /**
   * Bedrock: where fresh credentials come from (an instance role, SSO...), e.g. `fromNodeProviderChain()`
   * of @aws-sdk/credential-providers; takes precedence over the access keys.
   */
  credentialProvider?: () => PromiseLike<{
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  }>;
  /**
   * How long one extraction may take, retries included, before it fails with LLM_TIMEOUT. The
   * clock starts once the rate limit lets the request go.
   * @default 60000
   */
  timeoutMs?: number;
  /**
   * Retries of a request that failed with 408, 409, 429, 5xx or a dropped connection, with
   * exponential backoff (2 s, 4 s...) that honours the server's `retry-after(-ms)` header.
   * @default 2
   */
  maxRetries?: number;
  /**
   * Requests per minute this extractor sends at most, spaced evenly (providers enforce per-minute
   * limits over shorter windows, so bursts get 429s even under the limit). Each process keeps its
   * own count. Unset: unlimited.
   * @default undefined
   */
  rateLimitPerMinute?: number;
  /**
   * Sampling temperature; 0 for the most repeatable extractions. Models that reject sampling
   * parameters (reasoning models) ignore it, with a warning from the SDK.
   * @default 0
   */
  temperature?: number;
  /**
   * Cap on generated tokens (reasoning models count their reasoning in it). An extraction that hits
   * it is cut off and fails with LLM_BAD_OUTPUT, not retryable.
   * @default 8192
   */
  maxOutputTokens?: number;
  /**
   * openai-compatible: send the JSON schema (`response_format: json_schema`, which Ollama, vLLM,
   * LM Studio and llama.cpp's server accept). Off: plain JSON mode (`json_object`) for servers
   * without it, with the shape described only in the prompt.
   * @default true
   */
  structuredOutputs?: boolean;
  /**
   * The predicates the model is asked to prefer.
   * @default PREFERRED_PREDICATES (llm-prompt.ts)
   */
  predicates?: readonly string[];
  /** Where dropped items and the SDK's warnings are reported. Unset: nowhere. */
  logger?: ExtractorLogger;
}

export type ExtractionErrorCode =
  | 'LLM_UNAUTHORIZED'
  | 'LLM_TIMEOUT'
  | 'LLM_RATE_LIMITED'
  | 'LLM_BAD_OUTPUT'
  | 'LLM_FAILED';

/**
 * Why an extraction failed. `retryable` tells a job queue whether trying the same job again later
 * can succeed (timeouts, rate limits, 5xx, network) or whether to park it (a refused key, a bad
 * request, output cut off by the token cap). The message never contains the API key; `cause` holds
 * the library's error for the log (except for refused keys, whose provider messages quote the key).
 */
export class ExtractionError extends EngramError {
  declare readonly code: ExtractionErrorCode;
  readonly retryable: boolean;
  /** The HTTP status of the last attempt, when there was a response. */
  readonly status: number | undefined;
  /** How long the provider asked to wait (`retry-after(-ms)`), for rate limits. */
  readonly retryAfterMs: number | undefined;
  /** Tokens spent on an answer that could not be used (LLM_BAD_OUTPUT), so that the job can record them. */
  readonly usage: TokenUsage | undefined;

  constructor(
    message: string,
    code: ExtractionErrorCode,
    options: {
      retryable: boolean;
      cause?: unknown;
      status?: number;
      retryAfterMs?: number;
      usage?: TokenUsage;
    },
  ) {
    super(code, message);
    this.name = 'ExtractionError';
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.usage = options.usage;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** The extractor cannot be built as configured (missing key, region, base URL...). */
export class LlmConfigError extends EngramError {
  constructor(message: string) {
    super('LLM_CONFIG_INVALID', message);
    this.name = 'LlmConfigError';
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_MAX_OUTPUT_TOKENS = 8192;
/** Provider messages can quote whole requests or responses; an error message should not. */
const MAX_DETAIL_LENGTH = 300;
/** Longer than this, a "fact" is a paragraph, not a fact. */
const MAX_FACT_LENGTH = 500;
const MAX_TRIPLE_PART_LENGTH = 200;

/** The categories a model may file a fact under: the database's own. */
const CATEGORIES = FactCategory;

/** How each provider is named in messages. */
const LABELS: Record<LlmProvider, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Gemini',
  xai: 'xAI',
  bedrock: 'Amazon Bedrock',
  'openai-compatible': 'OpenAI-compatible server',
};

// ---------------------------------------------------------------------------------------------
// Schemas

/**
 * The schema the model is given. Every property is required (nullable where it may be unknown)
 * and there are no length or range constraints: OpenAI's strict structured outputs demand the
 * former and reject some of the latter, and the other providers accept this shape as it is.
 */
const modelOutputSchema = z.object({
  facts: z.array(
    z.object({
      content: z.string().describe('Short third-person statement about the user, e.g. "Lives in Porto".'),
      category: z.enum(CATEGORIES),
      messageIndex: z.number().int().describe('Index of the message the fact comes from.'),
    }),
  ),
  triples: z.array(
    z.object({
      subject: z.string().describe('The entity id for the user, otherwise a name.'),
      predicate: z.string().describe('Lowercase snake_case predicate, e.g. lives_in.'),
      object: z.string(),
      subjectType: z.string().nullable(),
      objectType: z.string().nullable(),
      messageIndex: z.number().int(),
    }),
  ),
  summary: z.string().describe('Summary of the conversation so far, updated with this turn.'),
});

/**
 * The model's schema in JSON Schema, as the SDK would convert it, minus the ±2^53 bounds zod puts
 * on every integer: Anthropic copies them into descriptions the model reads, to no one's benefit.
 */
const modelJsonSchema = z.toJSONSchema(modelOutputSchema, {
  target: 'draft-7',
  io: 'output',
  reused: 'inline',
  override: ({ jsonSchema }) => {
    if (jsonSchema.type === 'integer') {
      delete jsonSchema.minimum;
      delete jsonSchema.maximum;
    }
  },
}) as JSONSchema7;

/**
 * What the SDK validates the answer against: only "a JSON object with at least one of our keys".
 * Items are checked one by one afterwards, so that one bad triple does not cost the whole turn.
 */
const lenientOutputSchema = jsonSchema<Record<string, unknown>>(() => modelJsonSchema, {
  validate: (value) =>
    isRecord(value) && ('facts' in value || 'triples' in value || 'summary' in value)
      ? { success: true, value }
      : { success: false, error: new Error('the answer is not an object with facts, triples or summary') },
});

const messageIndexSchema = z.union([
  z.number().int().nonnegative(),
  // JSON-mode models sometimes quote numbers.
  z
    .string()
    .regex(/^\d+$/)
    .transform((digits) => Number(digits)),
]);

const factSchema = z.object({
  content: z.string().trim().min(1).max(MAX_FACT_LENGTH),
  category: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toUpperCase() : value),
    z.enum(CATEGORIES),
  ),
  messageIndex: messageIndexSchema,
});

const triplePart = z.string().trim().min(1).max(MAX_TRIPLE_PART_LENGTH);
/** person, place...; blank or missing is unknown. */
const typeSchema = z
  .string()
  .nullish()
  .transform((value) => {
    const type = value?.trim().toLowerCase();
    return type ? type : null;
  });

const tripleSchema = z.object({
  subject: triplePart,
  predicate: triplePart.transform(snakeCasePredicate).pipe(z.string().min(1)),
  object: triplePart,
  subjectType: typeSchema,
  objectType: typeSchema,
  messageIndex: messageIndexSchema,
});

/** "Lives In" → lives_in, "works-at" → works_at: predicates are compared by name downstream. */
export function snakeCasePredicate(predicate: string): string {
  return predicate
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
    .replace(/[^\p{L}\p{N}_]/gu, '')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}

/** Subjects models write for the user instead of its id. */
const FIRST_PERSON_SUBJECTS = new Set(['i', 'me', 'myself', 'user', 'the user', 'the_user']);

/**
 * Keeps the valid items of the model's answer and counts the others. Items are dropped, not
 * repaired, beyond harmless normalization (trimming, case, the user's id as subject).
 */
export function cleanExtraction(
  raw: Record<string, unknown>,
  input: ExtractionInput,
): { facts: ExtractedFact[]; triples: ExtractedTriple[]; summary: string | null; dropped: number } {
  const messageCount = input.messages.length;
  let dropped = 0;
  const inRange = (index: number) => index < messageCount;

  const facts: ExtractedFact[] = [];
  for (const item of arrayOf(raw.facts, () => dropped++)) {
    const parsed = factSchema.safeParse(item);
    if (parsed.success && inRange(parsed.data.messageIndex)) facts.push(parsed.data);
    else dropped++;
  }

  const triples: ExtractedTriple[] = [];
  for (const item of arrayOf(raw.triples, () => dropped++)) {
    const parsed = tripleSchema.safeParse(item);
    if (!parsed.success || !inRange(parsed.data.messageIndex)) {
      dropped++;
      continue;
    }
    const triple = parsed.data;
    if (FIRST_PERSON_SUBJECTS.has(triple.subject.toLowerCase())) triple.subject = input.entity;
    triples.push(triple);
  }

  const summary = typeof raw.summary === 'string' && raw.summary.trim() ? raw.summary.trim() : null;
  return { facts, triples, summary, dropped };
}

function arrayOf(value: unknown, onInvalid: () => void): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  onInvalid();
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// The extractor

interface ResolvedOptions {
  timeoutMs: number;
  maxRetries: number;
  temperature: number;
  maxOutputTokens: number;
  apiKey: string | undefined;
}

class LlmExtractor implements Extractor {
  readonly name: string;
  private readonly label: string;
  private readonly system: string;
  /** Resolves when the rate limit lets the next request go; undefined when unlimited. */
  private readonly nextSlot: (() => Promise<void>) | undefined;

  constructor(
    private readonly model: LanguageModel,
    provider: LlmProvider,
    private readonly modelId: string,
    private readonly options: ResolvedOptions,
    rateLimitPerMinute: number | undefined,
    predicates: readonly string[],
    private readonly logger: ExtractorLogger | undefined,
  ) {
    this.name = `${provider}:${modelId}`;
    this.label = `${LABELS[provider]} (${modelId})`;
    this.system = buildSystemPrompt(predicates);
    if (rateLimitPerMinute !== undefined) {
      // One request per 60/N seconds rather than N at once per minute: see rateLimitPerMinute.
      // Strict mode spaces calls from the last one actually made, not from window boundaries.
      const throttle = pThrottle({ limit: 1, interval: 60_000 / rateLimitPerMinute, strict: true });
      this.nextSlot = throttle(async () => {});
    }
  }

  async extract(input: ExtractionInput, signal?: AbortSignal): Promise<Extraction> {
    signal?.throwIfAborted();
    if (input.messages.length === 0) {
      return {
        facts: [],
        triples: [],
        summary: input.previousSummary ?? null,
        usage: { inputTokens: 0, outputTokens: 0 },
      };
    }
    if (this.nextSlot) await abortable(this.nextSlot(), signal);

    // One controller per call, aborted by the timer or by the caller. Not AbortSignal.any() with
    // the caller's signal, which may be long-lived: Node has leaked combined signals (nodejs/node#55351).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`timed out after ${this.options.timeoutMs} ms`, 'TimeoutError'));
    }, this.options.timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    try {
      const result = await generateText({
        model: this.model,
        system: this.system,
        prompt: buildUserPrompt(input),
        output: Output.object({
          schema: lenientOutputSchema,
          name: 'extraction',
          description: 'Facts, triples and summary extracted from a conversation turn.',
        }),
        temperature: this.options.temperature,
        maxOutputTokens: this.options.maxOutputTokens,
        maxRetries: this.options.maxRetries,
        abortSignal: controller.signal,
      });
      const usage = usageOf(result.totalUsage);
      if (result.warnings?.length) {
        this.logger?.warn({ extractor: this.name, warnings: result.warnings }, 'LLM provider warnings');
      }
      let raw: Record<string, unknown>;
      try {
        raw = result.output;
      } catch (error) {
        // No text at all (an empty answer, or a tool call where JSON was expected).
        throw this.badOutput(error, result.finishReason, usage);
      }
      const { dropped, ...extraction } = cleanExtraction(raw, input);
      if (dropped > 0) {
        this.logger?.warn({ extractor: this.name, dropped }, 'LLM extraction: invalid items dropped');
      }
      return { ...extraction, usage };
    } catch (error) {
      // The caller gave up (shutdown, job cancelled): like fetch(), reject with its reason.
      if (signal?.aborted) throw signal.reason;
      throw this.describe(error, timedOut);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private badOutput(
    error: unknown,
    finishReason: string | undefined,
    usage: TokenUsage | undefined,
  ): ExtractionError {
    if (finishReason === 'length') {
      // The same input would be cut off again: park the job rather than pay for it twice more.
      return new ExtractionError(
        `${this.label} stopped at the ${this.options.maxOutputTokens}-token output cap before finishing the extraction; raise maxOutputTokens`,
        'LLM_BAD_OUTPUT',
        { retryable: false, cause: error, usage },
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    // Not the text itself in the message: it quotes the conversation.
    return new ExtractionError(
      `${this.label} returned output that is not a usable extraction: ${reason}`,
      'LLM_BAD_OUTPUT',
      {
        // Sampling differs between calls even at temperature 0; the queue's attempt limit bounds it.
        retryable: true,
        cause: error,
        usage,
      },
    );
  }

  private describe(error: unknown, timedOut: boolean): ExtractionError {
    if (error instanceof ExtractionError) return error;
    if (timedOut) {
      return new ExtractionError(
        `${this.label} did not answer within ${this.options.timeoutMs} ms`,
        'LLM_TIMEOUT',
        {
          retryable: true,
          cause: error,
        },
      );
    }
    if (NoObjectGeneratedError.isInstance(error)) {
      return this.badOutput(error, error.finishReason, error.usage ? usageOf(error.usage) : undefined);
    }
    if (NoOutputGeneratedError.isInstance(error)) return this.badOutput(error, undefined, undefined);

    const last = RetryError.isInstance(error) ? error.lastError : error;
    const attempts = RetryError.isInstance(error) ? ` after ${error.errors.length} attempts` : '';
    if (LoadAPIKeyError.isInstance(last) || LoadSettingError.isInstance(last)) {
      // Validated at construction, so only reachable through a provider reading its environment.
      return new ExtractionError(
        `${this.label} is missing a setting: ${this.scrub(last.message)}`,
        'LLM_UNAUTHORIZED',
        {
          retryable: false,
        },
      );
    }
    if (APICallError.isInstance(last)) {
      const status = last.statusCode;
      const where = `${this.label} at ${hostOf(last.url)}`;
      if (status === 401 || status === 403) {
        // Neither the provider's message nor the error itself: OpenAI quotes part of the key back.
        return new ExtractionError(
          `${where} refused the API key (HTTP ${status}); check the configured key and its access to model ${this.modelId}`,
          'LLM_UNAUTHORIZED',
          { retryable: false, status },
        );
      }
      if (status === 429) {
        return new ExtractionError(
          `${where} is rate limiting requests (HTTP 429)${attempts}`,
          'LLM_RATE_LIMITED',
          {
            retryable: true,
            cause: error,
            status,
            retryAfterMs: retryAfterMsOf(last.responseHeaders),
          },
        );
      }
      return new ExtractionError(
        `${where} failed${status ? ` (HTTP ${status})` : ''}${attempts}: ${this.scrub(last.message)}`,
        'LLM_FAILED',
        // 5xx, 408, 409 and connection failures are worth another try later; 400 or 404 are not.
        { retryable: last.isRetryable, cause: error, status },
      );
    }
    const message = last instanceof Error ? last.message : String(last);
    return new ExtractionError(`${this.label} failed${attempts}: ${this.scrub(message)}`, 'LLM_FAILED', {
      // Unknown failures (a proxy answering nonsense...) get another try; attempts are bounded by the queue.
      retryable: true,
      cause: error,
    });
  }

  private scrub(text: string): string {
    const key = this.options.apiKey;
    const scrubbed = key && key.length >= 4 ? text.split(key).join('[redacted]') : text;
    return scrubbed.length > MAX_DETAIL_LENGTH ? `${scrubbed.slice(0, MAX_DETAIL_LENGTH)}...` : scrubbed;
  }
}

/** Resolves with `promise`, or rejects with the signal's reason as soon as it aborts. */
function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function usageOf(usage: { inputTokens: number | undefined; outputTokens: number | undefined }): TokenUsage {
  return { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
}

function retryAfterMsOf(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const retryAfter = headers['retry-after'];
  if (!retryAfter) return undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

// ---------------------------------------------------------------------------------------------
// Construction

function integer(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new LlmConfigError(`${name} must be an integer >= ${min}`);
  return value;
}

function required(value: string | undefined, message: string): string {
  const trimmed = value?.trim();
  if (!trimmed) throw new LlmConfigError(message);
  return trimmed;
}

/**
 * Builds the model. Keys and URLs are always passed explicitly (an empty key rather than
 * undefined where none is needed), so that no provider library falls back to OPENAI_API_KEY,
 * ANTHROPIC_BASE_URL and the like behind the configuration's back.
 */
function createModel(options: LlmExtractorOptions, apiKey: string | undefined): LanguageModel {
  const { provider, model, headers } = options;
  const needKey = () =>
    required(apiKey, `the ${LABELS[provider]} extractor needs an API key (apiKey) and none is configured`);
  switch (provider) {
    case 'openai':
      // Chat Completions rather than the SDK's default Responses API: the Responses API stores
      // responses (and so the conversation) at OpenAI by default, and Chat Completions is the wire
      // format the OpenAI-compatible servers share.
      return createOpenAI({
        apiKey: needKey(),
        baseURL: options.baseUrl ?? 'https://api.openai.com/v1',
        headers,
      }).chat(model);
    case 'anthropic':
      return createAnthropic({
        apiKey: needKey(),
        baseURL: options.baseUrl ?? 'https://api.anthropic.com/v1',
        headers,
      })(model);
    case 'google':
      return createGoogleGenerativeAI({
        apiKey: needKey(),
        baseURL: options.baseUrl ?? 'https://generativelanguage.googleapis.com/v1beta',
        headers,
      })(model);
    case 'xai':
      return createXai({ apiKey: needKey(), baseURL: options.baseUrl ?? 'https://api.x.ai/v1', headers })(
        model,
      );
    case 'bedrock': {
      // AWS's own variables are how AWS credentials are configured everywhere (and what the library
      // reads), so for Bedrock, unlike the other providers, they count as configuration.
      const env = process.env;
      const region = required(
        options.region ?? env.AWS_REGION,
        'the Amazon Bedrock extractor needs an AWS region (region or AWS_REGION, e.g. us-east-1) and none is configured',
      );
      const hasKeyPair =
        Boolean(options.accessKeyId?.trim() && options.secretAccessKey?.trim()) ||
        Boolean(env.AWS_ACCESS_KEY_ID?.trim() && env.AWS_SECRET_ACCESS_KEY?.trim());
      const hasBearer = Boolean(apiKey || env.AWS_BEARER_TOKEN_BEDROCK?.trim());
      if (!hasBearer && !hasKeyPair && !options.credentialProvider) {
        throw new LlmConfigError(
          'the Amazon Bedrock extractor needs credentials: a Bedrock API key (apiKey or AWS_BEARER_TOKEN_BEDROCK), an access key pair (accessKeyId and secretAccessKey, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or a credentialProvider',
        );
      }
      return createAmazonBedrock({
        region,
        // Bearer API key when given; otherwise SigV4 with the keys or the provider.
        apiKey,
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        sessionToken: options.sessionToken,
        credentialProvider: options.credentialProvider,
        baseURL: options.baseUrl,
        headers,
      })(model);
    }
    case 'openai-compatible':
      return createOpenAICompatible({
        name: 'openaiCompatible',
        baseURL: required(
          options.baseUrl,
          'the OpenAI-compatible extractor needs the server URL (baseUrl, e.g. http://localhost:11434/v1) and none is configured',
        ),
        apiKey,
        headers,
        supportsStructuredOutputs: options.structuredOutputs ?? true,
      })(model);
    default:
      throw new LlmConfigError(
        `unknown LLM provider "${String(provider)}"; expected one of ${LLM_PROVIDERS.join(', ')}`,
      );
  }
}

/** An {@link Extractor} named `<provider>:<model>` backed by a hosted or self-hosted LLM. */
export function createLlmExtractor(options: LlmExtractorOptions): Extractor {
  if (!LLM_PROVIDERS.includes(options.provider)) {
    throw new LlmConfigError(
      `unknown LLM provider "${String(options.provider)}"; expected one of ${LLM_PROVIDERS.join(', ')}`,
    );
  }
  const modelId = required(
    options.model,
    `the ${LABELS[options.provider]} extractor needs a model name (model)`,
  );
  const rateLimit = options.rateLimitPerMinute;
  if (rateLimit !== undefined && !(Number.isFinite(rateLimit) && rateLimit > 0)) {
    throw new LlmConfigError('rateLimitPerMinute must be a positive number (leave it unset for no limit)');
  }
  const temperature = options.temperature ?? 0;
  if (!Number.isFinite(temperature) || temperature < 0) throw new LlmConfigError('temperature must be >= 0');
  const apiKey = options.apiKey?.trim() || undefined;
  const model = createModel({ ...options, model: modelId }, apiKey);
  return new LlmExtractor(
    model,
    options.provider,
    modelId,
    {
      timeoutMs: integer(options.timeoutMs, DEFAULT_TIMEOUT_MS, 1, 'timeoutMs'),
      maxRetries: integer(options.maxRetries, DEFAULT_MAX_RETRIES, 0, 'maxRetries'),
      maxOutputTokens: integer(options.maxOutputTokens, DEFAULT_MAX_OUTPUT_TOKENS, 1, 'maxOutputTokens'),
      temperature,
      apiKey,
    },
    rateLimit,
    options.predicates ?? PREFERRED_PREDICATES,
    options.logger,
  );
}
