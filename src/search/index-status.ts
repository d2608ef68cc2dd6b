import { EngramError } from '../errors.ts';
import type { PartitionSetStats } from './partition-set.ts';

/** Where the index is in its life: searchable only when `ready`. */
export type IndexState = 'starting' | 'building' | 'ready' | 'failed' | 'closed';

export interface IndexStatus {
  state: IndexState;
  dimension: number;
  entities: number;
  facts: number;
  /** Messages indexed (MESSAGE_INDEX). */
  messages: number;
  vectors: number;
  graphs: number;
  /** Last change id applied with every earlier one. */
  watermark: number;
  /** 0..1 while building. */
  progress: number | null;
  error: string | null;
}

/** The status from the index's own fields and, when it can answer, its thread's counts. */
export function indexStatus(
  fields: Pick<IndexStatus, 'state' | 'dimension' | 'watermark' | 'progress' | 'error'>,
  stats?: PartitionSetStats,
): IndexStatus {
  return {
    state: fields.state,
    dimension: fields.dimension,
    entities: stats?.entities ?? 0,
    facts: stats?.facts ?? 0,
    messages: stats?.messages ?? 0,
    vectors: stats?.vectors ?? 0,
    graphs: stats?.graphs ?? 0,
    watermark: fields.watermark,
    progress: fields.progress,
    error: fields.error,
  };
}

/** The error a search gets from an index that is not ready: retry shortly, or it is closing. */
export function notReadyError(state: IndexState, progress: number | null, error: string | null): EngramError {
  if (state === 'building' || state === 'starting') {
    const done = progress === null ? '' : ` (${Math.round(progress * 100)}% done)`;
    return new EngramError('INDEX_NOT_READY', `the vector index is being built${done}; retry shortly`);
  }
  return new EngramError(
    'INDEX_UNAVAILABLE',
    state === 'closed'
      ? 'the vector index is closed (the server is shutting down)'
      : `the vector index failed (${error}) and is recovering; retry shortly`,
  );
}
