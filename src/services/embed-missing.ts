import type { Db } from '../db/client.ts';
import type { EmbeddingService } from '../embed/service.ts';
import { vectorToBytes } from '../search/codec.ts';
import type { ProgressListener } from '../search/search-index.ts';

const BATCH = 128;

/**
 * Embeds every fact that has no vector of the index's dimension (remembered while no model was
 * loaded, or under a model of another size), recording each in vector_change so running
 * servers pick them up. Facts carrying a caller's own vector are left alone. Returns how many.
 */
export async function embedMissingFacts(options: {
  db: Db;
  embeddings: EmbeddingService;
  dimension: number;
  onProgress?: ProgressListener;
}): Promise<number> {
  const { db, embeddings, dimension, onProgress } = options;
  const missing = { OR: [{ embeddingDim: null }, { embeddingDim: { not: dimension } }] };
  const total = await db.entityFact.count({ where: missing });
  let done = 0;
  let cursor = 0;
  for (;;) {
    const facts = await db.entityFact.findMany({
      where: { id: { gt: cursor }, ...missing },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: { id: true, entityId: true, content: true },
    });
    if (facts.length === 0) break;
    const vectors = await embeddings.embed(
      facts.map((fact) => fact.content),
      'document',
    );
    const model = embeddings.status().model;
    await db.$transaction(async (tx) => {
      for (const [i, fact] of facts.entries()) {
        const vector = vectors[i];
        if (!vector || vector.length !== dimension) {
          throw new Error(`the model gives ${vector?.length} dimensions, not VECTOR_DIMENSIONS=${dimension}`);
        }
        await tx.entityFact.update({
          where: { id: fact.id },
          data: { embedding: vectorToBytes(vector), embeddingModel: model, embeddingDim: dimension },
        });
        await tx.vectorChange.create({ data: { entityId: fact.entityId, factId: fact.id } });
      }
    });
    done += facts.length;
    cursor = (facts.at(-1) as { id: number }).id;
    onProgress?.(done, Math.max(total, done));
  }
  return done;
}
