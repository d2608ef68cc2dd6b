import { type EmbeddingModel, embedMany } from 'ai';
import type { EmbedPurpose } from '../types.ts';
import type { EmbedBatch } from './hosted-embedder.ts';

/** One batch through the AI SDK, which retries 408/409/429/5xx and honours retry-after headers. */
export function aiSdkBatch(
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
