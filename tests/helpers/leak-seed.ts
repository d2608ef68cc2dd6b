import { randomInt } from 'node:crypto';
import { type ExecutionResult, Kind, type OperationDefinitionNode, parse } from 'graphql';
import type { Db } from '../../src/db/client.ts';
import type { Party } from './leak-documents.ts';
import { graphqlOver, liveLog } from './leak-live.ts';
import type { VictimNeedles } from './leak-oracle.ts';
import type { TestServer } from './server.ts';

/**
 * Two entities' memories for the entity-isolation leak test, written with the admin key through
 * every mutation of the schema (augmentation on, with the local extractor, so there are jobs and
 * extracted facts and triples). Every string an entity writes carries its content marker, and its
 * identifiers (external id, process, session uuids, idempotency keys) carry its id marker, so the
 * oracle can tell the victim's data wherever it shows up.
 */

export const ADMIN_KEY = 'admin-key';

/** The environment a leak-test server runs with. */
export const LEAK_SERVER_ENV = {
  API_KEYS: ADMIN_KEY,
  AUGMENTATION: 'on',
  AUGMENTATION_EXTRACTOR: 'local',
  // Thousands of documents from one address within a minute: the per-address limit would refuse them.
  RATE_LIMIT_PER_ADDRESS: '0',
  // A token may erase its own entity here, so the mutation phase shows it cannot erase another.
  ERASE_BY_ENTITY_TOKEN: 'true',
};

/** What an entity's memory was seeded with. */
export interface SeededParty extends Party {
  /** In every string it wrote (`Zqxb…`, capitalized so the extractor keeps it as a name). */
  contentMarker: string;
  /** In every identifier it chose (`zqib…`). */
  idMarker: string;
  /** Global ids of what it forgot (no longer loadable, still its own). */
  forgotten: string[];
}

const letters = (count: number) =>
  Array.from({ length: count }, () => String.fromCharCode(97 + randomInt(26))).join('');

export const RECORD = `mutation($input: RecordConversationInput!) { recordConversation(input: $input) { __typename
  ... on RecordConversationSuccess { conversation { id session { id uuid } messages(first: 100) { edges { node { id } } } } }
  ... on UserError { code message } } }`;
export const REMEMBER = `mutation($input: RememberFactInput!) { rememberFact(input: $input) { __typename
  ... on RememberFactSuccess { kind fact { id } } ... on UserError { code message } } }`;
export const ADD_TRIPLES = `mutation($input: AddTriplesInput!) { addTriples(input: $input) { __typename
  ... on AddTriplesSuccess { triples { id } } ... on UserError { code message } } }`;
export const FORGET_FACT = `mutation($id: ID!) { forgetFact(id: $id) { __typename ... on UserError { code message } } }`;
export const FORGET_TRIPLE = `mutation($id: ID!) { forgetTriple(id: $id) { __typename ... on UserError { code message } } }`;
const RERUN = `mutation($job: ID!) { rerunAugmentation(job: $job, force: true) { __typename
  ... on RerunAugmentationSuccess { job { id } } ... on UserError { code message } } }`;
export const ISSUE_TOKEN = `mutation($input: IssueEntityTokenInput!) { issueEntityToken(input: $input) { __typename
  ... on IssueEntityTokenSuccess { token expiresAt } ... on UserError { code message } } }`;
export const ERASE = `mutation($input: EraseEntityInput!) { eraseEntity(input: $input) { __typename
  ... on EraseEntitySuccess { erased { messages facts triples vectors } } ... on UserError { code message } } }`;
const COMPLETED = 'subscription($entity: String!) { augmentationCompleted(entity: $entity) { id status } }';

/** Runs documents with the admin key and remembers which mutations it ran. */
export class AdminCaller {
  readonly mutationsRun = new Set<string>();
  constructor(private readonly server: TestServer) {}

  /** Runs a mutation, failing unless its result is `success` (a __typename). */
  async mutate(
    query: string,
    variables: Record<string, unknown>,
    success: string,
  ): Promise<Record<string, unknown>> {
    const result = await graphqlOver(this.server, query, variables, ADMIN_KEY);
    const operation = parse(query).definitions[0] as OperationDefinitionNode;
    const field = operation.selectionSet.selections[0];
    const name = field?.kind === Kind.FIELD ? field.name.value : '?';
    const answer = (result.data as Record<string, Record<string, unknown>> | null | undefined)?.[name];
    if (result.errors?.length || answer?.__typename !== success) {
      throw new Error(`seed: ${name} answered ${JSON.stringify(result)}`);
    }
    this.mutationsRun.add(name);
    return answer;
  }

  async query(query: string, variables: Record<string, unknown> = {}): Promise<ExecutionResult> {
    return graphqlOver(this.server, query, variables, ADMIN_KEY);
  }
}

type Conversation = {
  id: string;
  session: { id: string; uuid: string };
  messages: { edges: { node: { id: string } }[] };
};

/**
 * Seeds one entity through every mutation: three recorded turns (one appended to an earlier
 * conversation, one with the shared process), facts with a source message, triples with names
 * and a superseded-then-restated statement, a forgotten fact and triple, and a forced rerun of a
 * job; it returns once every augmentation job it caused has completed.
 */
export async function seedParty(
  server: TestServer,
  admin: AdminCaller,
  name: string,
  sharedProcess: string,
): Promise<SeededParty> {
  const marker = `Zqx${name.toLowerCase()}${letters(8)}`;
  const idMarker = `zqi${name.toLowerCase()}${letters(8)}`;
  const entity = `${idMarker}-entity`;
  const process = `${idMarker}-bot`;
  const client = server.wsClient({ authorization: `Bearer ${ADMIN_KEY}` });
  const completed = liveLog(server, client, COMPLETED, { entity });
  await completed.ready;
  let jobs = 0;

  const record = async (input: Record<string, unknown>) => {
    jobs += 1;
    const answer = await admin.mutate(RECORD, { input: { entity, ...input } }, 'RecordConversationSuccess');
    return answer.conversation as Conversation;
  };
  const first = await record({
    process,
    session: `${idMarker}-session-1`,
    summary: `${marker} talked about home and work`,
    idempotencyKey: `${idMarker}-call-1`,
    messages: [
      {
        role: 'USER',
        content: `My name is ${marker} and I live in ${marker}town. I love ${marker} pottery.`,
      },
      { role: 'ASSISTANT', content: `Nice to meet you, ${marker}.`, type: `text-${idMarker}` },
      { role: 'USER', content: `I work at ${marker} Labs and I speak ${marker}ese.` },
    ],
  });
  await record({
    process,
    conversation: first.id,
    messages: [{ role: 'USER', content: `I moved to ${marker}ville.` }],
  });
  await record({
    process: sharedProcess,
    session: `${idMarker}-session-2`,
    messages: [{ role: 'USER', content: `I prefer ${marker} tea to coffee.` }],
  });
  const messages = first.messages.edges.map((edge) => edge.node.id);

  await admin.mutate(
    REMEMBER,
    { input: { entity, content: `${marker} keeps bees`, category: 'SKILL', source: messages[0] } },
    'RememberFactSuccess',
  );
  await admin.mutate(
    REMEMBER,
    { input: { entity, content: `${marker} owns a red kayak` } },
    'RememberFactSuccess',
  );
  const doomed = await admin.mutate(
    REMEMBER,
    { input: { entity, content: `${marker} hides a spare key` } },
    'RememberFactSuccess',
  );
  const doomedFact = (doomed.fact as { id: string }).id;
  await admin.mutate(FORGET_FACT, { id: doomedFact }, 'ForgetSuccess');

  const triples = (list: Record<string, unknown>[], source?: string) =>
    admin.mutate(ADD_TRIPLES, { input: { entity, triples: list, source } }, 'AddTriplesSuccess');
  await triples(
    [
      {
        subject: `${marker} Person`,
        subjectType: `person-${idMarker}`,
        predicate: `${marker}_admires`,
        object: `${marker} Friend`,
        objectType: `person-${idMarker}`,
      },
      { subject: entity, predicate: 'lives_in', object: `${marker} Harbor`, objectType: `place-${idMarker}` },
    ],
    messages[2],
  );
  // Said again after being superseded: the first statement gets an earlier period.
  await triples([{ subject: entity, predicate: 'lives_in', object: `${marker}ville` }]);
  const doomedTriples = await triples([
    { subject: `${marker} Person`, predicate: 'dislikes', object: `${marker} Noise` },
  ]);
  const doomedTriple = (doomedTriples.triples as { id: string }[])[0]?.id as string;
  await admin.mutate(FORGET_TRIPLE, { id: doomedTriple }, 'ForgetSuccess');

  await completed.until((events) => events.length >= jobs);
  const [firstJob] = await server.db.augmentationJob.findMany({
    where: { conversation: { session: { entity: { externalId: entity } } } },
    orderBy: { id: 'asc' },
    take: 1,
  });
  if (!firstJob) throw new Error('seed: no augmentation job');
  jobs += 1;
  await admin.mutate(RERUN, { job: globalId('AugmentationJob', firstJob.id) }, 'RerunAugmentationSuccess');
  await completed.until((events) => events.length >= jobs);
  completed.stop();

  const party: SeededParty = {
    name,
    externalId: entity,
    processExternalId: process,
    contentMarker: marker,
    idMarker,
    ids: {},
    aliases: {},
    forgotten: [doomedFact, doomedTriple],
  };
  await collectIds(server.db, party);
  return party;
}

/** Engram's global id of a row: base64 of `<Type>:<id>`. */
export function globalId(type: string, id: number): string {
  return Buffer.from(`${type}:${id}`).toString('base64');
}

/**
 * Fills `ids` (global ids by type) and `aliases` (session uuids) from the database: everything of
 * the entity, its own process, and the subject, predicate and object names only it uses (those
 * carrying its markers), oldest first.
 */
export async function collectIds(db: Db, party: SeededParty): Promise<void> {
  const entity = await db.entity.findUniqueOrThrow({
    where: { externalId: party.externalId },
    include: {
      sessions: {
        orderBy: { id: 'asc' },
        include: {
          process: true,
          conversations: {
            orderBy: { id: 'asc' },
            include: { messages: { orderBy: { id: 'asc' } }, jobs: { orderBy: { id: 'asc' } } },
          },
        },
      },
      facts: { orderBy: { id: 'asc' } },
      triples: { orderBy: { id: 'asc' }, include: { subject: true, predicate: true, object: true } },
    },
  });
  const marked = (text: string) =>
    [party.contentMarker, party.idMarker].some((marker) => text.toLowerCase().includes(marker.toLowerCase()));
  const ids: Record<string, Set<number>> = {};
  const add = (type: string, id: number) => {
    ids[type] ??= new Set();
    ids[type].add(id);
  };
  add('Entity', entity.id);
  for (const session of entity.sessions) {
    add('Session', session.id);
    if (session.process.externalId === party.processExternalId) add('Process', session.process.id);
    for (const conversation of session.conversations) {
      add('Conversation', conversation.id);
      for (const message of conversation.messages) add('Message', message.id);
      for (const job of conversation.jobs) add('AugmentationJob', job.id);
    }
  }
  for (const fact of entity.facts) add('Fact', fact.id);
  for (const triple of entity.triples) {
    add('Triple', triple.id);
    if (marked(triple.subject.name)) add('TripleSubject', triple.subject.id);
    if (marked(triple.predicate.name)) add('TriplePredicate', triple.predicate.id);
    if (marked(triple.object.name)) add('TripleObject', triple.object.id);
  }
  party.ids = Object.fromEntries(
    Object.entries(ids).map(([type, set]) => [type, [...set].map((id) => globalId(type, id))]),
  );
  party.aliases = { Session: entity.sessions.map((session) => session.uuid) };
}

/** What gives the victim away, for the oracle. */
export function needlesOf(victim: SeededParty): VictimNeedles {
  return {
    contentMarkers: [victim.contentMarker],
    idMarkers: [victim.idMarker],
    exact: [
      victim.externalId,
      victim.processExternalId,
      ...Object.values(victim.ids).flat(),
      ...Object.values(victim.aliases).flat(),
      ...victim.forgotten,
    ],
  };
}

/** Issues an entity token for a party's entity with the admin key (READ and WRITE, 15 minutes). */
export async function tokenFor(admin: AdminCaller, party: Party): Promise<string> {
  const answer = await admin.mutate(
    ISSUE_TOKEN,
    { input: { entity: party.externalId, ttlSeconds: 900, scopes: ['READ', 'WRITE'] } },
    'IssueEntityTokenSuccess',
  );
  return answer.token as string;
}
