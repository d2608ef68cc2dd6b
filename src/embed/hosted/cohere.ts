import { createCohere } from '@ai-sdk/cohere';
import type { Embedder } from '../types.ts';
import { aiSdkBatch } from './ai-sdk-batch.ts';
import { HostedEmbedder } from './hosted-embedder.ts';
import { commonConfig, type HostedEmbedderOptions } from './options.ts';

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
