/** The LLM providers an extractor can use, and the options it is built with. */

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
   * @default PREFERRED_PREDICATES (prompt.ts)
   */
  predicates?: readonly string[];
  /** Where dropped items and the SDK's warnings are reported. Unset: nowhere. */
  logger?: ExtractorLogger;
  /**
   * Masks personal data in the messages and summary before they are sent (PII_REDACTION=providers).
   * Unset: sent as stored.
   */
  mask?: (text: string) => string;
}

/** How each provider is named in messages. */
export const PROVIDER_LABELS: Record<LlmProvider, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Gemini',
  xai: 'xAI',
  bedrock: 'Amazon Bedrock',
  'openai-compatible': 'OpenAI-compatible server',
};
