import type { Db } from '../db/client.ts';
import type { EmbeddingService } from '../embed/service.ts';
import { vectorToBytes } from '../search/codec.ts';
import type { ProgressListener } from '../search/search-index.ts';
import { type MessageIndexMode, messageIndexText, messageVectors } from './message-index.ts';

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

/**
 * Indexes the messages that have no index entry (recorded before MESSAGE_INDEX was on, or
 * imported), each with the turn before it, and embeds the entries without a vector of the
 * index's dimension; each write is recorded in vector_change so running servers pick it up.
 * Returns how many entries were written.
 */
export async function indexMissingMessages(options: {
  db: Db;
  embeddings: EmbeddingService;
  dimension: number;
  mode: MessageIndexMode;
  onProgress?: ProgressListener;
}): Promise<number> {
  const { db, embeddings, dimension, mode, onProgress } = options;
  if (mode === 'off') return 0;
  const unindexed = { indexed: { is: null } };
  const missingVector = { OR: [{ embeddingDim: null }, { embeddingDim: { not: dimension } }] };
  const total =
    (await db.conversationMessage.count({ where: unindexed })) +
    (await db.messageIndex.count({ where: missingVector }));
  let done = 0;
  const embedChecked = async (texts: string[]) => {
    const vectors = await embeddings.embed(texts, 'document');
    for (const vector of vectors) {
      if (!vector || vector.length !== dimension)
        throw new Error(`the model gives ${vector?.length} dimensions, not VECTOR_DIMENSIONS=${dimension}`);
    }
    return vectors;
  };
  /** The vectors of these messages as recording makes them, each with the turn before it. */
  const embed = async (messages: readonly { id: number; conversationId: number; content: string }[]) => {
    const vectors: Float32Array[] = [];
    for (const message of messages) {
      const previous = await db.conversationMessage.findFirst({
        where: { conversationId: message.conversationId, id: { lt: message.id } },
        orderBy: { id: 'desc' },
        select: { content: true },
      });
      const [vector] = await messageVectors(embedChecked, [message], previous, mode);
      vectors.push(vector as Float32Array);
    }
    return { vectors, model: embeddings.status().model };
  };
  let cursor = 0;
  for (;;) {
    const messages = await db.conversationMessage.findMany({
      where: { id: { gt: cursor }, ...unindexed },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: {
        id: true,
        conversationId: true,
        content: true,
        conversation: { select: { session: { select: { entityId: true } } } },
      },
    });
    if (messages.length === 0) break;
    const texts: string[] = [];
    const previousIds: (number | null)[] = [];
    for (const message of messages) {
      const previous = await db.conversationMessage.findFirst({
        where: { conversationId: message.conversationId, id: { lt: message.id } },
        orderBy: { id: 'desc' },
        select: { id: true, content: true },
      });
      texts.push(messageIndexText(message, previous, mode));
      previousIds.push(previous?.id ?? null);
    }
    const { vectors, model } = await embed(messages);
    await db.$transaction(async (tx) => {
      for (const [i, message] of messages.entries()) {
        const vector = vectors[i] as Float32Array;
        const entityId = message.conversation.session.entityId;
        await tx.messageIndex.create({
          data: {
            messageId: message.id,
            entityId,
            text: texts[i] as string,
            embedding: vectorToBytes(vector),
            embeddingModel: model,
            embeddingDim: dimension,
            previousId: previousIds[i] ?? null,
          },
        });
        await tx.vectorChange.create({ data: { entityId, factId: null, messageId: message.id } });
      }
    });
    done += messages.length;
    cursor = (messages.at(-1) as { id: number }).id;
    onProgress?.(done, Math.max(total, done));
  }
  cursor = 0;
  for (;;) {
    const entries = await db.messageIndex.findMany({
      where: { messageId: { gt: cursor }, ...missingVector },
      orderBy: { messageId: 'asc' },
      take: BATCH,
      select: {
        messageId: true,
        entityId: true,
        message: { select: { id: true, conversationId: true, content: true } },
      },
    });
    if (entries.length === 0) break;
    const { vectors, model } = await embed(entries.map((entry) => entry.message));
    await db.$transaction(async (tx) => {
      for (const [i, entry] of entries.entries()) {
        await tx.messageIndex.update({
          where: { messageId: entry.messageId },
          data: {
            embedding: vectorToBytes(vectors[i] as Float32Array),
            embeddingModel: model,
            embeddingDim: dimension,
          },
        });
        await tx.vectorChange.create({
          data: { entityId: entry.entityId, factId: null, messageId: entry.messageId },
        });
      }
    });
    done += entries.length;
    cursor = (entries.at(-1) as { messageId: number }).messageId;
    onProgress?.(done, Math.max(total, done));
  }
  return done;
}
