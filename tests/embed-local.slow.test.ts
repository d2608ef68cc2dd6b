import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalEmbedder, type ModelProgressEvent } from '../src/embed/local.ts';
import { prefetchModel } from '../src/embed/models.ts';
import type { Embedder } from '../src/embed/types.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { type TinyBertModel, writeTinyBertModel } from './helpers/tiny-model.ts';

const TEXTS = [
  'The user likes coffee.',
  'Paris is the capital of France.',
  'hello',
  'She prefers tea in the afternoon, and she works from home on Fridays.',
  'zzzz qqqq',
  '',
];

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, i) => sum + value * (b[i] as number), 0);
}

function expectClose(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((vector, i) => {
    const other = expected[i] as Float32Array;
    expect(vector).toHaveLength(other.length);
    const worst = Math.max(...vector.map((value, j) => Math.abs(value - (other[j] as number))));
    expect(worst, `vector ${i} differs by ${worst}`).toBeLessThan(1e-5);
  });
}

/** The private worker handle, to kill it as a crash would. */
function workerOf(embedder: Embedder): Worker | null {
  return (embedder as unknown as { worker: Worker | null }).worker;
}

// The embedder touches no database: run it in the SQLite project only, not once per database.
describe.runIf(TEST_DATABASE === 'sqlite')(
  'local embedder (tiny BERT through transformers.js + onnxruntime)',
  () => {
    let dir: string;
    let model: TinyBertModel;
    let q8: Embedder;
    let fp32: Embedder;
    const options = () => ({ modelId: model.modelId, modelPath: model.modelPath, allowDownload: false });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'engram-embed-'));
      model = await writeTinyBertModel(join(dir, 'models'), { hidden: 32, seed: 7 });
      q8 = createLocalEmbedder(options());
      fp32 = createLocalEmbedder({ ...options(), dtype: 'fp32' });
    });

    afterAll(async () => {
      await Promise.all([q8?.close(), fp32?.close()]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('names the model and reports the hidden size as the dimension', async () => {
      expect(q8.model).toBe(`local:${model.modelId}`);
      expect(await q8.load()).toBe(model.hidden);
      expect(await fp32.load()).toBe(model.hidden);
    });

    it('returns one finite unit-length vector per text, in order', async () => {
      const vectors = await q8.embed(TEXTS, 'document');
      expect(vectors).toHaveLength(TEXTS.length);
      for (const vector of vectors) {
        expect(vector).toBeInstanceOf(Float32Array);
        expect(vector).toHaveLength(model.hidden);
        expect(vector.every(Number.isFinite)).toBe(true);
        expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
        // Each vector owns its buffer, so storing `vector.buffer` stores just this vector.
        expect(vector.buffer.byteLength).toBe(model.hidden * 4);
      }
      expect(await q8.embed([], 'query')).toEqual([]);
    });

    it('gives the same text the same vector and different texts different vectors', async () => {
      const [first, again, other] = await q8.embed(
        ['The user likes coffee.', 'The user likes coffee.', 'hello'],
        'query',
      );
      const [later] = await q8.embed(['The user likes coffee.'], 'document');
      expect(Array.from(again as Float32Array)).toEqual(Array.from(first as Float32Array));
      expect(Array.from(later as Float32Array)).toEqual(Array.from(first as Float32Array));
      const vectors = await q8.embed(TEXTS, 'document');
      for (let i = 0; i < vectors.length; i++) {
        for (let j = i + 1; j < vectors.length; j++) {
          expect(cosine(vectors[i] as Float32Array, vectors[j] as Float32Array)).toBeLessThan(0.99);
        }
      }
      expect(cosine(first as Float32Array, other as Float32Array)).toBeLessThan(0.99);
    });

    it('gives the same vectors in padded batches, split batches and merged calls as one text at a time', async () => {
      const oneByOne: Float32Array[] = [];
      for (const text of TEXTS) oneByOne.push(...(await q8.embed([text], 'document')));
      expectClose(await q8.embed(TEXTS, 'document'), oneByOne);

      // Small batches: one call split over several, and concurrent calls sharing batches.
      const small = createLocalEmbedder({ ...options(), batchSize: 2 });
      try {
        expectClose(await small.embed(TEXTS, 'document'), oneByOne);
        const results = await Promise.all(TEXTS.map((text) => small.embed([text, text], 'query')));
        expectClose(
          results.flat(),
          oneByOne.flatMap((vector) => [vector, vector]),
        );
      } finally {
        await small.close();
      }
    });

    it('truncates a text longer than the model takes instead of failing', async () => {
      const long = 'the user likes coffee and tea '.repeat(100);
      const [vector] = await q8.embed([long], 'document');
      expect(vector).toHaveLength(model.hidden);
      expect(vector?.every(Number.isFinite)).toBe(true);
    });

    it('loads both the int8-quantized and the fp32 export, which agree closely but not exactly', async () => {
      const quantized = await q8.embed(TEXTS, 'document');
      const full = await fp32.embed(TEXTS, 'document');
      quantized.forEach((vector, i) => {
        expect(cosine(vector, full[i] as Float32Array)).toBeGreaterThan(0.9);
      });
      // Identical vectors would mean both dtypes read the same file.
      expect(Array.from(quantized[0] as Float32Array)).not.toEqual(Array.from(full[0] as Float32Array));
    });

    it('fails fast with EMBEDDING_UNAVAILABLE, the folder, the files and the fix when the model is missing', async () => {
      const empty = join(dir, 'empty');
      const embedder = createLocalEmbedder({ modelPath: empty, allowDownload: false });
      const started = performance.now();
      const error = await embedder.load().catch((caught: unknown) => caught);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(error).toMatchObject({ name: 'EmbeddingError', code: 'EMBEDDING_UNAVAILABLE' });
      const message = (error as Error).message;
      for (const part of [
        'Xenova/all-MiniLM-L6-v2',
        join(empty, 'Xenova/all-MiniLM-L6-v2'),
        'onnx/model_quantized.onnx',
        'tokenizer.json',
        'config.json',
        'Downloading is disabled',
        'engram models',
      ]) {
        expect(message).toContain(part);
      }
      // Calls waiting for the model fail the same way instead of hanging.
      await expect(embedder.embed(['hello'], 'query')).rejects.toMatchObject({
        code: 'EMBEDDING_UNAVAILABLE',
      });
      await embedder.close();
    });

    it('gives up a load that shows no progress within loadTimeoutMs', async () => {
      const embedder = createLocalEmbedder({ ...options(), loadTimeoutMs: 1 });
      const error = await embedder.load().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'EMBEDDING_UNAVAILABLE' });
      expect((error as Error).message).toContain('nothing happened for 1 ms');
      expect(workerOf(embedder)).toBeNull();
    });

    it('names only the missing file, and loads once the files are there without a new embedder', async () => {
      const partial = await writeTinyBertModel(join(dir, 'partial'), { modelId: 'acme/half-copied' });
      const onnx = join(partial.modelPath, partial.modelId, 'onnx', 'model_quantized.onnx');
      unlinkSync(onnx);
      const embedder = createLocalEmbedder({
        modelId: partial.modelId,
        modelPath: partial.modelPath,
        allowDownload: false,
      });
      try {
        const error = await embedder.load().catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: 'EMBEDDING_UNAVAILABLE' });
        expect((error as Error).message).toContain('(missing: onnx/model_quantized.onnx)');
        await writeTinyBertModel(join(dir, 'partial'), { modelId: 'acme/half-copied' });
        expect(await embedder.load()).toBe(partial.hidden);
      } finally {
        await embedder.close();
      }
    });

    it('reports loading progress and rejects a call that outlives timeoutMs with EMBEDDING_TIMEOUT', async () => {
      const events: ModelProgressEvent[] = [];
      const embedder = createLocalEmbedder({
        ...options(),
        timeoutMs: 1,
        onProgress: (event) => events.push(event),
      });
      try {
        await expect(embedder.embed(['hello'], 'query')).rejects.toMatchObject({ code: 'EMBEDDING_TIMEOUT' });
        // The model keeps loading for the calls that come after.
        expect(await embedder.load()).toBe(model.hidden);
        expect(events.map((event) => event.status)).toContain('progress_total');
        expect(events.at(-1)?.status).toBe('ready');
      } finally {
        await embedder.close();
      }
    });

    it('rejects what waits on a worker that dies with EMBEDDING_FAILED and starts a new one on the next call', async () => {
      const embedder = createLocalEmbedder(options());
      try {
        await embedder.load();
        const dead = workerOf(embedder);
        // Many batches, so that the worker is surely killed before it has answered them all.
        const pending = embedder.embed(
          Array.from({ length: 3000 }, (_, i) => `memory number ${i}`),
          'document',
        );
        await dead?.terminate();
        await expect(pending).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
        expect(await embedder.embed(['hello'], 'query')).toHaveLength(1);
        expect(workerOf(embedder)).not.toBe(dead);
      } finally {
        await embedder.close();
      }
      expect(workerOf(embedder)).toBeNull();
    });

    it('prefetchModel loads, probes and closes the model, and reports its dimension', async () => {
      const lines: string[] = [];
      const result = await prefetchModel({ ...options(), dtype: 'fp32', log: (line) => lines.push(line) });
      expect(result).toMatchObject({ model: `local:${model.modelId}`, dimension: model.hidden });
      expect(result.millis).toBeGreaterThan(0);
      expect(lines[0]).toContain('from disk');
      expect(lines.at(-1)).toContain(`${model.hidden}-dimensional`);
      await expect(
        prefetchModel({ modelPath: join(dir, 'empty'), allowDownload: false, log: () => {} }),
      ).rejects.toMatchObject({ code: 'EMBEDDING_UNAVAILABLE' });
    });

    it('lets the process exit after close(), and also when an idle embedder is never closed (under tsx)', () => {
      const script = join(dir, 'exit-check.mts');
      const local = pathToFileURL(join(import.meta.dirname, '../src/embed/local.ts')).href;
      writeFileSync(
        script,
        `import { createLocalEmbedder } from ${JSON.stringify(local)};
const options = ${JSON.stringify(options())};
const closed = createLocalEmbedder(options);
const [a] = await closed.embed(['hello'], 'query');
await closed.close();
const forgotten = createLocalEmbedder(options);
const [b] = await forgotten.embed(['hello'], 'query');
console.log(JSON.stringify({ dimension: a.length, same: a.every((v, i) => v === b[i]) }));
`,
      );
      const started = performance.now();
      const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: join(import.meta.dirname, '..'),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(child.error, 'the process did not exit by itself').toBeUndefined();
      expect(child.stderr).not.toMatch(/error|abort|fault/i);
      expect(child.status).toBe(0);
      expect(JSON.parse(child.stdout)).toEqual({ dimension: model.hidden, same: true });
      expect(performance.now() - started).toBeLessThan(15_000);
    });
  },
);
