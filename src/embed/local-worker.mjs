// The local embedder's inference thread (see local.ts). Plain JavaScript so it runs unchanged under
// node, tsx and vitest: the Worker is started by Node itself, outside any TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import { env, LogLevel, pipeline } from '@huggingface/transformers';

/**
 * @typedef {object} WorkerOptions
 * @property {string} modelId
 * @property {string} modelPath absolute
 * @property {string} cacheDir absolute
 * @property {'q8' | 'fp32'} dtype
 * @property {boolean} allowDownload
 */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const options = /** @type {WorkerOptions} */ (workerData);

env.localModelPath = options.modelPath;
env.cacheDir = options.cacheDir;
env.allowLocalModels = true;
env.allowRemoteModels = options.allowDownload;
// Missing local files are expected on the way to a download; the main thread reports failures itself.
env.logLevel = LogLevel.ERROR;

const PIPELINE_OPTIONS = { pooling: 'mean', normalize: true };

/**
 * Errors cross to the main thread as plain text; a fetch failure's reason (DNS, refused, TLS) is only
 * in its `cause`, and it is the useful part.
 * @param {unknown} error
 */
function describe(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return { message: cause ? `${error.message} (${cause})` : error.message, name: error.name };
}

const loading = (async () => {
  const extractor = await pipeline('feature-extraction', options.modelId, {
    dtype: options.dtype,
    // Always reported, even with no onProgress: the main thread's load timeout restarts on each event.
    progress_callback: (event) => port.postMessage({ type: 'progress', event }),
  });
  // The dimension comes from the model's actual output, not config.json, so any model reports it right.
  const probe = await extractor(['dimension probe'], PIPELINE_OPTIONS);
  const dimension = probe.dims.at(-1);
  if (typeof dimension !== 'number' || dimension <= 0) {
    throw new Error(`the model's output has no usable last dimension (dims ${JSON.stringify(probe.dims)})`);
  }
  return { extractor, dimension };
})();

loading.then(
  ({ dimension }) => port.postMessage({ type: 'ready', dimension }),
  (error) => port.postMessage({ type: 'load-failed', ...describe(error) }),
);

port.on('message', async (/** @type {{ type: 'embed'; id: number; texts: string[] }} */ message) => {
  if (message.type !== 'embed') return;
  try {
    const { extractor, dimension } = await loading;
    const output = await extractor(message.texts, PIPELINE_OPTIONS);
    // A fresh, exactly sized array whose buffer can be transferred instead of copied.
    const data = Float32Array.from(/** @type {Float32Array} */ (output.data));
    output.dispose?.();
    port.postMessage({ type: 'vectors', id: message.id, data, dimension }, [data.buffer]);
  } catch (error) {
    port.postMessage({ type: 'failed', id: message.id, ...describe(error) });
  }
});
