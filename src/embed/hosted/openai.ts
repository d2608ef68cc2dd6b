import { createOpenAI } from '@ai-sdk/openai';
import type { Embedder } from '../types.ts';
import { aiSdkBatch } from './ai-sdk-batch.ts';
import { HostedEmbedder } from './hosted-embedder.ts';
import { commonConfig, type HostedEmbedderOptions } from './options.ts';

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
