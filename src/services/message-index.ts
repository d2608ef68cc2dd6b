import { type ConversationMessage, Prisma } from '../db/generated/client.ts';
import { tableSql } from '../db/tables.ts';
import { vectorToBytes } from '../search/codec.ts';
import type { ServiceDeps } from './deps.ts';
import type { Tx } from './transactions.ts';

/**
 * What the search index holds for each message (MESSAGE_INDEX): `off` nothing (recall finds
 * facts only), `message` its own words, `context` its words with the turn before it in the
 * conversation (an answer is found by the question it answers: "How did you come to have
 * Susie?" / "I adopted her two years ago"): for BM25 the two turns' words, for meaning its
 * vector plus half the previous turn's ({@link messageVectors}). When a message was said is not
 * part of the text: recall's time component matches it by its date and the days its words name.
 */
export type MessageIndexMode = 'off' | 'message' | 'context';

/** A turn as the index text is made from it. */
export interface IndexedTurn {
  content: string;
}

/** The text indexed for BM25: a message's words, after the previous turn's in `context` mode. */
export function messageIndexText(
  turn: IndexedTurn,
  previous: IndexedTurn | null,
  mode: MessageIndexMode,
): string {
  return mode === 'context' && previous ? `${previous.content}\n${turn.content}` : turn.content;
}

/**
 * How much the turn before counts in a message's vector (`context` mode): the vector is its own
 * words' embedding plus this share of the previous turn's, normalized. Tuned on the LoCoMo
 * development conversations (bench:locomo): 0 is the message alone, 1 the two turns alike.
 */
export const CONTEXT_WEIGHT = 0.5;

/** What the index embeds: unit vectors of the texts, or an error (the caller decides what it costs). */
type Embed = (texts: string[]) => Promise<Float32Array[]>;

/**
 * The vectors of messages in conversation order (`previous` is the turn before the first): each
 * message's own words embedded, plus, in `context` mode, {@link CONTEXT_WEIGHT} of the previous
 * turn's, normalized. Each message is embedded once as itself, so a text said twice is embedded once
 * (the embedding cache), and the turn before an appended message is usually a cache hit.
 */
export async function messageVectors(
  embed: Embed,
  turns: readonly IndexedTurn[],
  previous: IndexedTurn | null,
  mode: MessageIndexMode,
): Promise<Float32Array[]> {
  const own = await embed(turns.map((turn) => turn.content));
  if (mode !== 'context') return own;
  const first = previous ? ((await embed([previous.content]))[0] ?? null) : null;
  return own.map((self, i) => {
    const before = i === 0 ? first : (own[i - 1] ?? null);
    if (!before) return self;
    const out = new Float32Array(self.length);
    let norm = 0;
    for (let d = 0; d < self.length; d++) {
      const value = (self[d] as number) + CONTEXT_WEIGHT * (before[d] as number);
      out[d] = value;
      norm += value * value;
    }
    const scale = 1 / (Math.sqrt(norm) || 1);
    for (let d = 0; d < self.length; d++) out[d] = (out[d] as number) * scale;
    return out;
  });
}

/** A message's index entry before it is written: its text, and its vector when one was made. */
export interface PreparedMessageEntry {
  text: string;
  vector: Float32Array | null;
  model: string | null;
}

/**
 * The work before the transaction that stores the messages: their index texts (`previous` is the
 * conversation's last message before them, if any) and, when the model is ready, their vectors
 * in one batch. A failing or loading embedder does not fail the write: the entries are kept
 * without vectors (found by their words) and `engram reindex --embed` fills them in later.
 * @returns one entry per message, or null when messages are not indexed
 */
export async function prepareMessageEntries(
  deps: Pick<ServiceDeps, 'semantic' | 'index' | 'embeddings'>,
  turns: readonly IndexedTurn[],
  previous: IndexedTurn | null,
): Promise<PreparedMessageEntry[] | null> {
  const mode = deps.semantic.messageIndex;
  if (mode === 'off' || !deps.index) return null;
  const texts = turns.map((turn, i) =>
    messageIndexText(turn, i === 0 ? previous : (turns[i - 1] ?? null), mode),
  );
  let vectors: (Float32Array | null)[] = texts.map(() => null);
  let model: string | null = null;
  const embeddings = deps.embeddings;
  if (embeddings && embeddings.status().state === 'ready' && texts.length > 0) {
    try {
      const made = await messageVectors(
        (batch) => embeddings.embed(batch, 'document'),
        turns,
        previous,
        mode,
      );
      model = embeddings.status().model ?? null;
      if (model && made.length === texts.length && made.every((v) => v?.length === deps.semantic.dimension))
        vectors = made;
    } catch {
      // Kept without vectors (see above).
    }
  }
  return texts.map((text, i) => {
    const vector = vectors[i] ?? null;
    return { text, vector, model: vector ? model : null };
  });
}

/** Rows per INSERT: 7 bound parameters each, under SQLite's oldest limit of 999. */
const INSERT_CHUNK = 100;

/**
 * Writes the messages' index entries and announces them to the search index (vector_change), in
 * the transaction that stored the messages: an entry exists exactly when its message does. Each
 * entry names the turn before it (`previousId`: the conversation's last message before these, for
 * the first), so recall can read a message with its neighbours.
 */
export async function storeMessageEntries(
  tx: Tx,
  entityId: number,
  messages: readonly Pick<ConversationMessage, 'id'>[],
  entries: readonly PreparedMessageEntry[] | null,
  previousId: number | null,
): Promise<void> {
  if (!entries || messages.length === 0) return;
  if (entries.length !== messages.length) throw new Error('one index entry per message expected');
  // Multi-row INSERTs written out: Prisma's createMany plans its statement again on every call,
  // which cost about 0.35 ms of CPU per stored message (bench:ingest). In chunks, so an imported
  // conversation of any length stays under every database's limit on bound parameters.
  // created_at is given as Prisma writes it, so pruning compares like with like everywhere.
  const now = new Date();
  for (let start = 0; start < messages.length; start += INSERT_CHUNK) {
    const chunk = messages.slice(start, start + INSERT_CHUNK);
    const indexRows = chunk.map((message, k) => {
      const i = start + k;
      const entry = entries[i] as PreparedMessageEntry;
      const before = i === 0 ? previousId : (messages[i - 1] as Pick<ConversationMessage, 'id'>).id;
      return Prisma.sql`(${message.id}, ${entityId}, ${entry.text}, ${
        entry.vector ? vectorToBytes(entry.vector) : null
      }, ${entry.model}, ${entry.vector ? entry.vector.length : null}, ${before})`;
    });
    await tx.$executeRaw`INSERT INTO ${tableSql('MessageIndex')}
      (message_id, entity_id, text, embedding, embedding_model, embedding_dim, previous_id)
      VALUES ${Prisma.join(indexRows)}`;
    const changeRows = chunk.map((message) => Prisma.sql`(${entityId}, ${message.id}, ${now})`);
    await tx.$executeRaw`INSERT INTO ${tableSql('VectorChange')} (entity_id, message_id, created_at)
      VALUES ${Prisma.join(changeRows)}`;
  }
}
