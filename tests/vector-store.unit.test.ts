import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vectorToBytes } from '../src/search/codec.ts';
import { LexicalPartition } from '../src/search/lexical.ts';
import { goneMessageState, messagePartition, toMessageState } from '../src/search/message-rows.ts';
import { Partition, type PartitionOptions } from '../src/search/partition.ts';
import { PartitionSet } from '../src/search/partition-set.ts';
import { exactTopK, near, randomUnit, seeded } from './helpers/vectors.ts';

const options = (overrides: Partial<PartitionOptions> = {}): PartitionOptions => ({
  dimension: 64,
  hnswThreshold: 100_000,
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 128,
  quantization: 'i8',
  ...overrides,
});

function clustered(count: number, seed: number, dimension = 64): Float32Array[] {
  const random = seeded(seed);
  const centres = Array.from({ length: 20 }, () => randomUnit(random, dimension));
  return Array.from({ length: count }, (_, i) =>
    near(centres[i % centres.length] as Float32Array, 0.3, random),
  );
}

describe('vector partitions', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['a plain scan', 200],
    ["usearch's exact search", 2000],
  ])('is exact with %s (%i vectors)', (_path, count) => {
    const vectors = clustered(count, count);
    const partition = new Partition(options());
    vectors.forEach((vector, i) => {
      partition.upsert(i + 1, vector);
    });
    expect(partition.hasGraph).toBe(false);
    const random = seeded(1);
    for (let q = 0; q < 20; q++) {
      const query = near(vectors[q * 7] as Float32Array, 0.2, random);
      const truth = exactTopK(query, vectors, 10).map((i) => i + 1);
      expect(partition.search(query, 10).map((hit) => hit.factId)).toEqual(truth);
    }
  });

  it('switches to an HNSW graph above the threshold, re-ranked exactly (recall@10 ≥ 0.95)', () => {
    const vectors = clustered(3000, 3);
    const partition = new Partition(options({ hnswThreshold: 1000 }));
    vectors.forEach((vector, i) => {
      partition.upsert(i + 1, vector);
    });
    expect(partition.hasGraph).toBe(true);
    const random = seeded(2);
    let found = 0;
    for (let q = 0; q < 50; q++) {
      const query = near(vectors[q * 31] as Float32Array, 0.2, random);
      const truth = new Set(exactTopK(query, vectors, 10).map((i) => i + 1));
      found += partition.search(query, 10).filter((hit) => truth.has(hit.factId)).length;
    }
    expect(found / 500).toBeGreaterThanOrEqual(0.95);
  });

  it('removes and replaces vectors, in the scan and in the graph', () => {
    for (const hnswThreshold of [100_000, 50]) {
      const vectors = clustered(300, 4);
      const partition = new Partition(options({ hnswThreshold }));
      vectors.forEach((vector, i) => {
        partition.upsert(i + 1, vector);
      });
      const query = vectors[10] as Float32Array;
      expect(partition.search(query, 1)[0]?.factId).toBe(11);
      expect(partition.remove(11)).toBe(true);
      expect(partition.remove(11)).toBe(false);
      expect(partition.search(query, 5).map((hit) => hit.factId)).not.toContain(11);
      expect(partition.size).toBe(299);
      // Another fact takes the vector: it is now the nearest.
      partition.upsert(42, query);
      expect(partition.search(query, 1)[0]).toMatchObject({ factId: 42 });
      expect(partition.search(query, 1)[0]?.similarity).toBeCloseTo(1, 5);
      expect(partition.search(query, 400)).toHaveLength(299);
    }
  });

  it('saves and loads a store, graphs included, and refuses a damaged or different snapshot', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'engram-store-'));
    dirs.push(dir);
    const vectors = clustered(1500, 5);
    const store = new PartitionSet(options({ hnswThreshold: 1000 }));
    vectors.forEach((vector, i) => {
      store.apply({
        factId: i + 1,
        entityId: i < 1200 ? 1 : 2,
        content: `fact ${i} about topic ${i % 7}`,
        vector,
      });
    });
    store.apply({ factId: 9999, entityId: 3, content: 'no vector here, only words: tea', vector: null });
    const query = vectors[3] as Float32Array;
    const before = store.search(1, query, 10);
    const snapshot = path.join(dir, 'index');
    store.save(snapshot, {
      watermark: 77,
      model: 'test',
      database: 'db-1',
      savedAt: new Date().toISOString(),
    });

    const loaded = new PartitionSet(options({ hnswThreshold: 1000 }));
    expect(loaded.load(snapshot)).toMatchObject({
      watermark: 77,
      model: 'test',
      database: 'db-1',
      facts: 1501,
    });
    expect(loaded.stats()).toEqual({ entities: 3, facts: 1501, messages: 0, vectors: 1500, graphs: 1 });
    expect(loaded.search(1, query, 10)).toEqual(before);
    // The graph is served from a memory map until the first write, which loads it for real.
    loaded.apply({ factId: 5000, entityId: 1, content: 'new', vector: query });
    expect(loaded.search(1, query, 2).map((hit) => hit.factId)).toEqual([4, 5000]);
    loaded.apply({ factId: 5000, entityId: 1, content: null, vector: null });
    expect(loaded.search(1, query, 10)).toEqual(before);
    expect(loaded.search(2, query, 10).every((hit) => hit.factId > 1200)).toBe(true);
    expect(loaded.lexicalSearch(3, 'tea', 5).map((hit) => hit.factId)).toEqual([9999]);

    expect(new PartitionSet(options({ dimension: 32 })).load(snapshot)).toBeNull();
    truncateSync(path.join(snapshot, 'facts.bin'), 1000);
    const damaged = new PartitionSet(options());
    expect(damaged.load(snapshot)).toBeNull();
    expect(damaged.stats().facts).toBe(0);
    writeFileSync(path.join(snapshot, 'manifest.json'), '{"format": 99}');
    expect(new PartitionSet(options()).load(snapshot)).toBeNull();
  });

  it('ranks by BM25 within one entity, ignoring stop words and word endings', () => {
    const lexical = new LexicalPartition();
    lexical.add(1, 'Drinks green tea every morning');
    lexical.add(2, 'Went hiking in the mountains');
    lexical.add(3, 'The user is a software engineer');
    lexical.add(4, 'Prefers tea to coffee, drinks coffee rarely');
    expect(lexical.search('what does the user drink?', 5).map((hit) => hit.factId)).toEqual([1, 4]);
    expect(lexical.search('the a of', 5)).toEqual([]);
    expect(lexical.search('hike', 5).map((hit) => hit.factId)).toEqual([2]);
    lexical.remove(2);
    expect(lexical.search('hike', 5)).toEqual([]);
  });

  it('keeps an entity’s messages apart from its facts, and drops both when the entity is reset', () => {
    const random = seeded(7);
    const set = new PartitionSet(options());
    const fact = randomUnit(random, 64);
    const said = randomUnit(random, 64);
    // Fact 5 and message 5 of entity 1: the same ids, different documents.
    set.apply({ factId: 5, entityId: 1, content: 'Keeps bees', vector: fact });
    const row = {
      messageId: 5,
      entityId: 1,
      text: 'How did you get Susie?\nI adopted her',
      embeddingDim: 64,
    };
    set.apply(toMessageState({ ...row, embedding: vectorToBytes(said) }, 64));
    set.apply(toMessageState({ ...row, messageId: 6, text: 'bees again', embedding: null }, 64));
    expect(set.search(1, said, 10).map((hit) => hit.factId)).toEqual([5]);
    expect(set.search(messagePartition(1), said, 10)).toMatchObject([{ factId: -5 }]);
    expect(set.search(messagePartition(1), said, 10)[0]?.similarity).toBeCloseTo(1, 5);
    expect(set.lexicalSearch(1, 'adopted', 10)).toEqual([]);
    expect(set.lexicalSearch(messagePartition(1), 'adopted', 10).map((hit) => hit.factId)).toEqual([-5]);
    expect(set.lexicalSearch(messagePartition(1), 'bees', 10).map((hit) => hit.factId)).toEqual([-6]);
    expect(set.stats()).toEqual({ entities: 1, facts: 1, messages: 2, vectors: 2, graphs: 0 });
    // A message whose entry is gone leaves; the fact of the same id stays.
    set.apply(goneMessageState(6));
    expect(set.stats()).toMatchObject({ facts: 1, messages: 1 });
    // An erase resets the entity: its facts and its messages go, and their texts are reported.
    expect(set.resetEntity(1, []).sort()).toEqual(['How did you get Susie?\nI adopted her', 'Keeps bees']);
    expect(set.stats()).toEqual({ entities: 0, facts: 0, messages: 0, vectors: 0, graphs: 0 });
    expect(set.search(messagePartition(1), said, 10)).toEqual([]);
  });
});
