import { type ExecutionResult, isEnumType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE } from './helpers/database.ts';
import { generateDocuments } from './helpers/leak-documents.ts';
import { generateMutations, generateSubscriptions, type LeakOperation } from './helpers/leak-operations.ts';
import { findLeaks } from './helpers/leak-oracle.ts';
import {
  type LeakWorld,
  runMutations,
  runQueries,
  runSubscriptions,
  startLeakWorld,
  summarizeLeaks,
} from './helpers/leak-run.ts';
import { ADD_TRIPLES, ADMIN_KEY, FORGET_FACT, FORGET_TRIPLE, RECORD, REMEMBER } from './helpers/leak-seed.ts';

/**
 * Entity isolation, tested by generation (issue 13): with entity A's token, every field reachable
 * from Query (through every relation, connection, union and `node`/`nodes`), every Subscription
 * and every Mutation is run against entity B's data, and no answer, event or write may carry
 * anything of B's. The documents come from the served schema, so a field added later is covered
 * without editing this file (tests/entity-isolation-canary.test.ts shows an unguarded one failing
 * it).
 */

/** The events each subscription must have delivered to the admin before A's are looked at. */
const EXPECTED_EVENTS: Record<string, { kinds?: string[] }> = {
  // Administrators only: B's writes are logged, and A hears none of it.
  auditLogged: {},
  augmentationCompleted: {},
  factChanged: { kinds: ['CREATED', 'MENTIONED', 'FORGOTTEN'] },
  messageAdded: {},
  tripleChanged: { kinds: ['CREATED', 'MENTIONED', 'SUPERSEDED', 'FORGOTTEN'] },
};

const fieldOf = (target: string) => target.slice(target.indexOf('.') + 1);

/** `kind` of each event's payload (fact and triple changes have one). */
function kindsOf(events: ExecutionResult[]): Set<string> {
  return new Set(
    events.flatMap((event) =>
      Object.values((event.data ?? {}) as Record<string, { kind?: string } | null>).flatMap((payload) =>
        payload?.kind ? [payload.kind] : [],
      ),
    ),
  );
}

function report(leaks: string[]): string {
  const shown = leaks.slice(0, 300);
  return [`${leaks.length} leaks; by field:`, ...summarizeLeaks(leaks), 'all (first 300):', ...shown].join(
    '\n',
  );
}

describe('entity isolation: an entity token reaches its own memory and nothing else', () => {
  let world: LeakWorld;
  const counts = { reachable: 0, covered: 0, documents: 0, skipped: 0, subscriptions: 0, mutations: 0 };

  beforeAll(async () => {
    world = await startLeakWorld();
  }, 240_000);
  afterAll(async () => {
    console.log(
      `entity isolation on ${TEST_DATABASE}: ${counts.covered} of ${counts.reachable} fields reachable from Query covered by ${counts.documents} documents (${counts.skipped} paths over the limits left to other roots), ${counts.subscriptions} subscriptions, ${counts.mutations} mutations`,
    );
    await world?.server.close();
  });

  it('seeded both entities through every mutation of the schema', () => {
    const mutations = Object.keys(world.schema.getMutationType()?.getFields() ?? {}).sort();
    expect([...world.admin.mutationsRun].sort()).toEqual(mutations);
    // The canary's field lives only in its own test file's modules.
    expect(world.schema.getQueryType()?.getFields()).not.toHaveProperty('leakCanary');
  });

  it('answers no query with anything of B’s', async () => {
    const generated = generateDocuments(world.schema, world.fixtures, world.limits);
    expect(generated.problems, 'fields the generator cannot reach or fill').toEqual([]);

    // The oracle sees B in what the admin reads: each of B's objects, loaded by its id.
    const roots = generated.documents.filter(
      (document) => document.path === '(root)' && document.target === 'Query.node',
    );
    expect(roots.length).toBeGreaterThan(0);
    const control = await runQueries(world, roots, ADMIN_KEY);
    expect(control.refused).toEqual([]);
    expect(control.leaking.size, 'each of B’s objects, read by the admin, shows B').toBe(roots.length);

    const run = await runQueries(world, generated.documents, world.ownToken);
    counts.reachable = generated.reachable.length;
    counts.covered = run.covered.size;
    counts.documents = run.ran;
    counts.skipped = generated.skipped.length;
    expect(run.refused, 'documents the server refused before running them').toEqual([]);
    expect([...run.covered].sort()).toEqual(generated.reachable);
    expect(run.leaks, report(run.leaks)).toEqual([]);
  }, 600_000);

  it('sends no subscriber with A’s token any of B’s events', async () => {
    const { subscriptions, problems } = generateSubscriptions(world.schema, world.fixtures);
    expect(problems).toEqual([]);
    const fields = Object.keys(world.schema.getSubscriptionType()?.getFields() ?? {}).sort();
    expect(Object.keys(EXPECTED_EVENTS).sort(), 'a trigger for every subscription').toEqual(fields);
    const changeKind = world.schema.getType('ChangeKind');
    const kinds = isEnumType(changeKind) ? changeKind.getValues().map((value) => value.name) : [];
    expect(
      [...new Set(Object.values(EXPECTED_EVENTS).flatMap((expected) => expected.kinds ?? []))].sort(),
      'every kind of change is triggered',
    ).toEqual(kinds.sort());

    const { admin, victim } = world;
    const entity = victim.externalId;
    const marker = victim.contentMarker;
    const trigger = async () => {
      await admin.mutate(
        RECORD,
        {
          input: {
            entity,
            process: victim.processExternalId,
            session: victim.aliases.Session?.[0],
            messages: [{ role: 'USER', content: `I moved to ${marker}bay.` }],
          },
        },
        'RecordConversationSuccess',
      );
      const fact = { input: { entity, content: `${marker} collects stamps` } };
      const remembered = await admin.mutate(REMEMBER, fact, 'RememberFactSuccess');
      await admin.mutate(REMEMBER, fact, 'RememberFactSuccess');
      await admin.mutate(FORGET_FACT, { id: (remembered.fact as { id: string }).id }, 'ForgetSuccess');
      const triple = {
        input: {
          entity,
          triples: [{ subject: `${marker} Person`, predicate: 'knows', object: `${marker} Stranger` }],
        },
      };
      const added = await admin.mutate(ADD_TRIPLES, triple, 'AddTriplesSuccess');
      await admin.mutate(ADD_TRIPLES, triple, 'AddTriplesSuccess');
      await admin.mutate(FORGET_TRIPLE, { id: (added.triples as { id: string }[])[0]?.id }, 'ForgetSuccess');
      await admin.mutate(
        ADD_TRIPLES,
        {
          input: { entity, triples: [{ subject: entity, predicate: 'lives_in', object: `${marker} Cove` }] },
        },
        'AddTriplesSuccess',
      );
    };
    const expected = (subscription: LeakOperation) => (events: ExecutionResult[]) => {
      const wanted = EXPECTED_EVENTS[fieldOf(subscription.target)]?.kinds ?? [];
      const seen = kindsOf(events);
      return events.length > 0 && wanted.every((kind) => seen.has(kind));
    };
    const run = await runSubscriptions(world, subscriptions, trigger, expected);
    counts.subscriptions = run.opened;
    expect(new Set(subscriptions.map((subscription) => subscription.target)).size).toBe(fields.length);
    // What the admin received is B's, as the oracle sees it: A would have been caught with it.
    for (const events of run.adminEvents) {
      expect(events.flatMap((event) => findLeaks(event, world.needles)).length).toBeGreaterThan(0);
    }
    expect(run.leaks, report(run.leaks)).toEqual([]);
  }, 120_000);

  it('lets no mutation with A’s token read, change or point at B’s memory', async () => {
    const { mutations, problems } = generateMutations(world.schema, world.fixtures);
    expect(problems).toEqual([]);
    const run = await runMutations(world, mutations);
    counts.mutations = run.ran;
    expect(run.refused, 'mutations the server refused before running them').toEqual([]);
    const fields = Object.keys(world.schema.getMutationType()?.getFields() ?? {}).sort();
    expect([...new Set(mutations.map((mutation) => fieldOf(mutation.target)))].sort()).toEqual(fields);
    expect(run.leaks, report(run.leaks)).toEqual([]);
  }, 300_000);
});
