import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddingService } from '../src/embed/service.ts';
import type { Embedder } from '../src/embed/types.ts';
import type { PartitionOptions } from '../src/search/partition.ts';
import { PartitionSet } from '../src/search/partition-set.ts';
import { purgeSnapshots } from '../src/search/snapshot-purge.ts';
import { tripleContentHash } from '../src/services/tombstones.ts';
import { filesContaining, filesUnder } from './helpers/residue.ts';
import { randomUnit, seeded } from './helpers/vectors.ts';

const options: PartitionOptions = {
  dimension: 16,
  hnswThreshold: 20,
  connectivity: 8,
  expansionAdd: 32,
  expansionSearch: 32,
  quantization: 'f32',
};

describe('tombstone hashes', () => {
  it('see one triple through case, spacing and Unicode composition, and keep the parts apart', () => {
    const triple = { subject: 'Ana', predicate: 'lives_in', object: 'São Paulo' };
    expect(tripleContentHash(triple)).toMatch(/^[0-9a-f]{64}$/);
    expect(tripleContentHash({ subject: ' ana ', predicate: 'lives_in', object: 'SA\u0303O  paulo' })).toBe(
      tripleContentHash(triple),
    );
    expect(tripleContentHash({ ...triple, object: 'Lisbon' })).not.toBe(tripleContentHash(triple));
    expect(tripleContentHash({ subject: 'a|b', predicate: 'c', object: 'd' })).not.toBe(
      tripleContentHash({ subject: 'a', predicate: 'b|c', object: 'd' }),
    );
  });
});

describe('erasing from the search index', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Entity 1 (30 facts: a graph of its own) and entity 2 (5 facts), each text naming its entity. */
  function twoEntities(): PartitionSet {
    const random = seeded(7);
    const set = new PartitionSet(options);
    for (let i = 0; i < 35; i++) {
      const entityId = i < 30 ? 1 : 2;
      const content = entityId === 1 ? `secret-of-one number ${i}` : `kept-by-two number ${i}`;
      set.apply({ factId: i + 1, entityId, content, vector: randomUnit(random, options.dimension) });
    }
    return set;
  }

  function snapshotIn(): { parent: string; dir: string } {
    const parent = mkdtempSync(path.join(tmpdir(), 'engram-purge-'));
    dirs.push(parent);
    return { parent, dir: path.join(parent, 'index') };
  }

  const meta = { watermark: 5, model: 'test', database: 'test-database', savedAt: new Date().toISOString() };

  it('resetting an entity says which texts it dropped', () => {
    const set = twoEntities();
    const dropped = set.resetEntity(1, [
      { factId: 1, entityId: 1, content: 'secret-of-one number 0', vector: null },
    ]);
    expect(dropped).toHaveLength(29);
    expect(dropped).not.toContain('secret-of-one number 0');
    expect(set.resetEntity(1, [])).toEqual(['secret-of-one number 0']);
    expect(set.stats()).toMatchObject({ entities: 1, facts: 5 });
  });

  it('rewrites the snapshot without the entity and deletes superseded ones', () => {
    const { parent, dir } = snapshotIn();
    const set = twoEntities();
    set.save(dir, meta);
    expect(readdirSync(dir)).toContain('graph-1.usearch');
    // A previous snapshot a crashed save left behind.
    cpSync(dir, `${dir}.old-1-2-abc`, { recursive: true });
    expect(filesContaining(filesUnder(parent), 'secret-of-one')).toHaveLength(2);

    expect(purgeSnapshots(dir, [1])).toEqual({ rewritten: 1, removed: 1, facts: 30 });
    expect(filesContaining(filesUnder(parent), 'secret-of-one')).toEqual([]);
    expect(readdirSync(parent)).toEqual(['index']);
    expect(readdirSync(dir)).not.toContain('graph-1.usearch');
    const loaded = new PartitionSet(options);
    expect(loaded.load(dir)).toMatchObject({ watermark: 5, facts: 5 });
    expect(loaded.stats()).toMatchObject({ entities: 1, facts: 5, vectors: 5 });
    expect(loaded.lexicalSearch(2, 'kept', 10)).toHaveLength(5);
    // Nothing more to take out: the files stay as they are.
    expect(purgeSnapshots(dir, [1])).toEqual({ rewritten: 0, removed: 0, facts: 0 });
  });

  it('rewrites the previous snapshot when it is the only one, and deletes what cannot be read', () => {
    const { parent, dir } = snapshotIn();
    twoEntities().save(dir, meta);
    const old = `${dir}.old-1-2-abc`;
    cpSync(dir, old, { recursive: true });
    rmSync(dir, { recursive: true });
    expect(purgeSnapshots(dir, [1, 2])).toEqual({ rewritten: 1, removed: 0, facts: 35 });
    expect(filesContaining(filesUnder(parent), 'number')).toEqual([]);
    expect(new PartitionSet(options).load(dir)).toMatchObject({ facts: 0 });

    twoEntities().save(dir, meta);
    truncateSync(path.join(dir, 'facts.bin'), 100);
    expect(purgeSnapshots(dir, [1])).toEqual({ rewritten: 0, removed: 2, facts: 0 });
    expect(existsSync(dir)).toBe(false);
  });
});

describe('forgetting texts in the embedding cache', () => {
  function countingEmbedder(): Embedder & { calls: string[][]; gate: Promise<void> | null } {
    const embedder = {
      model: 'test:count',
      calls: [] as string[][],
      gate: null as Promise<void> | null,
      load: async () => 2,
      embed: async (texts: string[]) => {
        embedder.calls.push(texts);
        await embedder.gate;
        return texts.map(() => Float32Array.of(1, 0));
      },
      close: async () => {},
    };
    return embedder;
  }

  it('drops cached vectors and keeps answers under way out of the cache', async () => {
    const embedder = countingEmbedder();
    const service = new EmbeddingService({ embedder });
    await service.embed(['a secret', 'kept'], 'document');
    await service.embed(['a secret'], 'query');
    service.forget(['a secret']);
    await service.embed(['a secret', 'kept'], 'document');
    await service.embed(['a secret'], 'query');
    expect(embedder.calls).toEqual([['a secret', 'kept'], ['a secret'], ['a secret'], ['a secret']]);

    let open: () => void = () => {};
    embedder.gate = new Promise((resolve) => {
      open = resolve;
    });
    const asked = embedder.calls.length;
    const underWay = service.embed(['in flight'], 'document');
    while (embedder.calls.length === asked) await new Promise((resolve) => setImmediate(resolve));
    service.forget(['in flight']);
    open();
    await underWay;
    await service.embed(['in flight'], 'document');
    expect(embedder.calls.filter((texts) => texts.includes('in flight'))).toHaveLength(2);
    await service.close();
  });
});
