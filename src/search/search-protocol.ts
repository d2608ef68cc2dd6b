import type { FactState, PartitionSet } from './partition-set.ts';
import type { SnapshotMeta } from './snapshot-file.ts';
import type { PurgeReport } from './snapshot-purge.ts';

/*
 * What the main thread knows of the search thread (search-thread.ts): its entry point and the
 * calls it answers. Types only, so that the main thread never loads the index's native code.
 */

/** The calls the search thread answers; see SearchIndex for what each is for. */
export interface SearchCalls {
  apply: (states: FactState[]) => void;
  resetEntity: (entityId: number, states: FactState[]) => string[];
  search: (
    entityId: number,
    query: Float32Array,
    k: number,
    threshold?: number,
  ) => ReturnType<PartitionSet['search']>;
  lexicalSearch: (entityId: number, query: string, k: number) => ReturnType<PartitionSet['lexicalSearch']>;
  similarities: (entityId: number, query: Float32Array, factIds: number[]) => (number | null)[];
  listFacts: () => ReturnType<PartitionSet['listFacts']>;
  stats: () => ReturnType<PartitionSet['stats']>;
  beginBulk: () => void;
  finishLoad: () => void;
  save: (dir: string, meta: SnapshotMeta) => void;
  load: (dir: string) => ReturnType<PartitionSet['load']>;
  clear: () => void;
  purgeSnapshots: (dir: string, entityIds: number[]) => PurgeReport;
}

/** The entry point of the search thread: it loads search-thread.ts and serves its calls. */
export const SEARCH_THREAD_URL = new URL('./search-thread-entry.mjs', import.meta.url);

/**
 * Calls the search thread; the index passes its own, which refuses calls while it has failed or
 * is closed.
 */
export type CallSearchThread = <K extends keyof SearchCalls>(
  op: K,
  ...args: Parameters<SearchCalls[K]>
) => Promise<ReturnType<SearchCalls[K]>>;
