import type { Db } from '../db/client.ts';
import { NotFoundError } from '../errors.ts';

/** The name and version every export carries; an importer refuses what it does not know. */
export const EXPORT_FORMAT = 'engram-entity-export';
export const EXPORT_VERSION = 1;

/** A message of a conversation; `ref` (`m1`, `m2`...) is how facts, triples and jobs point at it. */
export interface ExportedMessage {
  ref: string;
  role: string;
  type: string;
  content: string;
  createdAt: string;
}

export interface ExportedJob {
  status: string;
  attempts: number;
  runAt: string;
  extractor: string | null;
  lastError: string | null;
  inputTokens: number;
  outputTokens: number;
  factsFound: number;
  triplesFound: number;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** The first and last message of the turn it augments. */
  firstMessage: string | null;
  lastMessage: string | null;
}

export interface ExportedConversation {
  ref: string;
  summary: string | null;
  createdAt: string;
  messages: ExportedMessage[];
  jobs: ExportedJob[];
}

export interface ExportedSession {
  uuid: string;
  /** The process's external id. */
  process: string;
  createdAt: string;
  conversations: ExportedConversation[];
}

export interface ExportedMention {
  createdAt: string;
  message: string | null;
  conversation: string | null;
}

export interface ExportedFact {
  content: string;
  category: string;
  mentionCount: number;
  lastMentionedAt: string;
  createdAt: string;
  /** The model that embedded it, and the vector itself (float32, little-endian, base64). */
  embeddingModel: string | null;
  embeddingDimension: number | null;
  embedding: string | null;
  mentions: ExportedMention[];
}

export interface ExportedTriple {
  subject: { name: string; type: string | null };
  predicate: string;
  object: { name: string; type: string | null };
  mentionCount: number;
  lastMentionedAt: string;
  validFrom: string;
  validTo: string | null;
  createdAt: string;
  earlierPeriods: { validFrom: string; validTo: string }[];
  mentions: { createdAt: string; message: string | null }[];
}

/** A retried `recordConversation` answers from these; they hold hashes and pointers, no content. */
export interface ExportedIdempotencyKey {
  key: string;
  requestHash: string;
  conversation: string | null;
  firstMessage: string | null;
  lastMessage: string | null;
  createdAt: string;
}

/**
 * Everything Engram holds about one entity (GDPR access and portability), as one JSON document.
 * Nothing in it is a database id: rows point at each other through `ref`s local to the document,
 * so an export imported into another Engram (or the same one after an erase) exports the same.
 * Lists are in the order the rows were written.
 */
export interface EntityExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  entity: { externalId: string; createdAt: string };
  sessions: ExportedSession[];
  facts: ExportedFact[];
  triples: ExportedTriple[];
  idempotencyKeys: ExportedIdempotencyKey[];
  /**
   * The audit log's entries about the entity, oldest first (ids and operation names only). Not
   * imported: the log is append-only, and an import is itself recorded.
   */
  audit: ExportedAuditEntry[];
}

export interface ExportedAuditEntry {
  at: string;
  actorKind: string;
  actor: string;
  action: string;
  target: string | null;
  address: string | null;
}

const iso = (date: Date) => date.toISOString();
const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * Reads the export of one entity (see {@link EntityExport}).
 * @throws NotFoundError when Engram holds nothing about it
 */
export async function exportEntity(reader: Db, externalId: string): Promise<EntityExport> {
  const entity = await reader.entity.findUnique({ where: { externalId } });
  if (!entity) throw new NotFoundError('Entity', externalId);
  const byId = { orderBy: { id: 'asc' as const } };
  const sessions = await reader.session.findMany({
    where: { entityId: entity.id },
    ...byId,
    include: {
      process: { select: { externalId: true } },
      conversations: { ...byId, include: { messages: byId, jobs: byId } },
    },
  });
  // Refs in document order: c1, c2... for conversations, m1, m2... for messages.
  const conversationRef = new Map<number, string>();
  const messageRef = new Map<number, string>();
  for (const session of sessions) {
    for (const conversation of session.conversations) {
      conversationRef.set(conversation.id, `c${conversationRef.size + 1}`);
      for (const message of conversation.messages) messageRef.set(message.id, `m${messageRef.size + 1}`);
    }
  }
  const refOf = (refs: Map<number, string>, id: number | null) =>
    id === null ? null : (refs.get(id) ?? null);

  const [facts, triples, calls, audit] = await Promise.all([
    reader.entityFact.findMany({
      where: { entityId: entity.id },
      ...byId,
      // Clients leave embeddings out unless asked (src/db/client.ts).
      omit: { embedding: false },
      include: { mentions: byId },
    }),
    reader.triple.findMany({
      where: { entityId: entity.id },
      ...byId,
      include: {
        subject: true,
        predicate: true,
        object: true,
        intervals: { orderBy: [{ validFrom: 'asc' }, { id: 'asc' }] },
        mentions: byId,
      },
    }),
    reader.idempotentCall.findMany({ where: { entityId: entity.id }, ...byId }),
    reader.auditEntry.findMany({ where: { entityExternalId: externalId }, ...byId }),
  ]);

  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: new Date().toISOString(),
    entity: { externalId: entity.externalId, createdAt: iso(entity.createdAt) },
    sessions: sessions.map((session) => ({
      uuid: session.uuid,
      process: session.process.externalId,
      createdAt: iso(session.createdAt),
      conversations: session.conversations.map((conversation) => ({
        ref: conversationRef.get(conversation.id) as string,
        summary: conversation.summary,
        createdAt: iso(conversation.createdAt),
        messages: conversation.messages.map((message) => ({
          ref: messageRef.get(message.id) as string,
          role: message.role,
          type: message.type,
          content: message.content,
          createdAt: iso(message.createdAt),
        })),
        jobs: conversation.jobs.map((job) => ({
          status: job.status,
          attempts: job.attempts,
          runAt: iso(job.runAt),
          extractor: job.extractor,
          lastError: job.lastError,
          inputTokens: job.inputTokens,
          outputTokens: job.outputTokens,
          factsFound: job.factsFound,
          triplesFound: job.triplesFound,
          createdAt: iso(job.createdAt),
          startedAt: isoOrNull(job.startedAt),
          completedAt: isoOrNull(job.completedAt),
          firstMessage: refOf(messageRef, job.firstMessageId),
          lastMessage: refOf(messageRef, job.lastMessageId),
        })),
      })),
    })),
    facts: facts.map((fact) => ({
      content: fact.content,
      category: fact.category,
      mentionCount: fact.mentionCount,
      lastMentionedAt: iso(fact.lastMentionedAt),
      createdAt: iso(fact.createdAt),
      embeddingModel: fact.embeddingModel,
      embeddingDimension: fact.embeddingDim,
      embedding: fact.embedding ? Buffer.from(fact.embedding).toString('base64') : null,
      mentions: fact.mentions.map((mention) => ({
        createdAt: iso(mention.createdAt),
        message: refOf(messageRef, mention.messageId),
        conversation: refOf(conversationRef, mention.conversationId),
      })),
    })),
    triples: triples.map((triple) => ({
      subject: { name: triple.subject.name, type: triple.subject.type },
      predicate: triple.predicate.name,
      object: { name: triple.object.name, type: triple.object.type },
      mentionCount: triple.mentionCount,
      lastMentionedAt: iso(triple.lastMentionedAt),
      validFrom: iso(triple.validFrom),
      validTo: isoOrNull(triple.validTo),
      createdAt: iso(triple.createdAt),
      earlierPeriods: triple.intervals.map((period) => ({
        validFrom: iso(period.validFrom),
        validTo: iso(period.validTo),
      })),
      mentions: triple.mentions.map((mention) => ({
        createdAt: iso(mention.createdAt),
        message: refOf(messageRef, mention.messageId),
      })),
    })),
    idempotencyKeys: calls.map((call) => ({
      key: call.idempotencyKey,
      requestHash: call.requestHash,
      conversation: refOf(conversationRef, call.conversationId),
      firstMessage: refOf(messageRef, call.firstMessageId),
      lastMessage: refOf(messageRef, call.lastMessageId),
      createdAt: iso(call.createdAt),
    })),
    audit: audit.map((entry) => ({
      at: iso(entry.at),
      actorKind: entry.actorKind,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      address: entry.address,
    })),
  };
}
