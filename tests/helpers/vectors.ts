import { seededRandom } from '../../bench/lib/random.ts';
import type { Db } from '../../src/db/client.ts';
import { type Embedder, normalize } from '../../src/embed/types.ts';
import { vectorToBytes } from '../../src/search/codec.ts';
import { processTerm } from '../../src/search/lexical.ts';

/** A seeded PRNG (mulberry32) so every vector in a test is reproducible. */
export const seeded = seededRandom;

/** A random unit vector. */
export function randomUnit(random: () => number, dimension = 384): Float32Array {
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = random() * 2 - 1;
  return normalize(vector);
}

/** A unit vector near `base`: base plus noise of the given size, renormalized. */
export function near(base: Float32Array, noise: number, random: () => number): Float32Array {
  const vector = Float32Array.from(base, (value) => value + (random() * 2 - 1) * noise);
  return normalize(vector);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** The exact top-k of `candidates` by cosine to `query`, as indices, best first. */
export function exactTopK(query: Float32Array, candidates: Float32Array[], k: number): number[] {
  return candidates
    .map((vector, i) => ({ i, similarity: cosine(query, vector) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k)
    .map((hit) => hit.i);
}

/**
 * A real Embedder for tests: each stemmed word (stop words dropped, as BM25 does) adds a seeded
 * random direction, so texts sharing words are similar and texts sharing none are nearly orthogonal.
 */
export function wordHashEmbedder(dimension = 384): Embedder & { calls: number } {
  const directions = new Map<string, Float32Array>();
  const direction = (word: string) => {
    let vector = directions.get(word);
    if (!vector) {
      let hash = 2166136261;
      for (const char of word) hash = Math.imul(hash ^ (char.codePointAt(0) as number), 16777619);
      vector = randomUnit(seeded(hash), dimension);
      directions.set(word, vector);
    }
    return vector;
  };
  const embedder = {
    model: 'test:word-hash',
    calls: 0,
    load: async () => dimension,
    embed: async (texts: string[]) => {
      embedder.calls++;
      return texts.map((text) => {
        const sum = new Float32Array(dimension);
        for (const raw of text.split(/[^\p{L}\p{N}']+/u)) {
          const word = raw ? processTerm(raw) : null;
          if (!word) continue;
          const d = direction(word);
          for (let i = 0; i < dimension; i++) sum[i] = (sum[i] as number) + (d[i] as number);
        }
        if (sum.every((value) => value === 0)) sum[0] = 1;
        return normalize(sum);
      });
    },
    close: async () => {},
  };
  return embedder;
}

/**
 * Seeds facts with vectors straight into the database, the way a write would (with their
 * vector_change rows), in bulk: many entities through GraphQL would take minutes.
 */
export async function seedFacts(
  db: Db,
  entities: { externalId: string; vectors: Float32Array[] }[],
): Promise<Map<string, number[]>> {
  const factIds = new Map<string, number[]>();
  for (const { externalId, vectors } of entities) {
    const entity = await db.entity.create({ data: { externalId } });
    const rows = vectors.map((vector, i) => ({
      entityId: entity.id,
      content: `${externalId} fact ${i}`,
      contentHash: `${externalId}-${i}`,
      embedding: vectorToBytes(vector),
      embeddingModel: 'external',
      embeddingDim: vector.length,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await db.entityFact.createMany({ data: rows.slice(i, i + 500) });
    const created = await db.entityFact.findMany({
      where: { entityId: entity.id },
      orderBy: { id: 'asc' },
      select: { id: true, contentHash: true },
    });
    const ids = created
      .sort((a, b) => Number(a.contentHash.split('-').at(-1)) - Number(b.contentHash.split('-').at(-1)))
      .map((fact) => fact.id);
    await db.vectorChange.createMany({ data: ids.map((factId) => ({ entityId: entity.id, factId })) });
    factIds.set(externalId, ids);
  }
  return factIds;
}
