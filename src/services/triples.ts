import { z } from 'zod';
import { assertEntityAccess } from '../auth/principal.ts';
import { clientProvider } from '../db/client.ts';
import type { Triple } from '../db/generated/client.ts';
import { tableSql } from '../db/tables.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ChangeKind } from '../events/pubsub.ts';
import { adjustDegrees, type DegreeChange } from '../graph/degrees.ts';
import { type Actor, type AuditRecord, auditedTransaction } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { globalId } from './global-id.ts';
import { recordTripleChanges } from './graph-changes.ts';
import { isFunctionalPredicate, normalizePredicate } from './predicates.ts';
import { clearTombstones, recordTombstone, tripleContentHash } from './tombstones.ts';
import { resolveSourceMessage, type Tx, upsertEntity } from './transactions.ts';
import { externalIdSchema, graphNameSchema, labelSchema, memoSchema, parseInput } from './validation.ts';

export interface TripleInput {
  subject: string;
  predicate: string;
  object: string;
  subjectType?: string | null;
  objectType?: string | null;
}

export interface AddTriplesInput {
  entity: string;
  triples: TripleInput[];
  /** Database id of the message the triples came from (provenance). */
  sourceMessageId?: number | null;
}

export interface TripleChange {
  kind: ChangeKind;
  triple: Triple;
  /** External id of the entity the triple belongs to. */
  entity: string;
}

/**
 * Predicates are identifiers: "Lives In", "live-in" and "lives_in" are one predicate, and known
 * aliases ("resides_in") map to the shared vocabulary, whoever writes the triple (a client or an
 * extractor), so supersession sees one predicate.
 */
export { normalizePredicate };

const typeSchema = labelSchema(64);

function inputSchema(deps: ServiceDeps) {
  const max = deps.limits.maxItemsPerCall;
  return z.object({
    entity: externalIdSchema,
    sourceMessageId: z.number().int().positive().nullish(),
    triples: z
      .array(
        z.object({
          subject: graphNameSchema,
          predicate: graphNameSchema.transform(normalizePredicate),
          object: graphNameSchema,
          subjectType: typeSchema,
          objectType: typeSchema,
        }),
      )
      .min(1, 'must contain at least one triple')
      .max(max, `must contain at most ${max} triples`),
  });
}

/**
 * Adds subject–predicate–object statements about an entity. Names are shared across entities and
 * deduplicated; a triple said again counts one more mention. A triple the entity had forgotten is
 * remembered again: the caller's explicit word clears its tombstone (augmentation's does not).
 */
export async function addTriples(
  deps: ServiceDeps,
  actor: Actor,
  raw: AddTriplesInput,
): Promise<TripleChange[]> {
  const input = parseInput(
    memoSchema(`triples:${deps.limits.maxItemsPerCall}`, () => inputSchema(deps)),
    raw,
  );
  assertEntityAccess(actor.principal, input.entity);

  const seen = new Map<string, number>();
  const duplicates = input.triples.flatMap((triple, index) => {
    const key = JSON.stringify([triple.subject, triple.predicate, triple.object]);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, index);
      return [];
    }
    return [{ path: `triples.${index}`, message: `repeats triples.${first}` }];
  });
  if (duplicates.length > 0) {
    throw new ValidationError(
      'the same triple appears more than once in one call',
      duplicates,
      'DUPLICATE_INPUT',
    );
  }

  // The triples stored, and those they superseded.
  const audit = (stored: TripleChange[]): AuditRecord => ({
    action: 'addTriples',
    entity: input.entity,
    target: stored.map((change) => globalId('Triple', change.triple.id)),
  });
  const triples = maskTripleNames(deps, input.entity, input.triples);
  const changes = await auditedTransaction(deps, actor, audit, async (tx) => {
    const entity = await upsertEntity(tx, input.entity);
    const source = await resolveSourceMessage(tx, input.sourceMessageId, entity.id);
    await clearTombstones(tx, entity.id, 'triple', triples.map(tripleContentHash));
    return storeTriples(
      tx,
      { id: entity.id, externalId: input.entity },
      triples,
      source?.messageId ?? null,
      undefined,
      undefined,
      deps.graphMirror,
    );
  });

  for (const change of changes) deps.events.publish('triple-changed', input.entity, change);
  return changes;
}

/**
 * Triples with personal data masked out of their subject and object names (PII_REDACTION=storage).
 * A name that is the entity's own external id stays: the entity table holds it anyway, and the
 * entity's first-person triples hang from it.
 */
export function maskTripleNames<T extends TripleInput>(deps: ServiceDeps, entity: string, triples: T[]): T[] {
  const mask = deps.storageMask;
  if (!mask) return triples;
  const name = (value: string) => (value === entity ? value : mask(value));
  return triples.map((triple) => ({ ...triple, subject: name(triple.subject), object: name(triple.object) }));
}

/** Providers whose concurrent writers need row locks here (SQLite runs one writer at a time). */
const LOCKING_PROVIDERS = new Set(['postgresql', 'cockroachdb', 'mysql']);

/**
 * Locks the entity's row for the rest of the transaction where writers run concurrently
 * (SQLite runs one writer at a time): writers of one entity's triples then take turns.
 */
async function lockEntityRow(tx: Tx, entityId: number): Promise<void> {
  const provider = clientProvider(tx) ?? '';
  if (!LOCKING_PROVIDERS.has(provider)) return;
  // PostgreSQL: FOR NO KEY UPDATE, which writers of the entity's other rows (their foreign keys
  // take FOR KEY SHARE on it) do not wait for, and which does not wait for them: a worker that
  // wrote facts first, then takes this, would otherwise deadlock with another doing the same.
  if (provider === 'postgresql')
    await tx.$queryRaw`SELECT id FROM ${tableSql('Entity')} WHERE id = ${entityId} FOR NO KEY UPDATE`;
  else await tx.$queryRaw`SELECT id FROM ${tableSql('Entity')} WHERE id = ${entityId} FOR UPDATE`;
}

/**
 * The entity's other current values of a functional (subject, predicate). Where writers run
 * concurrently, the entity's row is locked before (see upsertTripleNames), so two writers of
 * different values for the same entity take turns and the second sees (and closes) the first's
 * value; the rows are read with a locking read, which sees the latest committed rows even in a
 * REPEATABLE READ snapshot (MySQL).
 */
async function currentValues(
  tx: Tx,
  entityId: number,
  subjectId: number,
  predicateId: number,
  objectId: number,
): Promise<{ id: number; validFrom: Date; objectId: number }[]> {
  if (LOCKING_PROVIDERS.has(clientProvider(tx) ?? '')) {
    // The entity's row is locked already (upsertTripleNames, before any of these triples' rows).
    const rows = await tx.$queryRaw<{ id: number | bigint; valid_from: Date; object_id: number | bigint }[]>`
      SELECT id, valid_from, object_id FROM ${tableSql('Triple')}
      WHERE entity_id = ${entityId} AND subject_id = ${subjectId} AND predicate_id = ${predicateId}
        AND object_id <> ${objectId} AND valid_to IS NULL
      FOR UPDATE`;
    return rows.map((row) => ({
      id: Number(row.id),
      validFrom: new Date(row.valid_from),
      objectId: Number(row.object_id),
    }));
  }
  return tx.triple.findMany({
    where: { entityId, subjectId, predicateId, objectId: { not: objectId }, validTo: null },
    select: { id: true, validFrom: true, objectId: true },
  });
}

/** The name of an object row (a plain read: the row is shared and never changes its name). */
async function objectName(tx: Tx, id: number): Promise<string> {
  const row = await tx.tripleObject.findUniqueOrThrow({ where: { id }, select: { name: true } });
  return row.name;
}

/** The ids of shared names, by name. */
export interface TripleNameIds {
  subjects: Map<string, { id: number }>;
  predicates: Map<string, { id: number }>;
  objects: Map<string, { id: number }>;
}

/**
 * Locks the entity's row, then upserts the shared names of these triples (a given type is kept),
 * each kind in name order. Every writer of an entity's triples takes the locks in this one order
 * (the entity first, then the names), so two transactions writing triples of one entity, or
 * sharing names, wait for each other instead of deadlocking (which, retried, could deadlock again
 * and again: seen on PostgreSQL between a caller's addTriples and augmentation, when the entity
 * was locked only for a functional predicate, after other triples' and degrees' rows).
 * A writer that stores triples one call at a time upserts all of them first.
 */
export async function upsertTripleNames(
  tx: Tx,
  entityId: number,
  items: readonly Pick<TripleInput, 'subject' | 'subjectType' | 'predicate' | 'object' | 'objectType'>[],
): Promise<TripleNameIds> {
  if (items.length > 0) await lockEntityRow(tx, entityId);
  const typed = (pairs: [string, string | null | undefined][]) => {
    const types = new Map<string, string | null>();
    for (const [name, type] of pairs) if (!types.get(name)) types.set(name, type ?? null);
    return [...types.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  };
  const subjects = new Map<string, { id: number }>();
  for (const [name, type] of typed(items.map((item) => [item.subject, item.subjectType]))) {
    subjects.set(
      name,
      await tx.tripleSubject.upsert({
        where: { name },
        create: { name, type },
        update: type ? { type } : {},
      }),
    );
  }
  const predicates = new Map<string, { id: number }>();
  for (const [name] of typed(items.map((item) => [item.predicate, null]))) {
    predicates.set(name, await tx.triplePredicate.upsert({ where: { name }, create: { name }, update: {} }));
  }
  const objects = new Map<string, { id: number }>();
  for (const [name, type] of typed(items.map((item) => [item.object, item.objectType]))) {
    objects.set(
      name,
      await tx.tripleObject.upsert({ where: { name }, create: { name, type }, update: type ? { type } : {} }),
    );
  }
  return { subjects, predicates, objects };
}

/**
 * Writes triples inside the caller's transaction: shared names upserted, a repeated triple
 * counted, provenance recorded. A triple whose predicate is functional (lives_in: one current
 * value) closes the validity of the entity's other open triples with the same subject and
 * predicate (SUPERSEDED), and a closed triple said again holds again from now (its earlier
 * period is kept as a TripleInterval).
 */
export async function storeTriples(
  tx: Tx,
  entity: { id: number; externalId: string },
  items: TripleInput[],
  sourceMessageId: number | null,
  now = new Date(),
  /** The names' ids when the caller upserted them already (upsertTripleNames). */
  upserted?: TripleNameIds,
  /** Add the triples touched to the Neo4j mirror's outbox (ServiceDeps.graphMirror). */
  mirror = false,
): Promise<TripleChange[]> {
  const result: TripleChange[] = [];
  /** The triples that started or stopped holding, for the graph's stored degrees. */
  const degrees: DegreeChange[] = [];
  const names = upserted ?? (await upsertTripleNames(tx, entity.id, items));
  for (const item of items) {
    const subject = names.subjects.get(item.subject) as { id: number };
    const predicate = names.predicates.get(item.predicate) as { id: number };
    const object = names.objects.get(item.object) as { id: number };
    const key = {
      entityId: entity.id,
      subjectId: subject.id,
      predicateId: predicate.id,
      objectId: object.id,
    };
    if (isFunctionalPredicate(item.predicate)) {
      const current = await currentValues(tx, entity.id, subject.id, predicate.id, object.id);
      for (const old of current) {
        // A writer with an older clock never ends a period before it began.
        const validTo = old.validFrom > now ? old.validFrom : now;
        const closed = await tx.triple.update({ where: { id: old.id }, data: { validTo } });
        degrees.push({ subject: item.subject, object: await objectName(tx, old.objectId), delta: -1 });
        result.push({ kind: 'SUPERSEDED', triple: closed, entity: entity.externalId });
      }
    }
    let triple = await tx.triple.upsert({
      where: { entityId_subjectId_predicateId_objectId: key },
      create: { ...key, lastMentionedAt: now, validFrom: now, createdAt: now },
      update: { mentionCount: { increment: 1 }, lastMentionedAt: now },
    });
    // New (counted once) or holding again: either way it holds from now.
    if (triple.mentionCount === 1 || triple.validTo !== null)
      degrees.push({ subject: item.subject, object: item.object, delta: 1 });
    if (triple.validTo !== null) {
      // It holds again from now (never before its last period ended); that period stays in its
      // history for `asOf`, unless it was empty (closed by another item of the same call).
      const ended = triple.validTo;
      const validFrom = ended > now ? ended : now;
      triple = await tx.triple.update({
        where: { id: triple.id },
        data: {
          validFrom,
          validTo: null,
          ...(triple.validFrom < ended
            ? { intervals: { create: { validFrom: triple.validFrom, validTo: ended } } }
            : {}),
        },
      });
    }
    if (sourceMessageId)
      await tx.tripleMention.create({ data: { tripleId: triple.id, messageId: sourceMessageId } });
    result.push({
      kind: triple.mentionCount === 1 ? 'CREATED' : 'MENTIONED',
      triple,
      entity: entity.externalId,
    });
  }
  await adjustDegrees(tx, entity.id, degrees);
  if (mirror)
    await recordTripleChanges(
      tx,
      entity.id,
      result.map((change) => change.triple.id),
    );
  return result;
}

/**
 * Deletes one triple of an entity (the shared names stay), and keeps a tombstone of it (a hash)
 * so that augmentation re-run over the messages it came from does not add it again.
 */

export async function forgetTriple(deps: ServiceDeps, actor: Actor, tripleId: number): Promise<TripleChange> {
  const audit = (done: { entityExternalId: string }): AuditRecord => ({
    action: 'forgetTriple',
    entity: done.entityExternalId,
    target: [globalId('Triple', tripleId)],
  });
  const forgotten = await auditedTransaction(deps, actor, audit, async (tx) => {
    const found = await tx.triple.findUnique({
      where: { id: tripleId },
      include: {
        entity: { select: { externalId: true } },
        subject: { select: { name: true } },
        predicate: { select: { name: true } },
        object: { select: { name: true } },
      },
    });
    if (!found) throw new NotFoundError('Triple', String(tripleId));
    assertEntityAccess(actor.principal, found.entity.externalId);
    // As forgetFact: the loser of a concurrent forget gets NOT_FOUND, not Prisma's P2025.
    const { count } = await tx.triple.deleteMany({ where: { id: tripleId } });
    if (count === 0) throw new NotFoundError('Triple', String(tripleId));
    if (found.validTo === null)
      await adjustDegrees(tx, found.entityId, [
        { subject: found.subject.name, object: found.object.name, delta: -1 },
      ]);
    const hash = tripleContentHash({
      subject: found.subject.name,
      predicate: found.predicate.name,
      object: found.object.name,
    });
    await recordTombstone(tx, found.entityId, 'triple', hash);
    if (deps.graphMirror) await recordTripleChanges(tx, found.entityId, [tripleId]);
    const { entity, subject: _subject, predicate: _predicate, object: _object, ...triple } = found;
    return { triple, entityExternalId: entity.externalId };
  });
  const change: TripleChange = {
    kind: 'FORGOTTEN',
    triple: forgotten.triple,
    entity: forgotten.entityExternalId,
  };
  deps.events.publish('triple-changed', forgotten.entityExternalId, change);
  return change;
}
