import { createHash } from 'node:crypto';
import type { Db } from '../../src/db/client.ts';

/**
 * Dumps of one entity's memory, read straight from the database (nothing an authorization bug can
 * hide): the victim's, to prove a refused mutation changed none of it, and the caller's own, to
 * prove nothing it owns now points at the victim's. The caller's follows every reference one step
 * into the row it names (a mention's message, a triple's names, a session's process), so a
 * reference to the victim's row shows the victim's content or id there.
 */

/** JSON with dates as ISO strings and bytes as their length and hash, so dumps compare and print. */
export function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, item: unknown) => {
      if (
        item instanceof Uint8Array ||
        (item && typeof item === 'object' && (item as { type?: string }).type === 'Buffer')
      ) {
        const bytes = item instanceof Uint8Array ? item : Uint8Array.from((item as { data: number[] }).data);
        return `bytes:${bytes.length}:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
      }
      return typeof item === 'bigint' ? item.toString() : item;
    }),
  );
}

const byId = { orderBy: { id: 'asc' as const } };

/** Every row of the entity's memory, and of its own process and names. */
export async function dumpVictim(db: Db, externalId: string, processExternalId: string, markers: string[]) {
  const entity = await db.entity.findUnique({
    where: { externalId },
    include: {
      sessions: {
        ...byId,
        include: {
          conversations: {
            ...byId,
            include: {
              messages: { ...byId, include: { factMentions: byId, tripleMentions: byId } },
              jobs: byId,
              mentions: byId,
              calls: byId,
            },
          },
        },
      },
      facts: { ...byId, include: { mentions: byId } },
      triples: { ...byId, include: { intervals: byId, mentions: byId } },
      calls: byId,
    },
  });
  const vectorChanges = entity ? await db.vectorChange.count({ where: { entityId: entity.id } }) : 0;
  const process = await db.process.findUnique({
    where: { externalId: processExternalId },
    include: { attributes: byId },
  });
  const names = {
    subjects: await db.tripleSubject.findMany({
      ...byId,
      where: { OR: markers.map((marker) => ({ name: { contains: marker } })) },
    }),
    predicates: await db.triplePredicate.findMany({
      ...byId,
      where: { OR: markers.map((marker) => ({ name: { contains: marker.toLowerCase() } })) },
    }),
    objects: await db.tripleObject.findMany({
      ...byId,
      where: { OR: markers.map((marker) => ({ name: { contains: marker } })) },
    }),
  };
  return plain({ entity, vectorChanges, process, names });
}

const session = { include: { entity: true, process: true } };

/** The entity's memory with every row it references, one step into each. */
export async function dumpOwn(db: Db, externalId: string) {
  const conversation = { include: { session } };
  const message = { include: { conversation } };
  return plain(
    await db.entity.findUnique({
      where: { externalId },
      include: {
        sessions: {
          ...byId,
          include: {
            process: true,
            conversations: {
              ...byId,
              include: {
                messages: byId,
                jobs: byId,
                mentions: { ...byId, include: { fact: { include: { entity: true } }, message } },
                calls: { ...byId, include: { entity: true } },
              },
            },
          },
        },
        facts: { ...byId, include: { mentions: { ...byId, include: { message, conversation } } } },
        triples: {
          ...byId,
          include: {
            subject: true,
            predicate: true,
            object: true,
            intervals: byId,
            mentions: { ...byId, include: { message } },
          },
        },
        calls: { ...byId, include: { conversation } },
      },
    }),
  );
}

/** The first place two dumps differ, as a dotted path with both values; null when equal. */
export function firstDifference(before: unknown, after: unknown, at = ''): string | null {
  if (JSON.stringify(before) === JSON.stringify(after)) return null;
  if (before && after && typeof before === 'object' && typeof after === 'object') {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) {
      const found = firstDifference(
        (before as Record<string, unknown>)[key],
        (after as Record<string, unknown>)[key],
        `${at}.${key}`,
      );
      if (found) return found;
    }
  }
  return `${at || '.'}: ${JSON.stringify(before)?.slice(0, 200)} → ${JSON.stringify(after)?.slice(0, 200)}`;
}
