import { createWriteStream } from 'node:fs';
import { access, rename, rm } from 'node:fs/promises';
import { clientProvider, type Db, type Tx } from '../db/client.ts';
import { EngramError } from '../errors.ts';
import { type Actor, recordAudit } from '../services/audit.ts';
import type { ServiceDeps } from '../services/deps.ts';
import { inSnapshot, type Selection, writeRows } from './export.ts';
import type { BackupRecord, RecordKind, RecordOf } from './format.ts';
import { IdPlan } from './ids.ts';
import { IMPORT_BATCH, rowData } from './import.ts';
import { checkBackup, readBackup } from './reader.ts';
import { delegate } from './tables.ts';
import { ENGRAM_VERSION } from './version.ts';
import { BackupWriter } from './writer.ts';

/** Archiving or restoring a large history is one long transaction. */
const TIMEOUT_MS = 24 * 3600_000;

/**
 * The conversations an archive takes: started before the cutoff, existing when the archive began,
 * and with no augmentation job waiting or running (it would still write their summary).
 */
function archived(cutoff: Date, maxId: number) {
  return {
    createdAt: { lt: cutoff },
    id: { lte: maxId },
    jobs: { none: { status: { in: ['PENDING' as const, 'RUNNING' as const] } } },
  };
}

function archiveSelection(cutoff: Date, maxId: number): Selection {
  const conversation = archived(cutoff, maxId);
  const inSessions = { sessions: { some: { conversations: { some: conversation } } } };
  return {
    process: inSessions,
    processAttribute: null,
    entity: inSessions,
    session: { conversations: { some: conversation } },
    conversation,
    message: { conversation },
    job: { conversation },
    call: { conversation },
    fact: null,
    // Provenance stays in the database (its message pointer is cleared); the file keeps which
    // mention pointed where, so a restore points it back.
    factMention: { OR: [{ message: { conversation } }, { conversation }] },
    subject: null,
    predicate: null,
    object: null,
    triple: null,
    tripleInterval: null,
    tripleMention: { message: { conversation } },
    tombstone: null,
    audit: null,
  };
}

export interface ArchiveResult {
  conversations: number;
  messages: number;
  records: number;
}

/**
 * Moves conversations started before `cutoff` (with their messages, jobs and idempotency records)
 * into an archive file and deletes them from the database; facts and triples stay, their
 * provenance no longer pointing at a message. The file is written and closed first (as
 * `<out>.partial`), then one transaction deletes exactly what it holds (refusing with
 * ARCHIVE_CHANGED if a conversation got a message meanwhile), then the file takes its name: a
 * crash leaves either the database untouched or a complete `.partial` file.
 */
export async function archiveConversations(
  deps: Pick<ServiceDeps, 'db'> & { reader: Db },
  actor: Actor,
  options: { cutoff: Date; out: string; onProgress?: (done: number, total: number) => void },
): Promise<ArchiveResult> {
  const { cutoff, out } = options;
  if (
    await access(out).then(
      () => true,
      () => false,
    )
  ) {
    throw new EngramError('FILE_EXISTS', `${out} exists: an archive never overwrites a file`);
  }
  const partial = `${out}.partial`;
  const { _max } = await deps.reader.conversation.aggregate({ _max: { id: true } });
  const maxId = _max.id ?? 0;
  const selection = archiveSelection(cutoff, maxId);
  let summary: Awaited<ReturnType<BackupWriter['finish']>>;
  try {
    summary = await inSnapshot(deps.reader, async (tx) => {
      const writer = new BackupWriter(createWriteStream(partial, { mode: 0o600 }), {
        scope: 'archive',
        provider: clientProvider(deps.reader) ?? 'unknown',
        engramVersion: ENGRAM_VERSION,
        createdAt: new Date().toISOString(),
        olderThan: cutoff.toISOString(),
      });
      await writeRows(tx, selection, writer, options.onProgress);
      return writer.finish();
    });
    // What is deleted next is only what a reader finds whole in the file.
    await checkBackup(partial);
    const expected = (kind: RecordKind) => summary.counts[kind] ?? 0;
    await deps.db.$transaction(
      async (tx) => {
        for (const kind of ['conversation', 'message', 'job', 'call'] as const) {
          const now = await delegate(tx, kind).count({ where: selection[kind] as object });
          if (now !== expected(kind)) {
            throw new EngramError(
              'ARCHIVE_CHANGED',
              `the archived conversations changed while being archived (${kind}: ${expected(kind)} written, ${now} now); nothing was deleted: run it again`,
            );
          }
        }
        // Messages, jobs and idempotency records go with their conversation (ON DELETE CASCADE);
        // provenance loses its pointers (SET NULL).
        for (;;) {
          const page = await tx.conversation.findMany({
            where: selection.conversation as object,
            select: { id: true },
            orderBy: { id: 'asc' },
            take: IMPORT_BATCH,
          });
          if (page.length === 0) break;
          await tx.conversation.deleteMany({ where: { id: { in: page.map((row) => row.id) } } });
        }
        await recordAudit(tx, actor, { action: 'archiveConversations', entity: null, target: [] });
      },
      { timeout: TIMEOUT_MS, maxWait: 60_000 },
    );
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, out);
  return {
    conversations: summary.counts.conversation ?? 0,
    messages: summary.counts.message ?? 0,
    records: summary.records,
  };
}

export interface RestoreResult {
  conversations: number;
  messages: number;
  /** Conversations whose entity was erased (or whose session is gone): never brought back. */
  erased: number;
  /** Conversations already in the database (restored before). */
  present: number;
}

type Identity = { externalId: string; createdAt: string };

/**
 * Brings archived conversations back, in one transaction, after checking the whole file. A
 * conversation comes back only into its own session, which must still exist under the same entity
 * (same external id, same creation time): an erased entity's sessions are gone, and an entity
 * created anew under the same external id is someone else, so nothing erased comes back. One
 * already there (same session, same start) is skipped, so a restore can run twice. Provenance
 * still in the database points at the restored messages again.
 */
export async function restoreArchive(
  deps: Pick<ServiceDeps, 'db'>,
  actor: Actor,
  path: string,
  options: { onProgress?: (done: number, total: number) => void } = {},
): Promise<RestoreResult> {
  const { header, trailer, ranges } = await checkBackup(path);
  if (header.scope !== 'archive') {
    throw new EngramError(
      'WRONG_SCOPE',
      `${path} is a ${header.scope} backup, not an archive: use \`engram import\``,
    );
  }
  const result: RestoreResult = { conversations: 0, messages: 0, erased: 0, present: 0 };
  await deps.db.$transaction(
    async (tx) => {
      const ids = new IdPlan('shift');
      const inserted = ['conversation', 'message', 'job', 'call'] as const;
      await ids.plan(
        tx,
        Object.fromEntries(inserted.flatMap((kind) => (ranges[kind] ? [[kind, ranges[kind]]] : []))),
        [],
      );
      const entities = new Map<number, Identity>();
      const entityIds = new Map<number, number>();
      const sessionIds = new Map<number, number>();
      ids.named.set('entity', entityIds);
      ids.named.set('session', sessionIds);
      const skipped = new Set<number>();
      let batch: BackupRecord[] = [];
      let done = 0;
      const flush = async () => {
        const [first] = batch;
        if (!first) return;
        await restoreBatch(tx, first.table, batch, { ids, entities, entityIds, sessionIds, skipped, result });
        done += batch.length;
        options.onProgress?.(done, trailer.records);
        batch = [];
      };
      for await (const record of readBackup(path)) {
        if (batch.length >= IMPORT_BATCH || (batch[0] && batch[0].table !== record.table)) await flush();
        batch.push(record);
      }
      await flush();
      await recordAudit(tx, actor, { action: 'restoreConversations', entity: null, target: [] });
    },
    { timeout: TIMEOUT_MS, maxWait: 60_000 },
  );
  return result;
}

interface RestoreState {
  ids: IdPlan;
  entities: Map<number, Identity>;
  entityIds: Map<number, number>;
  sessionIds: Map<number, number>;
  /** Archived conversations not restored. */
  skipped: Set<number>;
  result: RestoreResult;
}

async function restoreBatch(
  tx: Tx,
  kind: RecordKind,
  records: BackupRecord[],
  state: RestoreState,
): Promise<void> {
  const { ids, skipped, result } = state;
  const of = <K extends RecordKind>(_kind: K) => records as unknown as (RecordOf<K> & { table: K })[];
  switch (kind) {
    case 'entity': {
      for (const entity of of('entity')) state.entities.set(entity.id, entity);
      const found = await tx.entity.findMany({
        where: { externalId: { in: of('entity').map((row) => row.externalId) } },
      });
      for (const entity of of('entity')) {
        const same = found.find(
          (row) => row.externalId === entity.externalId && row.createdAt.toISOString() === entity.createdAt,
        );
        if (same) state.entityIds.set(entity.id, same.id);
      }
      return;
    }
    case 'session': {
      const found = await tx.session.findMany({
        where: { uuid: { in: of('session').map((row) => row.uuid) } },
      });
      for (const session of of('session')) {
        const entityId = state.entityIds.get(session.entityId);
        const same = found.find((row) => row.uuid === session.uuid && row.entityId === entityId);
        if (same) state.sessionIds.set(session.id, same.id);
      }
      return;
    }
    case 'conversation': {
      const live = of('conversation').filter((row) => {
        if (state.sessionIds.has(row.sessionId)) return true;
        skipped.add(row.id);
        result.erased++;
        return false;
      });
      const there = await tx.conversation.findMany({
        where: {
          sessionId: { in: live.map((row) => ids.map('session', row.sessionId)) },
          createdAt: { in: live.map((row) => new Date(row.createdAt)) },
        },
        select: { sessionId: true, createdAt: true },
      });
      const present = new Set(there.map((row) => `${row.sessionId} ${row.createdAt.toISOString()}`));
      const fresh = live.filter((row) => {
        if (!present.has(`${ids.map('session', row.sessionId)} ${row.createdAt}`)) return true;
        skipped.add(row.id);
        result.present++;
        return false;
      });
      await insertRows(tx, 'conversation', fresh, ids);
      result.conversations += fresh.length;
      return;
    }
    case 'message':
    case 'job':
    case 'call': {
      let rows = records.filter((row) => !skipped.has((row as { conversationId: number }).conversationId));
      if (kind === 'call') {
        // A key reused since the archive belongs to the newer call.
        const calls = rows as unknown as RecordOf<'call'>[];
        const taken = await tx.idempotentCall.findMany({
          where: {
            entityId: { in: calls.map((row) => ids.map('entity', row.entityId)) },
            idempotencyKey: { in: calls.map((row) => row.idempotencyKey) },
          },
          select: { entityId: true, idempotencyKey: true },
        });
        const keys = new Set(taken.map((row) => `${row.entityId} ${row.idempotencyKey}`));
        rows = rows.filter((row) => {
          const call = row as unknown as RecordOf<'call'>;
          return !keys.has(`${ids.map('entity', call.entityId)} ${call.idempotencyKey}`);
        });
      }
      await insertRows(tx, kind, rows, ids);
      if (kind === 'message') result.messages += rows.length;
      return;
    }
    case 'factMention':
    case 'tripleMention':
      await repoint(tx, kind, records, state);
      return;
    default:
      return;
  }
}

async function insertRows(tx: Tx, kind: RecordKind, records: BackupRecord[], ids: IdPlan): Promise<void> {
  if (records.length === 0) return;
  await delegate(tx, kind).createMany({ data: records.map((record) => rowData(record, ids)) });
}

/** Points provenance rows still in the database (their pointers cleared) at the restored rows. */
async function repoint(
  tx: Tx,
  kind: 'factMention' | 'tripleMention',
  records: BackupRecord[],
  state: RestoreState,
) {
  const { ids, skipped } = state;
  const messageOf = (row: { messageId: number | null; conversationId?: number | null }) =>
    row.messageId === null ? null : ids.map('message', row.messageId);
  const candidates = records as unknown as (RecordOf<'factMention'> | RecordOf<'tripleMention'>)[];
  const messageIds = candidates.flatMap((row) => {
    const id = messageOf(row);
    return id === null ? [] : [id];
  });
  const restored = new Set(
    (await tx.conversationMessage.findMany({ where: { id: { in: messageIds } }, select: { id: true } })).map(
      (row) => row.id,
    ),
  );
  for (const row of candidates) {
    const messageId = messageOf(row);
    const message = messageId !== null && restored.has(messageId) ? messageId : null;
    if (kind === 'tripleMention') {
      const mention = row as RecordOf<'tripleMention'>;
      if (message === null) continue;
      await tx.tripleMention.updateMany({
        where: { id: mention.id, tripleId: mention.tripleId, messageId: null },
        data: { messageId: message },
      });
      continue;
    }
    const mention = row as RecordOf<'factMention'>;
    const conversation =
      mention.conversationId !== null && !skipped.has(mention.conversationId)
        ? ids.map('conversation', mention.conversationId)
        : null;
    if (message === null && conversation === null) continue;
    await tx.factMention.updateMany({
      where: { id: mention.id, factId: mention.factId, messageId: null, conversationId: null },
      data: { messageId: message, conversationId: conversation },
    });
  }
}
