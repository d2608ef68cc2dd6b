import type { PartitionOptions } from './partition.ts';
import { PartitionSet } from './partition-set.ts';
import type { SearchCalls } from './search-protocol.ts';
import { purgeSnapshots } from './snapshot-purge.ts';

/**
 * What the search thread does: it holds the whole index (a {@link PartitionSet}) so that
 * searching and building never block the main thread's event loop.
 */
export function searchCalls(options: PartitionOptions): SearchCalls {
  const set = new PartitionSet(options);
  return {
    apply: (states) => {
      for (const state of states) set.apply(state);
    },
    resetEntity: (entityId, states) => set.resetEntity(entityId, states),
    search: (entityId, query, k, threshold) => set.search(entityId, query, k, threshold),
    lexicalSearch: (entityId, query, k) => set.lexicalSearch(entityId, query, k),
    similarities: (entityId, query, factIds) => set.similarities(entityId, query, factIds),
    listFacts: () => set.listFacts(),
    stats: () => set.stats(),
    beginBulk: () => set.beginBulk(),
    finishLoad: () => set.finishLoad(),
    save: (dir, meta) => set.save(dir, meta),
    load: (dir) => set.load(dir),
    clear: () => set.clear(),
    purgeSnapshots: (dir, entityIds) => purgeSnapshots(dir, entityIds),
  };
}
