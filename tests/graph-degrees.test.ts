import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTriplesCheckedDocument,
  EraseEntityDocument,
  ForgetTripleDocument,
} from '../client-codegen/generated/graphql.ts';
import { Prisma } from '../src/db/generated/client.ts';
import { tableSql } from '../src/db/tables.ts';
import { storedDegrees } from '../src/graph/degrees.ts';
import type { Actor } from '../src/services/audit.ts';
import { exportEntity } from '../src/services/entity-export.ts';
import { importEntity } from '../src/services/entity-import.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { random } from './helpers/graph-reference.ts';
import { uniqueId } from './helpers/seed.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const ADMIN: Actor = { principal: { kind: 'key', role: 'admin', name: 'test' }, address: null };

/** Each name's degree and out-degree counted from the entity's current triples, as stored ones are. */
async function countedDegrees(server: TestServer, entity: string): Promise<Map<string, [number, number]>> {
  const rows = await server.db.$queryRaw<
    { name: string; side: string }[]
  >`SELECT s.name AS name, 'out' AS side
      FROM ${tableSql('Triple')} kg JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
      JOIN ${tableSql('Entity')} e ON e.id = kg.entity_id
      WHERE e.external_id = ${entity} AND kg.valid_to IS NULL
    UNION ALL
    SELECT o.name AS name, 'in' AS side
      FROM ${tableSql('Triple')} kg JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id
      JOIN ${tableSql('Entity')} e ON e.id = kg.entity_id
      WHERE e.external_id = ${entity} AND kg.valid_to IS NULL`;
  const degrees = new Map<string, [number, number]>();
  for (const row of rows) {
    const [degree, out] = degrees.get(row.name) ?? [0, 0];
    degrees.set(row.name, [degree + 1, out + (row.side === 'out' ? 1 : 0)]);
  }
  return degrees;
}

async function entityId(server: TestServer, entity: string): Promise<number> {
  const row = await server.db.entity.findUniqueOrThrow({ where: { externalId: entity } });
  return row.id;
}

const sorted = (degrees: Map<string, [number, number]>) => [...degrees].sort(([a], [b]) => (a < b ? -1 : 1));

/**
 * The stored degrees (src/graph/degrees.ts) are what the graph's current reads use instead of
 * counting; every write of a triple keeps them. A random run of writes, supersessions, reopened
 * triples, forgets, an erase and an import must leave them equal to a count of the triples.
 */
describe(`stored graph degrees (${TEST_DATABASE})`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('match a count of the current triples after every kind of write', async () => {
    const entity = uniqueId('degrees');
    const next = random(99);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
    const names = ['Ana', 'Maria', 'Porto', 'Madrid', 'Lisbon', 'Acme', 'Bob', 'ana'];
    // lives_in and works_at are functional: a new value supersedes the current one, an old value said
    // again holds again.
    const predicates = ['lives_in', 'works_at', 'likes', 'knows'];
    const ids: string[] = [];
    for (let round = 0; round < 12; round += 1) {
      const triples = Array.from({ length: 1 + Math.floor(next() * 6) }, () => ({
        subject: pick(names),
        predicate: pick(predicates),
        // A self-loop now and then: it counts once as subject and once as object.
        object: next() < 0.1 ? 'Ana' : pick(names),
      }));
      const data = await server.gql(AddTriplesCheckedDocument, { input: { entity, triples } });
      if (data.addTriples.__typename !== 'AddTriplesSuccess') throw new Error(data.addTriples.__typename);
      ids.push(...data.addTriples.triples.map((triple) => triple.id));
      if (round % 3 === 2) {
        const forgotten = ids.splice(Math.floor(next() * ids.length), 1)[0] as string;
        const answer = await server.gql(ForgetTripleDocument, { id: forgotten });
        expect(['ForgetSuccess', 'NotFoundError']).toContain(answer.forgetTriple.__typename);
      }
      const id = await entityId(server, entity);
      expect(sorted(await storedDegrees(server.db, id))).toEqual(
        sorted(await countedDegrees(server, entity)),
      );
      // A name with no current triple keeps no row (a forgotten triple's names leave nothing behind).
      expect(await server.db.graphDegree.count({ where: { entityId: id, degree: { lte: 0 } } })).toBe(0);
    }
    const counted = await countedDegrees(server, entity);
    // Superseded triples exist, so the current graph is smaller than everything written.
    const [row] = await server.db.$queryRaw<{ n: number | bigint }[]>(
      Prisma.sql`SELECT COUNT(*) AS n FROM ${tableSql('Triple')} kg JOIN ${tableSql('Entity')} e
        ON e.id = kg.entity_id WHERE e.external_id = ${entity} AND kg.valid_to IS NOT NULL`,
    );
    expect(Number(row?.n)).toBeGreaterThan(0);

    // Export, erase (the degrees go with the triples), import: counted again from the triples.
    const document = await exportEntity(server.db, entity);
    const erased = await server.gql(EraseEntityDocument, { input: { entity } });
    expect(erased.eraseEntity.__typename).toBe('EraseEntitySuccess');
    expect(await server.db.graphDegree.count({ where: { name: { in: names } } })).toBe(0);
    await importEntity(server.engram.services, ADMIN, document);
    expect(sorted(await storedDegrees(server.db, await entityId(server, entity)))).toEqual(sorted(counted));
  });
});
