// The local embedder's inference thread (see local.ts). Plain JavaScript so it runs unchanged under
// node, tsx and vitest: the Worker is started by Node itself, outside any TypeScript loader.
import { workerData } from 'node:worker_threads';
import { env, LogLevel, pipeline } from '@huggingface/transformers';
import { emit, moved, serveThread } from '../runtime/thread-host.mjs';

/**
 * @typedef {object} EmbeddingThreadOptions
 * @property {string} modelId
 * @property {string} modelPath absolute
 * @property {string} cacheDir absolute
 * @property {'q8' | 'fp32'} dtype
 * @property {boolean} allowDownload
 */

const options = /** @type {EmbeddingThreadOptions} */ (workerData);

env.localModelPath = options.modelPath;
env.cacheDir = options.cacheDir;
env.allowLocalModels = true;
env.allowRemoteModels = options.allowDownload;
// Missing local files are expected on the way to a download; the main thread reports failures itself.
env.logLevel = LogLevel.ERROR;

const PIPELINE_OPTIONS = { pooling: 'mean', normalize: true };

// Loading starts with the thread, before the main thread's `load` call asks for its outcome.
const loading = (async () => {
  const extractor = await pipeline('feature-extraction', options.modelId, {
    dtype: options.dtype,
    // Always reported, even with no onProgress: the main thread's load timeout restarts on each event.
    progress_callback: (event) => emit(event),
  });
  // The dimension comes from the model's actual output, not config.json, so any model reports it right.
  const probe = await extractor(['dimension probe'], PIPELINE_OPTIONS);
  const dimension = probe.dims.at(-1);
  if (typeof dimension !== 'number' || dimension <= 0) {
    throw new Error(`the model's output has no usable last dimension (dims ${JSON.stringify(probe.dims)})`);
  }
  return { extractor, dimension };
})();
// The failure is reported through `load`; this keeps it from being an unhandled rejection first.
loading.catch(() => {});

serveThread({
  /** Resolves with the model's dimension once it is loaded. */
  load: async () => (await loading).dimension,
  /** @param {string[]} texts */
  embed: async (texts) => {
    const { extractor, dimension } = await loading;
    const output = await extractor(texts, PIPELINE_OPTIONS);
    // A fresh, exactly sized array whose buffer can be moved instead of copied.
    const data = Float32Array.from(/** @type {Float32Array} */ (output.data));
    output.dispose?.();
    return moved({ data, dimension }, [data.buffer]);
  },
});
