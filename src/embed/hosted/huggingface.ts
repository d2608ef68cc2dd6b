import { setTimeout as sleep } from 'node:timers/promises';
import { type FeatureExtractionOutput, featureExtraction } from '@huggingface/inference';
import { isTransientFailure } from '../../providers/http-errors.ts';
import { retryAfterMs, retryDelayMs } from '../../providers/retry.ts';
import { type Embedder, EmbeddingError } from '../types.ts';
import { type EmbedBatch, HostedEmbedder } from './hosted-embedder.ts';
import { commonConfig, type HostedEmbedderOptions } from './options.ts';

// Hugging Face Inference, through @huggingface/inference, which does not retry the way the AI SDK
// does: the loop below retries with the same rules (src/providers/retry.ts), so that every
// provider retries alike.

const HF_BASE_URL = 'https://router.huggingface.co/hf-inference';
/** Text Embeddings Inference's default --max-client-batch-size, which HF's endpoints run. */
const HF_DEFAULT_BATCH = 32;

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
      let serverDelayMs: number | undefined;
      // The library's errors carry the status but not the headers; catch retry-after on the way.
      const recordingFetch: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        serverDelayMs = retryAfterMs(response.headers);
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
        if (signal.aborted || attempt >= common.maxRetries || !isTransientFailure(error)) throw error;
        await sleep(retryDelayMs(attempt, serverDelayMs), undefined, { signal });
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
