import { clientProvider, type Tx } from '../db/client.ts';
import { EngramError, ValidationError } from '../errors.ts';
import { recountDegrees } from '../graph/degrees.ts';
import { type Actor, recordAudit } from '../services/audit.ts';
import type { ServiceDeps } from '../services/deps.ts';
import { type BackupRecord, KIND_ORDER, REFERENCES, type RecordKind } from './format.ts';
import { IdPlan, resyncSequences } from './ids.ts';
import { type BackupSummary, checkBackup, readBackup } from './reader.ts';
import { delegate } from './tables.ts';

/** Rows per insert statement. */
export const IMPORT_BATCH = 500;

/** An import of a large file is one long transaction. */
const IMPORT_TIMEOUT_MS = 24 * 3600_000;

/** Shared rows found by name in the target instead of inserted anew (unless it is empty). */
const NAMED: Partial<Record<RecordKind, 'externalId' | 'name'>> = {
  process: 'externalId',
  subject: 'name',
  predicate: 'name',
  object: 'name',
};

/** Fields holding instants, whatever the kind. */
const INSTANTS = new Set([
  'createdAt',
  'lastMentionedAt',
  'runAt',
  'startedAt',
  'completedAt',
  'validFrom',
  'validTo',
  'at',
]);

/** Tables whose rows mean the target already holds an Engram memory. */
const OCCUPIED: readonly RecordKind[] = ['entity', 'process', 'subject', 'predicate', 'object', 'audit'];

export type ImportPhase = 'checking' | 'writing';

export interface ImportResult {
  scope: BackupSummary['header']['scope'];
  mode: 'preserve' | 'shift';
  counts: Partial<Record<RecordKind, number>>;
}

/** A record's fields as the target's row: its instants and bytes decoded, its ids mapped. */
export function rowData(record: BackupRecord, ids: IdPlan): Record<string, unknown> {
  const { table: kind, ...fields } = record;
  const row: Record<string, unknown> = {};
  const refs = REFERENCES[kind] as Record<string, RecordKind>;
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) row[key] = null;
    else if (key === 'id') row.id = ids.map(kind, value as number);
    else if (refs[key]) row[key] = ids.map(refs[key], value as number);
    else if (INSTANTS.has(key)) row[key] = new Date(value as string);
    else if (key === 'embedding') row[key] = new Uint8Array(Buffer.from(value as string, 'base64'));
    else row[key] = value;
  }
  // The worker that ran it is not coming back: it runs again here.
  if (kind === 'job' && row.status === 'RUNNING') row.status = 'PENDING';
  return row;
}

/**
 * Inserts one batch of a kind. Entities and sessions already in the target are refused (an
 * import never merges two memories); shared names and processes are reused when they exist.
 */
async function insertBatch(
  tx: Tx,
  kind: RecordKind,
  records: BackupRecord[],
  ids: IdPlan,
  options: { mirror: boolean; graphs: Set<number> },
): Promise<void> {
  const names = ids.named.get(kind);
  const key = NAMED[kind];
  if (names && key) {
    await insertNamed(tx, kind, key, records, names);
    return;
  }
  if (kind === 'entity' || kind === 'session') {
    const field = kind === 'entity' ? 'externalId' : 'uuid';
    const values = records.map((record) => (record as unknown as Record<string, string>)[field]);
    const found = await delegate(tx, kind).findMany({
      where: { [field]: { in: values } },
      select: { [field]: true },
    });
    if (found.length > 0) {
      const list = found.map((row) => row[field]).join(', ');
      throw new ValidationError(
        `the target already holds ${kind === 'entity' ? 'entities' : 'sessions'} ${list}: erase them first, or import elsewhere`,
        [],
        kind === 'entity' ? 'ENTITY_EXISTS' : 'SESSION_EXISTS',
      );
    }
  }
  const rows = records.map((record) => rowData(record, ids));
  await delegate(tx, kind).createMany({ data: rows });
  if (kind === 'entity') {
    // Each server's search index reloads these entities' facts from the database.
    await tx.vectorChange.createMany({
      data: rows.map((row) => ({ entityId: row.id as number, factId: null })),
    });
  }
  // The stored degrees are not in a backup: each graph written is counted once at the end.
  if (kind === 'triple') for (const row of rows) options.graphs.add(row.entityId as number);
  if (kind === 'triple' && options.mirror) {
    await tx.graphChange.createMany({
      data: rows.map((row) => ({ entityId: row.entityId as number, tripleId: row.id as number })),
    });
  }
}

/** Names and processes: found by name, created when missing, mapped either way. */
async function insertNamed(
  tx: Tx,
  kind: RecordKind,
  key: 'externalId' | 'name',
  records: BackupRecord[],
  names: Map<number, number>,
): Promise<void> {
  const byName = new Map(
    records.map((record) => [(record as unknown as Record<string, string>)[key], record]),
  );
  const lookup = () =>
    delegate(tx, kind).findMany({
      where: { [key]: { in: [...byName.keys()] } },
      select: { id: true, [key]: true },
    });
  const existing = await lookup();
  const known = new Set(existing.map((row) => row[key] as string));
  const missing = records.filter(
    (record) => !known.has((record as unknown as Record<string, string>)[key] as string),
  );
  if (missing.length > 0) {
    await delegate(tx, kind).createMany({
      data: missing.map((record) => {
        const { table: _, id: __, ...fields } = record;
        return Object.fromEntries(
          Object.entries(fields).map(([field, value]) => [
            field,
            INSTANTS.has(field) && value ? new Date(value as string) : value,
          ]),
        );
      }),
    });
  }
  for (const row of missing.length > 0 ? await lookup() : existing) {
    const record = byName.get(row[key] as string);
    if (record) names.set(record.id, row.id as number);
  }
}

/** Whether the target holds any memory already. */
async function occupied(tx: Tx): Promise<RecordKind[]> {
  const found: RecordKind[] = [];
  for (const kind of OCCUPIED) {
    if ((await delegate(tx, kind).findMany({ take: 1, select: { id: true } })).length > 0) found.push(kind);
  }
  return found;
}

/**
 * Imports an `engram export` backup file: first reads it whole, checking it (format, version,
 * every record, references, counts, checksum), then writes it in one transaction, in batches of
 * {@link IMPORT_BATCH} rows. Bad input is refused before anything is written; a failure while
 * writing rolls everything back. A `database` file goes only into an empty database (keeping
 * every id); an `entities` file into any, refusing entities or sessions it already holds.
 * @throws BackupFormatError for a file that is not a sound backup; EngramError TARGET_NOT_EMPTY,
 *   WRONG_SCOPE; ValidationError ENTITY_EXISTS, SESSION_EXISTS
 */
export async function importBackup(
  deps: Pick<ServiceDeps, 'db'> & Partial<Pick<ServiceDeps, 'graphMirror'>>,
  actor: Actor,
  path: string,
  options: { onProgress?: (phase: ImportPhase, done: number, total: number) => void } = {},
): Promise<ImportResult> {
  const summary = await checkBackup(path, {
    onBytes: (read, total) => options.onProgress?.('checking', read, total),
  });
  const { header, trailer, ranges } = summary;
  if (header.scope === 'archive') {
    throw new EngramError(
      'WRONG_SCOPE',
      `${path} is an archive of old conversations: use \`engram restore\``,
    );
  }
  const mode = header.scope === 'database' ? 'preserve' : 'shift';
  const provider = clientProvider(deps.db);
  const settings = {
    timeout: IMPORT_TIMEOUT_MS,
    maxWait: 60_000,
    ...(provider === 'mysql' ? { isolationLevel: 'ReadCommitted' } : {}),
  };
  await deps.db.$transaction(
    async (tx) => {
      if (mode === 'preserve') {
        const found = await occupied(tx);
        if (found.length > 0) {
          throw new EngramError(
            'TARGET_NOT_EMPTY',
            `a whole-database backup goes into an empty database; this one holds ${found.join(', ')} rows`,
          );
        }
      }
      const ids = new IdPlan(mode);
      await ids.plan(tx, ranges, Object.keys(NAMED) as RecordKind[]);
      let batch: BackupRecord[] = [];
      let done = 0;
      const graphs = new Set<number>();
      const flush = async () => {
        const [first] = batch;
        if (!first) return;
        await insertBatch(tx, first.table, batch, ids, { mirror: Boolean(deps.graphMirror), graphs });
        done += batch.length;
        options.onProgress?.('writing', done, trailer.records);
        batch = [];
      };
      // The file is read again; the reader checks it again, and a difference rolls everything back.
      for await (const record of readBackup(path)) {
        if (batch.length >= IMPORT_BATCH || (batch[0] && batch[0].table !== record.table)) await flush();
        batch.push(record);
      }
      await flush();
      for (const entityId of graphs) await recountDegrees(tx, entityId);
      if (mode === 'preserve') await resyncSequences(tx, KIND_ORDER);
      await recordAudit(tx, actor, { action: 'importBackup', entity: null, target: [] });
    },
    settings as { timeout: number },
  );
  return { scope: header.scope, mode, counts: trailer.counts };
}
