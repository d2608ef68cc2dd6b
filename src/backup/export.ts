import { clientProvider, type Db, type Tx } from '../db/client.ts';
import { type BackupRecord, KIND_ORDER, RECORD_SCHEMAS, type RecordKind } from './format.ts';
import { delegate } from './tables.ts';
import type { BackupWriter } from './writer.ts';

/** Rows read per query: pages keep memory flat whatever the size of a table or an entity. */
export const EXPORT_PAGE = 500;

/** A snapshot of a large database may take a while to read. */
const EXPORT_TIMEOUT_MS = 24 * 3600_000;

/** Which rows of each kind go into a file (null: none of that kind). */
export type Selection = Record<RecordKind, object | null>;

/** Everything: a move to another database. */
export function databaseSelection(): Selection {
  return Object.fromEntries(KIND_ORDER.map((kind) => [kind, {}])) as Selection;
}

/**
 * Some entities with everything about them, and the processes and names their rows point at.
 * Not the audit log (append-only, the source's history; the GDPR export carries an entity's
 * entries) nor process attributes (learned about processes, not entities).
 */
export function entitySelection(entityIds: number[]): Selection {
  const entityId = { in: entityIds };
  const ofTriples = { triples: { some: { entityId } } };
  return {
    process: { sessions: { some: { entityId } } },
    processAttribute: null,
    entity: { id: entityId },
    session: { entityId },
    conversation: { session: { entityId } },
    message: { conversation: { session: { entityId } } },
    job: { entityId },
    call: { entityId },
    fact: { entityId },
    factMention: { fact: { entityId } },
    subject: ofTriples,
    predicate: ofTriples,
    object: ofTriples,
    triple: { entityId },
    tripleInterval: { triple: { entityId } },
    tripleMention: { triple: { entityId } },
    tombstone: { entityId },
    audit: null,
  };
}

/** The fields each kind carries: exactly its record schema's. */
const SELECTS = Object.fromEntries(
  KIND_ORDER.map((kind) => [
    kind,
    Object.fromEntries(Object.keys(RECORD_SCHEMAS[kind].shape).map((key) => [key, true])),
  ]),
) as Record<RecordKind, Record<string, true>>;

/** A row as a record: instants as ISO strings, bytes as base64. */
function toRecord(kind: RecordKind, row: Record<string, unknown>): BackupRecord {
  const record: Record<string, unknown> = { table: kind };
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) record[key] = value.toISOString();
    else if (value instanceof Uint8Array) record[key] = Buffer.from(value).toString('base64');
    else record[key] = value;
  }
  return record as BackupRecord;
}

/** Reads the selected rows of every kind, a page at a time in id order, into `writer`. */
export async function writeRows(
  client: Tx,
  selection: Selection,
  writer: Pick<BackupWriter, 'write'>,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let total = 0;
  for (const kind of KIND_ORDER) {
    const where = selection[kind];
    if (where) total += await delegate(client, kind).count({ where });
  }
  let done = 0;
  onProgress?.(0, total);
  for (const kind of KIND_ORDER) {
    const where = selection[kind];
    if (!where) continue;
    for (let after = 0; ; ) {
      const rows = await delegate(client, kind).findMany({
        where: { AND: [where, { id: { gt: after } }] },
        orderBy: { id: 'asc' },
        take: EXPORT_PAGE,
        select: SELECTS[kind],
      });
      for (const row of rows) await writer.write(toRecord(kind, row));
      done += rows.length;
      onProgress?.(done, Math.max(done, total));
      if (rows.length < EXPORT_PAGE) break;
      after = (rows.at(-1) as { id: number }).id;
    }
  }
}

/**
 * Runs `read` in one read transaction, so a file is a consistent snapshot even while the server
 * writes: REPEATABLE READ on PostgreSQL and MySQL/MariaDB; on SQLite a read transaction sees the
 * database as it was when it began (WAL).
 */
export async function inSnapshot<T>(reader: Db, read: (tx: Tx) => Promise<T>): Promise<T> {
  const provider = clientProvider(reader);
  const isolationLevel =
    provider === 'sqlite' ? undefined : provider === 'cockroachdb' ? 'Serializable' : 'RepeatableRead';
  return reader.$transaction(read, {
    timeout: EXPORT_TIMEOUT_MS,
    maxWait: 60_000,
    ...(isolationLevel ? { isolationLevel } : {}),
  } as { timeout: number });
}
