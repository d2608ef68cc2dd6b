import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { Embedder } from '../types.ts';
import { aiSdkBatch } from './ai-sdk-batch.ts';
import { HostedEmbedder } from './hosted-embedder.ts';
import { commonConfig, type HostedEmbedderOptions } from './options.ts';

// Servers that speak OpenAI's /embeddings: Azure OpenAI, Ollama, vLLM, LiteLLM, TEI's /v1...

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
