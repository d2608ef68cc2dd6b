import { parentPort, workerData } from 'node:worker_threads';
import type { PartitionOptions } from './partition.ts';
import { type FactState, PartitionSet } from './partition-set.ts';
import type { SnapshotMeta } from './snapshot-file.ts';

/** The calls the index worker answers; see VectorIndex for what each is for. */
export interface WorkerCalls {
  apply: (states: FactState[]) => void;
  resetEntity: (entityId: number, states: FactState[]) => void;
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
}

export interface WorkerRequest {
  id: number;
  op: keyof WorkerCalls;
  args: unknown[];
}

export type WorkerResponse = { id: number; result: unknown } | { id: number; error: string };

const store = new PartitionSet(workerData as PartitionOptions);
const calls: WorkerCalls = {
  apply: (states) => {
    for (const state of states) store.apply(state);
  },
  resetEntity: (entityId, states) => store.resetEntity(entityId, states),
  search: (entityId, query, k, threshold) => store.search(entityId, query, k, threshold),
  lexicalSearch: (entityId, query, k) => store.lexicalSearch(entityId, query, k),
  similarities: (entityId, query, factIds) => store.similarities(entityId, query, factIds),
  listFacts: () => store.listFacts(),
  stats: () => store.stats(),
  beginBulk: () => store.beginBulk(),
  finishLoad: () => store.finishLoad(),
  save: (dir, meta) => store.save(dir, meta),
  load: (dir) => store.load(dir),
  clear: () => store.clear(),
};

parentPort?.on('message', (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const call = calls[request.op] as (...args: unknown[]) => unknown;
    response = { id: request.id, result: call(...request.args) };
  } catch (error) {
    response = {
      id: request.id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
  parentPort?.postMessage(response);
});
