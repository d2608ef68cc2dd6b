import type { Env } from '../env.ts';
import {
  cohereEmbedder,
  huggingFaceEmbedder,
  openAICompatibleEmbedder,
  openAIEmbedder,
} from './hosted/index.ts';
import { createLocalEmbedder, DEFAULT_LOCAL_MODEL, type LocalEmbedderOptions } from './local.ts';
import type { Embedder } from './types.ts';

/** The local model's options from the configuration (also used by `engram models`). */
export function localModelOptions(env: Env): LocalEmbedderOptions {
  return {
    modelId: env.EMBEDDING_MODEL ?? DEFAULT_LOCAL_MODEL,
    modelPath: env.EMBEDDING_MODEL_PATH,
    dtype: env.EMBEDDING_DTYPE,
    allowDownload: env.EMBEDDING_ALLOW_DOWNLOAD,
    batchSize: env.EMBEDDING_BATCH_SIZE,
    timeoutMs: env.EMBEDDING_TIMEOUT_MS,
  };
}

/** The embedding provider the configuration selects; null for EMBEDDING_PROVIDER=none. */
export function createEmbedder(env: Env): Embedder | null {
  const hosted = {
    apiKey: env.EMBEDDING_API_KEY,
    baseUrl: env.EMBEDDING_API_URL,
    timeoutMs: env.EMBEDDING_TIMEOUT_MS,
    dimensions: env.EMBEDDING_DIMENSIONS,
  };
  switch (env.EMBEDDING_PROVIDER) {
    case 'none':
      return null;
    case 'local':
      return createLocalEmbedder(localModelOptions(env));
    case 'openai':
      return openAIEmbedder({ ...hosted, model: env.EMBEDDING_MODEL ?? 'text-embedding-3-small' });
    case 'openai-compatible':
      return openAICompatibleEmbedder({
        ...hosted,
        baseUrl: env.EMBEDDING_API_URL as string,
        model: env.EMBEDDING_MODEL ?? 'text-embedding-3-small',
        // Azure OpenAI takes the key in `api-key` and needs its api-version on every call.
        ...(env.EMBEDDING_API_VERSION
          ? { apiKeyHeader: 'api-key', queryParams: { 'api-version': env.EMBEDDING_API_VERSION } }
          : {}),
      });
    case 'cohere':
      return cohereEmbedder({ ...hosted, model: env.EMBEDDING_MODEL ?? 'embed-english-v3.0' });
    case 'huggingface':
      return huggingFaceEmbedder({
        apiKey: env.EMBEDDING_API_KEY,
        endpointUrl: env.EMBEDDING_API_URL,
        timeoutMs: env.EMBEDDING_TIMEOUT_MS,
        model: env.EMBEDDING_MODEL ?? 'sentence-transformers/all-MiniLM-L6-v2',
      });
  }
}
