import { randomUUID } from 'node:crypto';
import {
  buildClientSchema,
  type ExecutionResult,
  type GraphQLSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  parse,
} from 'graphql';
import { estimateOperationCost, selectOperation } from '../../src/http/query-cost.ts';
import { schema as servedSchema } from '../../src/schema/index.ts';
import type { GeneratorLimits, LeakDocument, LeakFixtures, Party } from './leak-documents.ts';
import { dumpOwn, dumpVictim, firstDifference } from './leak-dump.ts';
import { graphqlOver, type LiveLog, liveLog, queryOverSocket } from './leak-live.ts';
import type { LeakOperation } from './leak-operations.ts';
import { describeLeak, type Finding, findInData, findLeaks, type VictimNeedles } from './leak-oracle.ts';
import {
  ADMIN_KEY,
  AdminCaller,
  ERASE,
  LEAK_SERVER_ENV,
  needlesOf,
  REMEMBER,
  type SeededParty,
  seedParty,
  tokenFor,
} from './leak-seed.ts';
import { startTestServer, type TestServer } from './server.ts';
import { wordHashEmbedder } from './vectors.ts';

/**
 * The phases of the entity-isolation leak test: a server with two seeded entities, A (the caller,
 * with an entity token) and B (the victim), and the runs of the generated queries, subscriptions
 * and mutations with A's token, each answer held to the oracle.
 */

export interface LeakWorld {
  server: TestServer;
  admin: AdminCaller;
  /** The schema as the server serves it (introspected with the admin key). */
  schema: GraphQLSchema;
  own: SeededParty;
  victim: SeededParty;
  ownToken: string;
  fixtures: LeakFixtures;
  needles: VictimNeedles;
  /** The server's limits, which every generated document keeps to. */
  limits: GeneratorLimits;
}

/** Words of the victim's facts (not its marker), so a search by text finds them. */
const SEARCH_TEXT = 'tea pottery bees kayak';

/** Starts a server, seeds A and B through every mutation, and issues A's token. */
export async function startLeakWorld(): Promise<LeakWorld> {
  const server = await startTestServer({ env: LEAK_SERVER_ENV, embedder: wordHashEmbedder() });
  const admin = new AdminCaller(server);
  const sharedProcess = `shared-bot-${randomUUID().slice(0, 8)}`;
  const own = await seedParty(server, admin, 'A', sharedProcess);
  const victim = await seedParty(server, admin, 'B', sharedProcess);
  // eraseEntity, seeded on a third entity of its own (erasing A or B would leave nothing to leak).
  const doomed = `leak-erased-${randomUUID().slice(0, 8)}`;
  await admin.mutate(REMEMBER, { input: { entity: doomed, content: 'To be erased' } }, 'RememberFactSuccess');
  await admin.mutate(ERASE, { input: { entity: doomed } }, 'EraseEntitySuccess');
  await tokenFor(admin, victim);
  const ownToken = await tokenFor(admin, own);
  const schema = await introspect(server);
  const fixtures: LeakFixtures = {
    victim,
    own,
    named: {
      'Query.recall.query': SEARCH_TEXT,
      'Query.semanticFacts.query': SEARCH_TEXT,
      // Without force a completed job is refused before anyone's rights are looked at.
      'Mutation.rerunAugmentation.force': true,
      // Names of the party's graph: its external id (the subject of its lives_in) and its town.
      'EntityGraph.node.name': (party: Party) => party.externalId,
      'EntityGraph.neighborhood.of': (party: Party) => party.externalId,
      'EntityGraph.path.from': (party: Party) => party.externalId,
      'EntityGraph.path.to': (party: Party) => `${(party as SeededParty).contentMarker}ville`,
      'EntityGraph.subgraph.seeds': (party: Party) => [
        party.externalId,
        `${(party as SeededParty).contentMarker} Person`,
      ],
      'EntityGraph.nodes.search': (party: Party) => (party as SeededParty).contentMarker,
    },
    references: { 'RememberFactInput.source': 'Message', 'AddTriplesInput.source': 'Message' },
  };
  return {
    server,
    admin,
    schema,
    own,
    victim,
    ownToken,
    fixtures,
    needles: needlesOf(victim),
    limits: limitsOf(server),
  };
}

/**
 * The generator's limits from the server's configuration, with its own cost estimate: made on the
 * executable schema, as the server makes it, since the sizes some lists declare in their fields'
 * extensions (the graph's neighbourhoods and paths) do not survive introspection.
 */
export function limitsOf(server: TestServer): GeneratorLimits {
  const { maxDepth, maxNodes, maxPageSize } = server.config.graphql;
  return {
    maxDepth,
    pathPageSize: 5,
    selectionDepth: 2,
    maxCost: maxNodes,
    cost: (query) => {
      const operation = selectOperation(parse(query));
      return operation
        ? estimateOperationCost(servedSchema, operation, new Map(), {}, { maxNodes, maxPageSize })
        : 0;
    },
  };
}

/** The schema the server serves, read by introspection with the admin key. */
export async function introspect(server: TestServer): Promise<GraphQLSchema> {
  const result = await graphqlOver(server, getIntrospectionQuery(), {}, ADMIN_KEY);
  if (result.errors?.length || !result.data)
    throw new Error(`introspection: ${JSON.stringify(result.errors)}`);
  return buildClientSchema(result.data as unknown as IntrospectionQuery);
}

/** An answer that has no `data` was refused before execution (validation, depth, cost): it proved nothing. */
const executed = (result: Record<string, unknown>) => 'data' in result;

async function inPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface QueryRun {
  /** Documents that executed. */
  ran: number;
  /** `Type.field`s targeted by a document that executed. */
  covered: Set<string>;
  /** Documents the server refused before executing them, with why. */
  refused: string[];
  leaks: string[];
  /** The documents whose answer held something of the victim's. */
  leaking: Set<LeakDocument>;
}

/** Runs query documents with a token and holds each answer to the oracle. */
export async function runQueries(
  world: Pick<LeakWorld, 'server' | 'needles'>,
  documents: LeakDocument[],
  token: string,
  concurrency = 4,
): Promise<QueryRun> {
  const run: QueryRun = { ran: 0, covered: new Set(), refused: [], leaks: [], leaking: new Set() };
  await inPool(documents, concurrency, async (document) => {
    const result = await graphqlOver(world.server, document.query, {}, token);
    if (!executed(result)) {
      run.refused.push(
        `${document.target} via ${document.path}: ${JSON.stringify(result.errors)} in ${document.query}`,
      );
      return;
    }
    run.ran += 1;
    run.covered.add(document.target);
    const findings = findLeaks(result, world.needles);
    if (findings.length > 0) {
      run.leaks.push(describeLeak(document.target, document.path, findings[0] as Finding, findings.length));
      run.leaking.add(document);
    }
  });
  run.leaks.sort();
  return run;
}

/**
 * Leak lines counted by the call they start from (`node(id: B.Fact[0])`, or the first field on
 * the caller's own data that reaches B's, `entity(externalId: A.externalId) > sessions > … > process
 * > sessions`), which is where a guard is missing, and by target field.
 */
export function summarizeLeaks(leaks: string[]): string[] {
  const count = (key: (leak: string) => string) => {
    const counts = new Map<string, number>();
    for (const leak of leaks) counts.set(key(leak), (counts.get(key(leak)) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => `  ${n} × ${name}`);
  };
  const pathOf = (leak: string) => {
    const from = leak.indexOf(' via ') + 5;
    const end = leak.slice(from).search(/: (data|errors|changed B's memory|A's memory)/);
    return end < 0 ? leak.slice(from) : leak.slice(from, from + end);
  };
  const entry = (leak: string) => {
    const path = pathOf(leak);
    if (path === '(root)') return `${leak.slice(0, leak.indexOf(' via '))} (the root call itself)`;
    const root = path.split(' > ')[0] ?? path;
    // From the caller's own data, the leak starts where the path leaves it: name that field.
    return root.includes(': A.')
      ? `${path.split(' > ').slice(0, 6).join(' > ')}…`
      : root.replace(/\[\d+\]/, '[*]');
  };
  return [
    'documents by entry point:',
    ...count(entry),
    'documents by target field:',
    ...count((leak) => leak.slice(0, leak.indexOf(' via '))),
  ];
}

export interface SubscriptionRun {
  /** Subscription documents opened with A's token (and with the admin key beside them). */
  opened: number;
  /** The admin's events, per document: B's data, which A must not have received. */
  adminEvents: ExecutionResult[][];
  leaks: string[];
}

/**
 * Subscribes with A's token and with the admin key to the same victim events, makes them happen,
 * waits until the admin has each expected event, then does one round trip on A's socket, so any
 * event already sent to A has arrived, and holds what A received to the oracle.
 */
export async function runSubscriptions(
  world: LeakWorld,
  subscriptions: LeakOperation[],
  trigger: () => Promise<void>,
  expected: (subscription: LeakOperation) => (events: ExecutionResult[]) => boolean,
): Promise<SubscriptionRun> {
  const { server } = world;
  const ownClient = server.wsClient({ authorization: `Bearer ${world.ownToken}` });
  const adminClient = server.wsClient({ authorization: `Bearer ${ADMIN_KEY}` });
  const own: LiveLog[] = [];
  const admin: LiveLog[] = [];
  for (const subscription of subscriptions) {
    const log = liveLog(server, ownClient, subscription.query);
    await within(log.ready, `A's subscription ${subscription.label} to start or end`);
    own.push(log);
  }
  // The admin subscribes twice: with A's document, and with only its event's scalars (`kind`),
  // which no failing relation can null, to see which events were published.
  const probes: LiveLog[] = [];
  for (const subscription of subscriptions) {
    for (const [logs, query] of [
      [admin, subscription.query],
      [probes, subscription.probe],
    ] as const) {
      const log = liveLog(server, adminClient, query);
      if ((await within(log.ready, `the admin's ${subscription.label} to start`)) !== 'listening') {
        throw new Error(
          `the admin could not subscribe to ${subscription.label}: ${JSON.stringify(log.events)}`,
        );
      }
      logs.push(log);
    }
  }
  await trigger();
  await Promise.all(
    subscriptions.map(async (subscription, i) => {
      const probe = probes[i] as LiveLog;
      const full = admin[i] as LiveLog;
      await within(probe.until(expected(subscription)), `the admin's events of ${subscription.label}`, () =>
        JSON.stringify(probe.events),
      );
      // Every event published reaches both: A's document has been answered for each once the admin has it.
      await within(
        full.until((events) => events.length >= probe.events.length),
        `the admin's answers to ${subscription.label}`,
        () => JSON.stringify(full.events),
      );
    }),
  );
  const roundTrip = await queryOverSocket(
    ownClient,
    `query { entity(externalId: ${JSON.stringify(world.own.externalId)}) { id facts { totalCount } } }`,
  );
  if (!roundTrip.data) throw new Error(`A's round trip failed: ${JSON.stringify(roundTrip)}`);
  const leaks: string[] = [];
  own.forEach((log, i) => {
    const subscription = subscriptions[i] as LeakOperation;
    log.events.forEach((event, n) => {
      const findings = findLeaks(event, world.needles);
      if (findings.length > 0) {
        leaks.push(
          describeLeak(
            subscription.target,
            `${subscription.label} event ${n}`,
            findings[0] as Finding,
            findings.length,
          ),
        );
      }
    });
  });
  for (const log of [...own, ...admin, ...probes]) log.stop();
  return { opened: subscriptions.length, adminEvents: admin.map((log) => log.events), leaks: leaks.sort() };
}

/**
 * Bounds a wait that should end in milliseconds, so a missing event fails with what was awaited
 * and what had arrived instead of the test's timeout. Nothing waits for this time to pass.
 */
function within<T>(
  promise: Promise<T>,
  what: string,
  state: () => string = () => '',
  ms = 30_000,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}; received: ${state()}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Waits until none of the victim's augmentation jobs is waiting or running. */
async function jobsSettled(world: LeakWorld): Promise<void> {
  for (;;) {
    const busy = await world.server.db.augmentationJob.count({
      where: {
        status: { in: ['PENDING', 'RUNNING'] },
        conversation: { session: { entity: { externalId: world.victim.externalId } } },
      },
    });
    if (busy === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface MutationRun {
  ran: number;
  refused: string[];
  leaks: string[];
}

/**
 * Runs each mutation with A's token; after each, its answer must hold nothing of B's, B's memory
 * must be as it was, and A's memory must reference nothing of B's.
 */
export async function runMutations(world: LeakWorld, mutations: LeakOperation[]): Promise<MutationRun> {
  const { db } = world.server;
  const { victim } = world;
  const markers = [victim.contentMarker, victim.idMarker];
  const dumpB = () => dumpVictim(db, victim.externalId, victim.processExternalId, markers);
  const ownFindings = async () =>
    new Set(
      findInData(await dumpOwn(db, world.own.externalId), world.needles, 'A').map(
        (f) => `${f.at} = ${JSON.stringify(f.value)}`,
      ),
    );
  const run: MutationRun = { ran: 0, refused: [], leaks: [] };
  let before = await dumpB();
  let ownBefore = await ownFindings();
  if (ownBefore.size > 0)
    throw new Error(`A's memory references B's before any mutation: ${[...ownBefore].join('; ')}`);
  for (const mutation of mutations) {
    const result = await graphqlOver(world.server, mutation.query, {}, world.ownToken);
    if (!executed(result)) {
      run.refused.push(`${mutation.label}: ${JSON.stringify(result.errors)}`);
      continue;
    }
    run.ran += 1;
    const findings = findLeaks(result, world.needles);
    if (findings.length > 0) {
      run.leaks.push(describeLeak(mutation.target, mutation.label, findings[0] as Finding, findings.length));
    }
    let after = await dumpB();
    const changed = firstDifference(before, after);
    if (changed) {
      run.leaks.push(`${mutation.target} via ${mutation.label}: changed B's memory at ${changed}`);
      await jobsSettled(world);
      after = await dumpB();
    }
    before = after;
    const ownAfter = await ownFindings();
    for (const finding of ownAfter) {
      if (!ownBefore.has(finding))
        run.leaks.push(`${mutation.target} via ${mutation.label}: A's memory now holds ${finding}`);
    }
    ownBefore = ownAfter;
  }
  return run;
}
