import { z } from 'zod';
import { FactCategory, JobStatus, MessageRole } from '../db/enums.ts';
import { ValidationError } from '../errors.ts';
import { recountDegrees } from '../graph/degrees.ts';
import { type Actor, type AuditRecord, auditedTransaction } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { EXPORT_FORMAT, EXPORT_VERSION } from './entity-export.ts';
import { factContentHash, recordVectorChange } from './facts.ts';
import { recordTripleChanges } from './graph-changes.ts';
import { type PreparedMessageEntry, prepareMessageEntries, storeMessageEntries } from './message-index.ts';
import { type Tx, upsertProcess } from './transactions.ts';
import { externalIdSchema, parseInput } from './validation.ts';

const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const optionalInstant = instant.nullable();
const ref = z.string().min(1).max(32).nullable();
const text = z.string().max(16_000_000);

/** What an importer accepts: exactly {@link EntityExport}, checked before anything is written. */
const ImportSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exportedAt: z.string(),
  entity: z.object({ externalId: externalIdSchema, createdAt: instant }),
  sessions: z.array(
    z.object({
      uuid: z.string().min(1).max(128),
      process: externalIdSchema,
      createdAt: instant,
      conversations: z.array(
        z.object({
          ref: z.string().min(1).max(32),
          summary: text.nullable(),
          createdAt: instant,
          messages: z.array(
            z.object({
              ref: z.string().min(1).max(32),
              role: z.enum(MessageRole),
              type: z.string().min(1).max(64),
              content: text,
              createdAt: instant,
            }),
          ),
          jobs: z.array(
            z.object({
              status: z.enum(JobStatus),
              attempts: z.number().int().min(0),
              runAt: instant,
              extractor: z.string().max(255).nullable(),
              lastError: text.nullable(),
              inputTokens: z.number().int().min(0),
              outputTokens: z.number().int().min(0),
              factsFound: z.number().int().min(0),
              triplesFound: z.number().int().min(0),
              createdAt: instant,
              startedAt: optionalInstant,
              completedAt: optionalInstant,
              firstMessage: ref,
              lastMessage: ref,
            }),
          ),
        }),
      ),
    }),
  ),
  facts: z.array(
    z.object({
      content: text.min(1),
      category: z.enum(FactCategory),
      mentionCount: z.number().int().min(1),
      lastMentionedAt: instant,
      createdAt: instant,
      embeddingModel: z.string().max(255).nullable(),
      embeddingDimension: z.number().int().positive().nullable(),
      embedding: z.base64().nullable(),
      mentions: z.array(z.object({ createdAt: instant, message: ref, conversation: ref })),
    }),
  ),
  triples: z.array(
    z.object({
      subject: z.object({ name: z.string().min(1).max(512), type: z.string().max(64).nullable() }),
      predicate: z.string().min(1).max(512),
      object: z.object({ name: z.string().min(1).max(512), type: z.string().max(64).nullable() }),
      mentionCount: z.number().int().min(1),
      lastMentionedAt: instant,
      validFrom: instant,
      validTo: optionalInstant,
      createdAt: instant,
      earlierPeriods: z.array(z.object({ validFrom: instant, validTo: instant })),
      mentions: z.array(z.object({ createdAt: instant, message: ref })),
    }),
  ),
  // The audit section is the source's history: read, not written back (see EntityExport.audit).
  audit: z.array(z.unknown()).optional(),
  idempotencyKeys: z.array(
    z.object({
      key: z.string().min(1).max(128),
      requestHash: z.string().length(64),
      conversation: ref,
      firstMessage: ref,
      lastMessage: ref,
      createdAt: instant,
    }),
  ),
});

/** What an import wrote. */
export interface ImportCounts {
  sessions: number;
  conversations: number;
  messages: number;
  facts: number;
  triples: number;
}

/**
 * Writes an export back (after an erase, or into another Engram), in one transaction, keeping
 * every timestamp, so exporting the entity again gives the same document. Facts keep their
 * vectors and are queued for the search index like any write. A job that was running when the
 * export was taken is imported as pending (its worker is gone).
 * @throws ValidationError for a document that is not a version-1 export, or an entity (or a
 *   session uuid) that already exists
 */
export async function importEntity(
  deps: Pick<ServiceDeps, 'db' | 'events'> &
    Partial<Pick<ServiceDeps, 'graphMirror' | 'semantic' | 'index' | 'embeddings'>>,
  actor: Actor,
  document: unknown,
): Promise<ImportCounts> {
  const data = parseInput(ImportSchema, document);
  // The messages' index entries (MESSAGE_INDEX), made before the transaction as recording does.
  const { semantic, index, embeddings } = deps;
  const entries = new Map<string, PreparedMessageEntry[] | null>();
  if (semantic && index !== undefined && embeddings !== undefined) {
    for (const session of data.sessions)
      for (const conversation of session.conversations)
        entries.set(
          conversation.ref,
          await prepareMessageEntries({ semantic, index, embeddings }, conversation.messages, null),
        );
  }
  const describe = (): AuditRecord => ({
    action: 'importEntity',
    entity: data.entity.externalId,
    target: [],
  });
  return auditedTransaction(deps, actor, describe, async (tx) => {
    if (await tx.entity.findUnique({ where: { externalId: data.entity.externalId } })) {
      throw new ValidationError(
        `entity ${data.entity.externalId} already exists: erase it first, or import elsewhere`,
        [{ path: 'entity.externalId', message: 'already exists' }],
        'ENTITY_EXISTS',
      );
    }
    const entity = await tx.entity.create({ data: data.entity });
    const counts: ImportCounts = { sessions: 0, conversations: 0, messages: 0, facts: 0, triples: 0 };
    const conversations = new Map<string, number>();
    const messages = new Map<string, number>();
    const lookup = (refs: Map<string, number>, value: string | null, path: string) => {
      if (value === null) return null;
      const id = refs.get(value);
      if (id === undefined)
        throw new ValidationError(`${path}: no ${value} in this export`, [{ path, message: 'unknown ref' }]);
      return id;
    };

    for (const session of data.sessions) {
      if (await tx.session.findUnique({ where: { uuid: session.uuid } })) {
        throw new ValidationError(`session ${session.uuid} already exists`, [], 'ENTITY_EXISTS');
      }
      const process = await upsertProcess(tx, session.process);
      const { id: sessionId } = await tx.session.create({
        data: {
          uuid: session.uuid,
          entityId: entity.id,
          processId: process.id,
          createdAt: session.createdAt,
        },
      });
      counts.sessions++;
      for (const conversation of session.conversations) {
        const created = {
          ...(await tx.conversation.create({
            data: { sessionId, summary: conversation.summary, createdAt: conversation.createdAt },
          })),
          messages: [] as { id: number }[],
        };
        conversations.set(conversation.ref, created.id);
        counts.conversations++;
        for (const message of conversation.messages) {
          const { ref: messageRef, ...fields } = message;
          const row = await tx.conversationMessage.create({
            data: { conversationId: created.id, ...fields },
          });
          messages.set(messageRef, row.id);
          created.messages.push(row);
          counts.messages++;
        }
        await storeMessageEntries(
          tx,
          entity.id,
          created.messages,
          entries.get(conversation.ref) ?? null,
          null,
        );
        for (const job of conversation.jobs) {
          const { firstMessage, lastMessage, ...fields } = job;
          await tx.augmentationJob.create({
            data: {
              ...fields,
              status: fields.status === 'RUNNING' ? 'PENDING' : fields.status,
              conversationId: created.id,
              entityId: entity.id,
              firstMessageId: lookup(messages, firstMessage, 'job.firstMessage') ?? 0,
              lastMessageId: lookup(messages, lastMessage, 'job.lastMessage') ?? 0,
            },
          });
        }
      }
    }

    for (const fact of data.facts) {
      const { mentions, embedding, embeddingDimension, ...fields } = fact;
      const row = await tx.entityFact.create({
        data: {
          ...fields,
          entityId: entity.id,
          contentHash: factContentHash(fact.content),
          embeddingDim: embeddingDimension,
          embedding: embedding ? new Uint8Array(Buffer.from(embedding, 'base64')) : null,
        },
      });
      for (const mention of mentions) {
        await tx.factMention.create({
          data: {
            factId: row.id,
            createdAt: mention.createdAt,
            messageId: lookup(messages, mention.message, 'facts.mentions.message'),
            conversationId: lookup(conversations, mention.conversation, 'facts.mentions.conversation'),
          },
        });
      }
      if (embedding) await recordVectorChange(tx, entity.id, row.id);
      counts.facts++;
    }

    const tripleIds: number[] = [];
    for (const triple of data.triples) {
      tripleIds.push(
        await importTriple(tx, entity.id, triple, (value) =>
          lookup(messages, value, 'triples.mentions.message'),
        ),
      );
      counts.triples++;
    }
    if (tripleIds.length > 0) await recountDegrees(tx, entity.id);
    if (deps.graphMirror) await recordTripleChanges(tx, entity.id, tripleIds);

    for (const call of data.idempotencyKeys) {
      const conversationId = lookup(conversations, call.conversation, 'idempotencyKeys.conversation');
      if (conversationId === null) continue;
      await tx.idempotentCall.create({
        data: {
          entityId: entity.id,
          idempotencyKey: call.key,
          requestHash: call.requestHash,
          conversationId,
          firstMessageId: lookup(messages, call.firstMessage, 'idempotencyKeys.firstMessage') ?? 0,
          lastMessageId: lookup(messages, call.lastMessage, 'idempotencyKeys.lastMessage') ?? 0,
          createdAt: call.createdAt,
        },
      });
    }
    return counts;
  });
}

async function importTriple(
  tx: Tx,
  entityId: number,
  triple: z.output<typeof ImportSchema>['triples'][number],
  message: (ref: string | null) => number | null,
): Promise<number> {
  // Shared names: created when missing, otherwise used as they are.
  const subject = await tx.tripleSubject.upsert({
    where: { name: triple.subject.name },
    create: triple.subject,
    update: {},
  });
  const predicate = await tx.triplePredicate.upsert({
    where: { name: triple.predicate },
    create: { name: triple.predicate },
    update: {},
  });
  const object = await tx.tripleObject.upsert({
    where: { name: triple.object.name },
    create: triple.object,
    update: {},
  });
  const row = await tx.triple.create({
    data: {
      entityId,
      subjectId: subject.id,
      predicateId: predicate.id,
      objectId: object.id,
      mentionCount: triple.mentionCount,
      lastMentionedAt: triple.lastMentionedAt,
      validFrom: triple.validFrom,
      validTo: triple.validTo,
      createdAt: triple.createdAt,
    },
  });
  for (const period of triple.earlierPeriods) {
    await tx.tripleInterval.create({ data: { tripleId: row.id, ...period } });
  }
  for (const mention of triple.mentions) {
    await tx.tripleMention.create({
      data: { tripleId: row.id, createdAt: mention.createdAt, messageId: message(mention.message) },
    });
  }
  return row.id;
}
