import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE } from './helpers/database.ts';
import { generateDocuments } from './helpers/leak-documents.ts';
import type { LeakWorld } from './helpers/leak-run.ts';

/**
 * The leak test fails by itself when a field is added without a guard: this file registers a
 * deliberately unguarded `Query.leakCanary` (every fact of every entity) on the schema builder
 * before the schema is built, and the same generator and oracle as tests/entity-isolation.test.ts
 * must report it. vitest gives each test file its own modules, so the field exists only here
 * (entity-isolation.test.ts checks its schema has none). One database is enough for this.
 */
describe.runIf(TEST_DATABASE === 'sqlite')('an unguarded field fails the entity-isolation leak test', () => {
  let world: LeakWorld;
  let leakRun: typeof import('./helpers/leak-run.ts');

  beforeAll(async () => {
    // The builder first, then the server: importing the app builds the schema, with the canary in it.
    const { builder } = await import('../src/schema/builder.ts');
    builder.queryField('leakCanary', (t) =>
      t.stringList({
        description: 'Every fact of every entity, with no guard (a test canary).',
        resolve: (_root, _args, ctx) =>
          ctx.reader.entityFact
            .findMany()
            .then((facts: { content: string }[]) => facts.map((fact) => fact.content)),
      }),
    );
    leakRun = await import('./helpers/leak-run.ts');
    world = await leakRun.startLeakWorld();
  }, 240_000);
  afterAll(() => world?.server.close());

  it('reports a leak on Query.leakCanary', async () => {
    expect(world.schema.getQueryType()?.getFields()).toHaveProperty('leakCanary');
    const generated = generateDocuments(world.schema, world.fixtures, world.limits);
    expect(generated.problems).toEqual([]);
    expect(generated.reachable).toContain('Query.leakCanary');
    const run = await leakRun.runQueries(world, generated.documents, world.ownToken);
    expect(run.covered).toContain('Query.leakCanary');
    const canary = run.leaks.filter((leak) => leak.startsWith('Query.leakCanary via '));
    expect(canary, run.leaks.slice(0, 20).join('\n')).toHaveLength(1);
    expect(canary[0]).toContain(world.victim.contentMarker);
  }, 600_000);
});
