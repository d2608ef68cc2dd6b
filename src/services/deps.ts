import type { Db } from '../db/client.ts';
import type { EmbeddingService } from '../embed/service.ts';
import type { EngramPubSub } from '../events/pubsub.ts';
import type { SearchIndex } from '../search/search-index.ts';
import type { MessageIndexMode } from './message-index.ts';
import type { Limits } from './validation.ts';

/** How semantic memory behaves; every field comes from configuration. */
export interface SemanticSettings {
  /** Dimension of every vector the index holds (VECTOR_DIMENSIONS). */
  dimension: number;
  /**
   * A new fact whose embedding has at least this cosine similarity with an existing fact of the
   * same entity counts as another mention of it. Above 1 turns merging off.
   */
  dedupeSimilarity: number;
  /** What the index holds for each message (MESSAGE_INDEX, src/services/message-index.ts). */
  messageIndex: MessageIndexMode;
}

/** What every memory service needs: the database, the event bus and the limits. */
export interface ServiceDeps {
  db: Db;
  /** Where services read outside transactions (a read-only connection on SQLite). */
  reader: Db;
  events: EngramPubSub;
  limits: Limits;
  /** Turns text into vectors; null when EMBEDDING_PROVIDER=none. */
  embeddings: EmbeddingService | null;
  /** The per-entity vector and BM25 index; null when VECTOR_INDEX=off. */
  index: SearchIndex | null;
  semantic: SemanticSettings;
  /** Background augmentation; null when AUGMENTATION=off (no jobs are enqueued). */
  augmentation: AugmentationHook | null;
  /**
   * Masks personal data in text before it is written (PII_REDACTION=storage): message content,
   * summaries, fact content and triple names. null writes text as given.
   */
  storageMask: TextMask | null;
  access: AccessSettings;
  /**
   * Whether triple writes and erasures add rows to the Neo4j mirror's outbox (src/services/graph-changes.ts):
   * true while NEO4J_URL is set. @default false
   */
  graphMirror: boolean;
}

/** What principals may do beyond their roles; every field comes from configuration (`access`). */
export interface AccessSettings {
  /** An entity token with WRITE may erase its own entity (ERASE_BY_ENTITY_TOKEN). @default false */
  eraseByEntityToken: boolean;
}

/** Text in, the same text with personal data masked out. */
export type TextMask = (text: string) => string;

/** What writers need from augmentation: a job is enqueued in their transaction, then workers are woken. */
export interface AugmentationHook {
  /** Tells this process's workers that a job is waiting (others find it by polling). */
  wake(): void;
}

/** The memory settings the configuration gives the services (src/config/config.ts, `memory`). */
export interface MemorySettings extends Limits, SemanticSettings {}

/** The services' dependencies as the configuration sets them (built by the composition root). */
export function serviceDeps(
  settings: MemorySettings,
  parts: Pick<ServiceDeps, 'db' | 'reader' | 'events' | 'embeddings' | 'index' | 'storageMask'>,
  access: AccessSettings = { eraseByEntityToken: false },
  graphMirror = false,
): ServiceDeps {
  return {
    ...parts,
    access,
    graphMirror,
    limits: { maxContentLength: settings.maxContentLength, maxItemsPerCall: settings.maxItemsPerCall },
    semantic: {
      dimension: settings.dimension,
      dedupeSimilarity: settings.dedupeSimilarity,
      messageIndex: settings.messageIndex,
    },
    augmentation: null,
  };
}
