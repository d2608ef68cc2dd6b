import DataLoader from 'dataloader';
import type { Db } from '../db/client.ts';
import { sessionWhere } from './sessions.ts';

/**
 * Whether rows belong to one entity: what the schema's authorization declarations
 * (src/schema/authorization.ts) ask of an entity token, for every object it resolves. Each
 * question is batched per request (one statement per kind of row, however many objects a
 * response holds) and cached for the request. Rows that do not exist belong to no one.
 */
export interface Ownership {
  /** The entity row of the caller's external id; null when it has no memory yet. */
  entityId(): Promise<number | null>;
  entity(id: number): Promise<boolean>;
  conversation(id: number): Promise<boolean>;
  /** A session by global id or uuid (as `session(id:)` and `messageAdded` take it). */
  session(ref: string): Promise<boolean>;
  fact(id: number): Promise<boolean>;
  triple(id: number): Promise<boolean>;
  /** Names and processes are shared: the entity may see the ones its own triples and sessions use. */
  subject(id: number): Promise<boolean>;
  predicate(id: number): Promise<boolean>;
  object(id: number): Promise<boolean>;
  process(id: number): Promise<boolean>;
}

type Loader = DataLoader<number, boolean>;

export function createOwnership(reader: Db, entityExternalId: string): Ownership {
  let own: Promise<number | null> | null = null;
  const entityId = () => {
    own ??= reader.entity
      .findUnique({ where: { externalId: entityExternalId }, select: { id: true } })
      .then((row) => row?.id ?? null);
    return own;
  };
  /** A loader answering, for many ids at once, which of them `owned` finds. */
  const loader = (owned: (entity: number, ids: number[]) => Promise<Iterable<number>>): Loader =>
    new DataLoader(async (ids) => {
      const entity = await entityId();
      if (entity === null) return ids.map(() => false);
      const found = new Set(await owned(entity, [...ids]));
      return ids.map((id) => found.has(id));
    });
  const ids = <T>(rows: T[], pick: (row: T) => number) => rows.map(pick);

  const conversations = loader(async (entity, list) =>
    ids(
      await reader.conversation.findMany({
        where: { id: { in: list }, session: { entityId: entity } },
        select: { id: true },
      }),
      (row) => row.id,
    ),
  );
  const facts = loader(async (entity, list) =>
    ids(
      await reader.entityFact.findMany({
        where: { id: { in: list }, entityId: entity },
        select: { id: true },
      }),
      (row) => row.id,
    ),
  );
  const triples = loader(async (entity, list) =>
    ids(
      await reader.triple.findMany({ where: { id: { in: list }, entityId: entity }, select: { id: true } }),
      (row) => row.id,
    ),
  );
  const used = (column: 'subjectId' | 'predicateId' | 'objectId') =>
    loader(async (entity, list) =>
      ids(
        await reader.triple.findMany({
          where: { entityId: entity, [column]: { in: list } },
          select: { [column]: true },
          distinct: [column],
        }),
        (row) => (row as unknown as Record<typeof column, number>)[column],
      ),
    );
  const subjects = used('subjectId');
  const predicates = used('predicateId');
  const objects = used('objectId');
  const processes = loader(async (entity, list) =>
    ids(
      await reader.session.findMany({
        where: { entityId: entity, processId: { in: list } },
        select: { processId: true },
        distinct: ['processId'],
      }),
      (row) => row.processId,
    ),
  );

  return {
    entityId,
    entity: async (id) => id === (await entityId()),
    conversation: (id) => conversations.load(id),
    async session(ref) {
      const where = sessionWhere(ref);
      const row = await reader.session.findUnique({ where, select: { entityId: true } });
      return row !== null && row.entityId === (await entityId());
    },
    fact: (id) => facts.load(id),
    triple: (id) => triples.load(id),
    subject: (id) => subjects.load(id),
    predicate: (id) => predicates.load(id),
    object: (id) => objects.load(id),
    process: (id) => processes.load(id),
  };
}
