import { z } from 'zod';
import { AuditActorKind, FactCategory, JobStatus, MessageRole } from '../db/enums.ts';
import { EngramError } from '../errors.ts';

/**
 * The backup format: gzip-compressed NDJSON. Line 1 is a {@link BackupHeader}, then one record per
 * line (a database row, `table` naming its kind, ids as in the source database), then a
 * {@link BackupTrailer} with the record counts and the sha256 of every record line, so a
 * truncated or altered file is refused before anything is written. Records come table by table
 * in {@link KIND_ORDER}, each table in id order: a record only points at records before it.
 */
export const BACKUP_FORMAT = 'engram-backup';
export const BACKUP_VERSION = 1;

/**
 * What a file holds: the whole `database`; some `entities` (with everything about them);
 * or an `archive` of old conversations that `engram archive` removed from the database.
 */
export type BackupScope = 'database' | 'entities' | 'archive';

export interface BackupHeader {
  kind: 'header';
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  scope: BackupScope;
  /** The provider the file was written from (sqlite, postgresql, mysql...). */
  provider: string;
  /** The Engram version that wrote it. */
  engramVersion: string;
  createdAt: string;
  /** scope `entities`: the external ids asked for. */
  entities?: string[];
  /** scope `archive`: conversations started before this moment. */
  olderThan?: string;
}

export interface BackupTrailer {
  kind: 'trailer';
  /** Records in the file (header and trailer excluded), and per kind. */
  records: number;
  counts: Partial<Record<RecordKind, number>>;
  /** sha256 (hex) of every record line, newline included, in order. */
  sha256: string;
}

/** Why a file cannot be read: a code a script can test, and a message a person can act on. */
export class BackupFormatError extends EngramError {
  constructor(
    code: 'NOT_A_BACKUP' | 'UNSUPPORTED_VERSION' | 'CORRUPT' | 'TRUNCATED' | 'INVALID_RECORD',
    message: string,
  ) {
    super(code, message);
    this.name = 'BackupFormatError';
  }
}

const id = z.number().int().positive();
const ref = id.nullable();
const instant = z.iso.datetime({ offset: true });
const optionalInstant = instant.nullable();
const text = z.string().max(16_000_000);
const name = (max: number) => z.string().min(1).max(max);

/** Each record kind's fields (besides `kind`), as the source database held them. */
export const RECORD_SCHEMAS = {
  process: z.strictObject({ id, externalId: name(255), createdAt: instant }),
  processAttribute: z.strictObject({
    id,
    processId: id,
    name: name(191),
    value: z.string().max(512),
    mentionCount: z.number().int().min(1),
    lastMentionedAt: instant,
    createdAt: instant,
  }),
  entity: z.strictObject({ id, externalId: name(255), createdAt: instant }),
  session: z.strictObject({ id, uuid: name(128), entityId: id, processId: id, createdAt: instant }),
  conversation: z.strictObject({ id, sessionId: id, summary: text.nullable(), createdAt: instant }),
  message: z.strictObject({
    id,
    conversationId: id,
    role: z.enum(MessageRole),
    type: name(64),
    content: text,
    createdAt: instant,
  }),
  job: z.strictObject({
    id,
    conversationId: id,
    entityId: id,
    firstMessageId: id,
    lastMessageId: id,
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
  }),
  call: z.strictObject({
    id,
    entityId: id,
    idempotencyKey: name(128),
    requestHash: z.string().length(64),
    conversationId: id,
    firstMessageId: id,
    lastMessageId: id,
    createdAt: instant,
  }),
  fact: z.strictObject({
    id,
    entityId: id,
    content: text.min(1),
    contentHash: z.string().length(64),
    category: z.enum(FactCategory),
    /** float32 little-endian, base64. */
    embedding: z.base64().nullable(),
    embeddingModel: z.string().max(255).nullable(),
    embeddingDim: z.number().int().positive().nullable(),
    mentionCount: z.number().int().min(1),
    lastMentionedAt: instant,
    createdAt: instant,
  }),
  factMention: z.strictObject({ id, factId: id, messageId: ref, conversationId: ref, createdAt: instant }),
  subject: z.strictObject({ id, name: name(512), type: z.string().max(64).nullable() }),
  predicate: z.strictObject({ id, name: name(512) }),
  object: z.strictObject({ id, name: name(512), type: z.string().max(64).nullable() }),
  triple: z.strictObject({
    id,
    entityId: id,
    subjectId: id,
    predicateId: id,
    objectId: id,
    mentionCount: z.number().int().min(1),
    lastMentionedAt: instant,
    validFrom: instant,
    validTo: optionalInstant,
    createdAt: instant,
  }),
  tripleInterval: z.strictObject({ id, tripleId: id, validFrom: instant, validTo: instant }),
  tripleMention: z.strictObject({ id, tripleId: id, messageId: ref, createdAt: instant }),
  tombstone: z.strictObject({
    id,
    entityId: id,
    kind: z.enum(['fact', 'triple']),
    contentHash: z.string().length(64),
    createdAt: instant,
  }),
  audit: z.strictObject({
    id,
    at: instant,
    actorKind: z.enum(AuditActorKind),
    actor: z.string().max(255),
    action: z.string().max(64),
    entityExternalId: z.string().max(255).nullable(),
    target: z.string().max(16_000_000).nullable(),
    address: z.string().max(64).nullable(),
  }),
} as const;

export type RecordKind = keyof typeof RECORD_SCHEMAS;
export type RecordOf<K extends RecordKind> = z.output<(typeof RECORD_SCHEMAS)[K]>;
/** A record as it appears on a line. */
export type BackupRecord = { [K in RecordKind]: { table: K } & RecordOf<K> }[RecordKind];

/** The order of the tables in a file: whatever a record points at comes before it. */
export const KIND_ORDER: readonly RecordKind[] = [
  'process',
  'processAttribute',
  'entity',
  'session',
  'conversation',
  'message',
  'job',
  'call',
  'fact',
  'factMention',
  'subject',
  'predicate',
  'object',
  'triple',
  'tripleInterval',
  'tripleMention',
  'tombstone',
  'audit',
];

/**
 * The fields of each kind that hold another record's id, and which kind. Some are not foreign
 * keys in the database (a job's message range), and are checked all the same.
 */
export const REFERENCES: { [K in RecordKind]: Partial<Record<keyof RecordOf<K>, RecordKind>> } = {
  process: {},
  processAttribute: { processId: 'process' },
  entity: {},
  session: { entityId: 'entity', processId: 'process' },
  conversation: { sessionId: 'session' },
  message: { conversationId: 'conversation' },
  job: {
    conversationId: 'conversation',
    entityId: 'entity',
    firstMessageId: 'message',
    lastMessageId: 'message',
  },
  call: {
    entityId: 'entity',
    conversationId: 'conversation',
    firstMessageId: 'message',
    lastMessageId: 'message',
  },
  fact: { entityId: 'entity' },
  factMention: { factId: 'fact', messageId: 'message', conversationId: 'conversation' },
  subject: {},
  predicate: {},
  object: {},
  triple: { entityId: 'entity', subjectId: 'subject', predicateId: 'predicate', objectId: 'object' },
  tripleInterval: { tripleId: 'triple' },
  tripleMention: { tripleId: 'triple', messageId: 'message' },
  tombstone: { entityId: 'entity' },
  audit: {},
};

/**
 * In an archive, the provenance rows (factMention, tripleMention) stay in the database and point at
 * facts and triples that are not in the file: only their message and conversation are checked.
 */
export const ARCHIVE_EXTERNAL_REFERENCES: Partial<Record<RecordKind, readonly string[]>> = {
  factMention: ['factId'],
  tripleMention: ['tripleId'],
};

export const HeaderSchema = z.strictObject({
  kind: z.literal('header'),
  format: z.literal(BACKUP_FORMAT),
  version: z.number().int(),
  scope: z.enum(['database', 'entities', 'archive']),
  provider: z.string().max(32),
  engramVersion: z.string().max(64),
  createdAt: instant,
  entities: z.array(name(255)).optional(),
  olderThan: instant.optional(),
});

export const TrailerSchema = z.strictObject({
  kind: z.literal('trailer'),
  records: z.number().int().min(0),
  counts: z.record(z.string(), z.number().int().min(0)),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
