import { createHash } from 'node:crypto';
import { z } from 'zod';
import { assertWriteKey, type Principal } from '../auth/principal.ts';
import { checkpointSqlite, clientProvider } from '../db/client.ts';
import { tableSql } from '../db/tables.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { type Actor, publishAudit, recordAudit } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { recordVectorChange } from './facts.ts';
import { recordEntityErased } from './graph-changes.ts';
import { inTransaction, type Tx } from './transactions.ts';
import { externalIdSchema, parseInput } from './validation.ts';

/**
 * Erasure (GDPR article 17): everything Engram holds about one entity goes, in one transaction,
 * and then out of every other place it was copied to: the search index (live and its snapshots on
 * disk, here and, through the change log, on every other process), the embedding cache, and on
 * SQLite the write-ahead log (see checkpointSqlite). What is left is the fact that an erase
 * happened: one `vector_change` row with the entity's former database id, pruned with the rest of
 * the change log.
 */

export interface EraseEntityInput {
  /** External id of the entity. */
  entity: string;
}

/** How many of each thing the erase deleted. */
export interface ErasedCounts {
  messages: number;
  conversations: number;
  sessions: number;
  facts: number;
  triples: number;
  /** Facts that had an embedding (each also left the vector index). */
  vectors: number;
  /** Augmentation jobs, whatever their state (a running one writes nothing back). */
  jobs: number;
}

/** An erase of a large memory is one long transaction; longer than ordinary writes get. */
const ERASE_TIMEOUT_MS = 10 * 60_000;
/** Rows read at once while collecting the texts to drop from the embedding cache. */
const TEXT_BATCH = 1000;
/** Ids per statement when deleting names no triple uses any more. */
const NAME_BATCH = 1000;

const inputSchema = z.object({ entity: externalIdSchema });

/**
 * Who may erase: admin and service keys; an entity token for that same entity with WRITE when
 * ERASE_BY_ENTITY_TOKEN is on. Checked before the entity is looked up, so a refused caller does
 * not learn whether it exists.
 */
function assertMayErase(deps: ServiceDeps, principal: Principal, entity: string): void {
  if (principal.kind !== 'entity') {
    assertWriteKey(principal);
    return;
  }
  if (!deps.access.eraseByEntityToken) {
    throw new ForbiddenError('erasing needs an admin or service key (ERASE_BY_ENTITY_TOKEN is off)');
  }
  if (principal.entityExternalId !== entity || !principal.scopes.includes('WRITE')) {
    throw new ForbiddenError('an entity token may erase only its own entity, with the WRITE scope');
  }
}

/**
 * Erases an entity and everything about it: messages, conversations (with summaries), sessions,
 * facts with their provenance and embeddings, triples with their periods and provenance, the
 * subject, predicate and object names no other entity's triple uses, augmentation jobs,
 * idempotency records, tombstones, its search-index change rows, and the entity row.
 * @throws NotFoundError when there is no such entity; ForbiddenError (see assertMayErase)
 */
export async function eraseEntity(
  deps: ServiceDeps,
  actor: Actor,
  raw: EraseEntityInput,
): Promise<ErasedCounts> {
  const input = parseInput(inputSchema, raw);
  assertMayErase(deps, actor.principal, input.entity);
  const dropTexts = (texts: string[]) => deps.embeddings?.forget(texts);
  const { entityId, sessionIds, counts, entry } = await inTransaction(
    deps,
    async (tx) => {
      const erased = await eraseRows(tx, input.entity, dropTexts);
      // The mirror's pending rows of the entity went with eraseRows; Neo4j is told to drop it all.
      if (deps.graphMirror) await recordEntityErased(tx, erased.entityId, input.entity);
      // The log keeps that an erase happened and what was done before, never what was erased:
      // the entity's external id (which may itself be personal, an email) becomes a pseudonym.
      const pseudonym = erasedPseudonym(input.entity);
      await tx.auditEntry.updateMany({
        where: { entityExternalId: input.entity },
        data: { entityExternalId: pseudonym },
      });
      await tx.auditEntry.updateMany({
        where: { actorKind: 'ENTITY', actor: input.entity },
        data: { actor: pseudonym },
      });
      const audited =
        actor.principal.kind === 'entity'
          ? { ...actor, principal: { ...actor.principal, entityExternalId: pseudonym } }
          : actor;
      const entry = await recordAudit(tx, audited, { action: 'eraseEntity', entity: pseudonym, target: [] });
      return { ...erased, entry };
    },
    { timeoutMs: ERASE_TIMEOUT_MS },
  );
  publishAudit(deps, entry);
  // Events about the entity still queued to subscribers are not delivered any more.
  deps.events.erased(input.entity, sessionIds);
  // The erase is committed; what follows removes copies, and each retries on its own if it fails.
  await deps.index?.eraseEntity(entityId).catch(() => {});
  await checkpointSqlite(deps.db).catch(() => false);
  return counts;
}

/**
 * What the audit log calls an erased entity: `erased:` and the first 16 hex digits of the sha256
 * of its external id. Whoever knows the id can still find its history; the log alone does not
 * tell whose it was.
 */
export function erasedPseudonym(externalId: string): string {
  return `erased:${createHash('sha256').update(externalId).digest('hex').slice(0, 16)}`;
}

/** Deletes the entity's rows; `dropTexts` is given their texts (in batches) before they go. */
async function eraseRows(
  tx: Tx,
  externalId: string,
  dropTexts: (texts: string[]) => void,
): Promise<{ entityId: number; sessionIds: number[]; counts: ErasedCounts }> {
  const entity = await tx.entity.findUnique({ where: { externalId }, select: { id: true } });
  if (!entity) throw new NotFoundError('Entity', externalId);
  const entityId = entity.id;
  const ofEntity = { session: { entityId } };

  // Jobs first, then the entity's row: the order in which a running job's write takes its locks
  // (its job row, then the entity's through a foreign key), so the two queue instead of
  // deadlocking. A job deleted here finds its row gone when it tries to complete and writes nothing.
  const jobs = await tx.augmentationJob.deleteMany({
    where: { OR: [{ entityId }, { conversation: ofEntity }] },
  });
  await lockEntity(tx, entityId);

  await collectTexts(tx, entityId, dropTexts);
  const vectors = await tx.entityFact.count({ where: { entityId, embedding: { not: null } } });
  const names = await namesUsedBy(tx, entityId);

  // Provenance and history first: they point at the facts, triples and messages deleted next.
  await tx.factMention.deleteMany({ where: { fact: { entityId } } });
  await tx.factMention.deleteMany({ where: { conversation: ofEntity } });
  await tx.tripleMention.deleteMany({ where: { triple: { entityId } } });
  await tx.tripleInterval.deleteMany({ where: { triple: { entityId } } });
  await tx.idempotentCall.deleteMany({ where: { entityId } });
  const facts = await tx.entityFact.deleteMany({ where: { entityId } });
  const triples = await tx.triple.deleteMany({ where: { entityId } });
  await tx.graphDegree.deleteMany({ where: { entityId } });
  const messages = await tx.conversationMessage.deleteMany({ where: { conversation: ofEntity } });
  const conversations = await tx.conversation.deleteMany({ where: ofEntity });
  const sessionIds = (await tx.session.findMany({ where: { entityId }, select: { id: true } })).map(
    (session) => session.id,
  );
  const sessions = await tx.session.deleteMany({ where: { entityId } });
  await tx.tombstone.deleteMany({ where: { entityId } });
  await deleteUnusedNames(tx, names);
  // The index's change rows of the entity go; one "resynchronize the whole entity" row replaces
  // them, which every process's index applies (dropping the entity) and then purges its snapshots.
  await tx.vectorChange.deleteMany({ where: { entityId } });
  await recordVectorChange(tx, entityId, null);
  await tx.graphChange.deleteMany({ where: { entityId } });
  await tx.entity.delete({ where: { id: entityId } });
  return {
    entityId,
    sessionIds,
    counts: {
      messages: messages.count,
      conversations: conversations.count,
      sessions: sessions.count,
      facts: facts.count,
      triples: triples.count,
      vectors,
      jobs: jobs.count,
    },
  };
}

/** Providers whose concurrent writers need row locks (SQLite runs one writer at a time). */
const LOCKING_PROVIDERS = new Set(['postgresql', 'cockroachdb', 'mysql']);

/**
 * Locks the entity's row, so writers for it (whose inserts check it through foreign keys) wait
 * for the erase and then find it gone (and retry, creating it anew), instead of adding rows
 * between the deletes.
 */
async function lockEntity(tx: Tx, entityId: number): Promise<void> {
  if (!LOCKING_PROVIDERS.has(clientProvider(tx) ?? '')) return;
  await tx.$queryRaw`SELECT id FROM ${tableSql('Entity')} WHERE id = ${entityId} FOR UPDATE`;
}

/** Hands `drop` the content of every row `load` pages through (by id, TEXT_BATCH at a time). */
async function inPages(
  drop: (texts: string[]) => void,
  load: (afterId: number) => Promise<{ id: number; content: string }[]>,
): Promise<void> {
  for (let after = 0; ; ) {
    const rows = await load(after);
    if (rows.length === 0) return;
    drop(rows.map((row) => row.content));
    after = (rows.at(-1) as { id: number }).id;
  }
}

/**
 * Hands every text of the entity (facts, messages, summaries) to `drop`, a batch at a time, so
 * the embedding cache can forget them. Before the deletes: after them the texts are gone.
 */
async function collectTexts(tx: Tx, entityId: number, drop: (texts: string[]) => void): Promise<void> {
  const page = { orderBy: { id: 'asc' as const }, take: TEXT_BATCH, select: { id: true, content: true } };
  await inPages(drop, (after) => tx.entityFact.findMany({ ...page, where: { entityId, id: { gt: after } } }));
  await inPages(drop, (after) =>
    tx.conversationMessage.findMany({
      ...page,
      where: { conversation: { session: { entityId } }, id: { gt: after } },
    }),
  );
  const summaries = await tx.conversation.findMany({
    where: { session: { entityId }, summary: { not: null } },
    select: { summary: true },
  });
  drop(summaries.flatMap((row) => (row.summary ? [row.summary] : [])));
}

/** The ids of the names the entity's triples use. */
interface NameIds {
  subjects: number[];
  predicates: number[];
  objects: number[];
}

async function namesUsedBy(tx: Tx, entityId: number): Promise<NameIds> {
  const rows = await tx.triple.findMany({
    where: { entityId },
    select: { subjectId: true, predicateId: true, objectId: true },
  });
  return {
    subjects: [...new Set(rows.map((row) => row.subjectId))],
    predicates: [...new Set(rows.map((row) => row.predicateId))],
    objects: [...new Set(rows.map((row) => row.objectId))],
  };
}

/**
 * Deletes the names (once the entity's triples are gone) that no other triple uses: a name the
 * erased entity alone used is about it. A name another entity's triple uses stays. Predicates
 * go the same way: they are upserted on use, so the shared vocabulary comes back when used.
 */
async function deleteUnusedNames(tx: Tx, names: NameIds): Promise<void> {
  for (let i = 0; i < names.subjects.length; i += NAME_BATCH) {
    const ids = names.subjects.slice(i, i + NAME_BATCH);
    await tx.tripleSubject.deleteMany({ where: { id: { in: ids }, triples: { none: {} } } });
  }
  for (let i = 0; i < names.predicates.length; i += NAME_BATCH) {
    const ids = names.predicates.slice(i, i + NAME_BATCH);
    await tx.triplePredicate.deleteMany({ where: { id: { in: ids }, triples: { none: {} } } });
  }
  for (let i = 0; i < names.objects.length; i += NAME_BATCH) {
    const ids = names.objects.slice(i, i + NAME_BATCH);
    await tx.tripleObject.deleteMany({ where: { id: { in: ids }, triples: { none: {} } } });
  }
}
