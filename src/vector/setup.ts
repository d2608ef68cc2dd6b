import path from 'node:path';
import type { Db } from '../db/client.ts';
import type { Env } from '../env.ts';
import type { Logger } from '../observability/logger.ts';
import { VectorIndex } from './vector-index.ts';

/**
 * The vector index the configuration describes, not yet started; null when VECTOR_INDEX=off.
 * It reads through `reader` and prunes the change log through `writer` (on SQLite the reader is
 * a read-only connection that cannot).
 */
export function createVectorIndex(
  env: Env,
  reader: Db,
  logger: Logger,
  model: string | null,
  writer: Db | null,
): VectorIndex | null {
  if (env.VECTOR_INDEX === 'off') return null;
  return new VectorIndex(reader, {
    dir: env.VECTOR_INDEX_PATH === 'memory' ? null : path.resolve(env.VECTOR_INDEX_PATH),
    model,
    dimension: env.VECTOR_DIMENSIONS,
    hnswThreshold: env.VECTOR_HNSW_THRESHOLD,
    connectivity: env.VECTOR_HNSW_CONNECTIVITY,
    expansionAdd: env.VECTOR_HNSW_EXPANSION_ADD,
    expansionSearch: env.VECTOR_HNSW_EXPANSION_SEARCH,
    quantization: env.VECTOR_HNSW_QUANTIZATION,
    syncIntervalMs: env.VECTOR_SYNC_INTERVAL_MS,
    saveIntervalMs: env.VECTOR_SAVE_INTERVAL_MS,
    gapGraceMs: 60_000,
    retentionMs: env.VECTOR_CHANGE_RETENTION_MS,
    logger: logger.child({ component: 'vector-index' }),
    pruner: writer,
  });
}
