import { z } from 'zod';
import { booleanish, positiveInt } from './fields.ts';

/** Embeddings and the vector index. (part of the environment schema in ../environment.ts) */
export const searchEnv = {
  /**
   * Who embeds text: `local` (transformers.js in a worker thread), `use-lite` (Universal Sentence
   * Encoder lite, 512-d, whose weights install with npm: no download), `openai`,
   * `openai-compatible` (Azure, Ollama, vLLM...), `cohere`, `huggingface`, or `none` (bring your
   * own vectors).
   * @default local
   */
  EMBEDDING_PROVIDER: z
    .enum(['local', 'use-lite', 'openai', 'openai-compatible', 'cohere', 'huggingface', 'none'])
    .default('local'),
  /** The model. @default Xenova/all-MiniLM-L6-v2 (local), text-embedding-3-small (openai), embed-english-v3.0 (cohere) */
  EMBEDDING_MODEL: z.string().min(1).optional(),
  /** Local models are read from `<EMBEDDING_MODEL_PATH>/<model id>/`. @default ./models */
  EMBEDDING_MODEL_PATH: z.string().min(1).default('./models'),
  /** Local weights: `q8` (onnx/model_quantized.onnx) or `fp32` (onnx/model.onnx). @default q8 */
  EMBEDDING_DTYPE: z.enum(['q8', 'fp32']).default('q8'),
  /** Download a missing local model from the model hub. @default true */
  EMBEDDING_ALLOW_DOWNLOAD: booleanish.default(true),
  /** Base URL of a hosted provider (required for openai-compatible). */
  EMBEDDING_API_URL: z.url().optional(),
  /** API key of a hosted provider. */
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  /** Azure OpenAI's `api-version` query parameter (openai-compatible). */
  EMBEDDING_API_VERSION: z.string().min(1).optional(),
  /** Ask a hosted model for vectors of this size (OpenAI text-embedding-3). */
  EMBEDDING_DIMENSIONS: z.coerce.number().int().positive().optional(),
  /** Texts embedded per call. @default 32 */
  EMBEDDING_BATCH_SIZE: positiveInt(32),
  /** Longest wait for one embedding call. @default 30000 */
  EMBEDDING_TIMEOUT_MS: positiveInt(30_000),
  /** Texts whose embeddings are kept in memory (LRU). @default 10000 */
  EMBEDDING_CACHE_SIZE: positiveInt(10_000),

  /**
   * Dimension of every vector in the index; must match the embedding model.
   * @default 512 with EMBEDDING_PROVIDER=use-lite, else 384 (all-MiniLM-L6-v2)
   */
  VECTOR_DIMENSIONS: z.coerce.number().int().positive().optional(),
  /**
   * What recall can search of each message: `context` (its words after the turn before it, so an
   * answer is found by its question), `message` (its words alone) or `off` (recall finds facts
   * only, and recording a conversation embeds nothing). Each indexed message is embedded once, in
   * one batch per recordConversation call. @default context
   */
  MESSAGE_INDEX: z.enum(['off', 'message', 'context']).default('context'),
  /** `on`, or `off` to run without semantic search. @default on */
  VECTOR_INDEX: z.enum(['on', 'off']).default('on'),
  /** Folder of the persisted index, or `memory` to rebuild it on every start. @default ./data/vector-index */
  VECTOR_INDEX_PATH: z.string().min(1).default('./data/vector-index'),
  /** Facts in one entity above which it gets an HNSW graph; below, search is exact. @default 16384 */
  VECTOR_HNSW_THRESHOLD: positiveInt(16_384),
  /** HNSW edges per node. @default 16 */
  VECTOR_HNSW_CONNECTIVITY: positiveInt(16),
  /** HNSW candidate list while adding. @default 128 */
  VECTOR_HNSW_EXPANSION_ADD: positiveInt(128),
  /** HNSW candidate list while searching. @default 128 */
  VECTOR_HNSW_EXPANSION_SEARCH: positiveInt(128),
  /** How HNSW graphs store vectors (exact float vectors are kept for re-ranking). @default i8 */
  VECTOR_HNSW_QUANTIZATION: z.enum(['i8', 'f16', 'f32']).default('i8'),
  /** How often the index picks up changes written by other processes. @default 1000 */
  VECTOR_SYNC_INTERVAL_MS: positiveInt(1000),
  /** How often a changed index is saved to disk (always on shutdown). @default 300000 */
  VECTOR_SAVE_INTERVAL_MS: positiveInt(300_000),
  /** How long the change log is kept; an older snapshot is rebuilt. @default 604800000 (7 days) */
  VECTOR_CHANGE_RETENTION_MS: positiveInt(7 * 24 * 3600 * 1000),
};
