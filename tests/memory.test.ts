import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTriplesCheckedDocument,
  EntityPageDocument,
  EntityTriplesDocument,
  FactChangedDocument,
  ForgetFactDocument,
  ForgetTripleDocument,
  MessageAddedDocument,
  NodeByIdDocument,
  RecordMessagesDocument,
  RememberWithSourceDocument,
  SessionByIdDocument,
  TripleChangedDocument,
  TriplesAsOfDocument,
} from '../client-codegen/generated/graphql.ts';
import { storeTriples } from '../src/services/triples.ts';
import { nextListener } from './helpers/listening.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

describe('memory graph', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  async function record(entity: string, contents: string[], session?: string) {
    const data = await server.gql(RecordMessagesDocument, {
      input: {
        entity,
        process: 'assistant',
        session,
        messages: contents.map((content) => ({ role: 'USER' as const, content })),
      },
    });
    if (data.recordConversation.__typename !== 'RecordConversationSuccess') {
      throw new Error(JSON.stringify(data.recordConversation));
    }
    return data.recordConversation.conversation;
  }

  async function remember(
    entity: string,
    content: string,
    extra: { category?: 'PREFERENCE' | 'SKILL'; source?: string } = {},
  ) {
    const data = await server.gql(RememberWithSourceDocument, { input: { entity, content, ...extra } });
    if (data.rememberFact.__typename !== 'RememberFactSuccess')
      throw new Error(JSON.stringify(data.rememberFact));
    return data.rememberFact;
  }

  it('continues a session by uuid and finds it by uuid or global id', async () => {
    const first = await record('s-1', ['one'], 'session-abc');
    const second = await record('s-1', ['two', 'three'], 'session-abc');
    expect(second.session.id).toBe(first.session.id);
    const byUuid = await server.gql(SessionByIdDocument, { id: 'session-abc' });
    const byId = await server.gql(SessionByIdDocument, { id: first.session.id });
    expect(byUuid.session?.conversations.totalCount).toBe(2);
    expect(byId.session).toEqual(byUuid.session);
    expect(byId.session?.entity.externalId).toBe('s-1');
  });

  it('dedupes facts by normalized content and orders by mentions or recency', async () => {
    await remember('f-1', 'Likes green tea', { category: 'PREFERENCE' });
    await remember('f-1', 'Speaks Portuguese', { category: 'SKILL' });
    await remember('f-1', '  likes GREEN   tea ', { category: 'PREFERENCE' });
    await remember('f-1', 'Lives in Lisbon');

    const byMentions = await server.gql(EntityPageDocument, { externalId: 'f-1', orderBy: 'MENTIONS' });
    expect(byMentions.entity?.facts.totalCount).toBe(3);
    expect(byMentions.entity?.facts.edges.map((e) => [e.node.content, e.node.mentionCount])).toEqual([
      ['Likes green tea', 2],
      ['Lives in Lisbon', 1],
      ['Speaks Portuguese', 1],
    ]);
    const recent = await server.gql(EntityPageDocument, { externalId: 'f-1', orderBy: 'RECENT' });
    expect(recent.entity?.facts.edges.map((e) => e.node.content)).toEqual([
      'Lives in Lisbon',
      'Likes green tea',
      'Speaks Portuguese',
    ]);
    const skills = await server.gql(EntityPageDocument, { externalId: 'f-1', category: 'SKILL' });
    expect(skills.entity?.facts.edges.map((e) => e.node.content)).toEqual(['Speaks Portuguese']);
    expect(skills.entity?.facts.totalCount).toBe(1);
    const tea = await server.gql(EntityPageDocument, { externalId: 'f-1', contains: 'tea' });
    expect(tea.entity?.facts.edges.map((e) => e.node.content)).toEqual(['Likes green tea']);
    // Case-sensitive on every database, like the unique keys.
    const upper = await server.gql(EntityPageDocument, { externalId: 'f-1', contains: 'TEA' });
    expect(upper.entity?.facts.totalCount).toBe(0);
  });

  it('pages through facts with cursors', async () => {
    for (let i = 0; i < 7; i++) await remember('p-1', `fact number ${i}`);
    const seen: string[] = [];
    let after: string | null | undefined;
    for (let page = 0; page < 4; page++) {
      const data = await server.gql(EntityPageDocument, {
        externalId: 'p-1',
        factsFirst: 3,
        after,
        orderBy: 'CREATED',
      });
      const facts = data.entity?.facts;
      expect(facts?.totalCount).toBe(7);
      seen.push(...(facts?.edges.map((e) => e.node.content) ?? []));
      if (!facts?.pageInfo.hasNextPage) break;
      after = facts.pageInfo.endCursor;
    }
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `fact number ${i}`));
  });

  it('keeps provenance: a fact links to the message it came from', async () => {
    const conversation = await record('v-1', ['I am allergic to peanuts']);
    const messageId = conversation.messages.edges[0]?.node.id;
    expect(messageId).toBeDefined();
    const fact = await remember('v-1', 'Allergic to peanuts', { source: messageId });
    expect(fact.fact.mentions.edges.map((e) => e.node.message?.id)).toEqual([messageId]);

    const other = await remember('someone-else', 'Allergic to peanuts', { source: messageId }).catch(
      (e) => e,
    );
    expect(String(other)).toContain('SOURCE_MISMATCH');
  });

  it('filters triples and dedupes shared names across entities', async () => {
    const add = (entity: string, triples: { subject: string; predicate: string; object: string }[]) =>
      server.gql(AddTriplesCheckedDocument, { input: { entity, triples } });
    await add('t-1', [
      { subject: 'Ana', predicate: 'lives in', object: 'Porto' },
      { subject: 'Ana', predicate: 'likes', object: 'hiking' },
    ]);
    await add('t-2', [{ subject: 'Ana', predicate: 'Lives In', object: 'Porto' }]);
    expect(await server.db.tripleSubject.count({ where: { name: 'Ana' } })).toBe(1);
    expect(await server.db.triplePredicate.count({ where: { name: 'lives_in' } })).toBe(1);

    const livesIn = await server.gql(EntityTriplesDocument, { externalId: 't-1', predicate: 'Lives In' });
    expect(livesIn.entity?.triples.edges.map((e) => e.node.object.name)).toEqual(['Porto']);
    const hiking = await server.gql(EntityTriplesDocument, { externalId: 't-1', object: 'hiking' });
    expect(hiking.entity?.triples.totalCount).toBe(1);
    const all = await server.gql(EntityTriplesDocument, { externalId: 't-2' });
    expect(all.entity?.triples.totalCount).toBe(1);
  });

  it('forgets facts and triples, publishing FORGOTTEN', async () => {
    const fact = await remember('u-1', 'Temporary fact');
    const triples = await server.gql(AddTriplesCheckedDocument, {
      input: { entity: 'g-1', triples: [{ subject: 'g-1', predicate: 'owns', object: 'a bike' }] },
    });
    if (triples.addTriples.__typename !== 'AddTriplesSuccess') throw new Error('addTriples failed');
    const tripleId = triples.addTriples.triples[0]?.id ?? '';

    const events = collect(server, server.wsClient(), TripleChangedDocument, { entity: 'g-1' }, 1);
    await events.ready;
    const forgotTriple = await server.gql(ForgetTripleDocument, { id: tripleId });
    expect(forgotTriple.forgetTriple).toEqual({ __typename: 'ForgetSuccess', forgottenId: tripleId });
    expect((await events.results)[0]?.data?.tripleChanged).toEqual({
      kind: 'FORGOTTEN',
      triple: { id: tripleId, mentionCount: 1 },
    });

    const factEvents = collect(server, server.wsClient(), FactChangedDocument, {}, 1);
    await factEvents.ready;
    const forgotFact = await server.gql(ForgetFactDocument, { id: fact.fact.id });
    expect(forgotFact.forgetFact.__typename).toBe('ForgetSuccess');
    expect(await server.db.entityFact.count({ where: { content: 'Temporary fact' } })).toBe(0);
    // The contract subscription gets the fact as it was, though it no longer exists.
    expect((await factEvents.results)[0]).toEqual({
      data: { factChanged: { kind: 'FORGOTTEN', fact: { content: 'Temporary fact', mentionCount: 1 } } },
    });
    const again = await server.gql(ForgetFactDocument, { id: fact.fact.id });
    expect(again.forgetFact).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  it('streams messageAdded for one session only, and resolves node(id)', async () => {
    const conversation = await record('m-1', ['first'], 'live-session');
    await record('m-2', ['elsewhere'], 'other-session');
    const stream = collect(server, server.wsClient(), MessageAddedDocument, { session: 'live-session' }, 2);
    await stream.ready;
    await record('m-2', ['not for you'], 'other-session');
    await record('m-1', ['second', 'third'], 'live-session');
    const received = (await stream.results).map((result) => result.data?.messageAdded.content);
    expect(received).toEqual(['second', 'third']);

    const node = await server.gql(NodeByIdDocument, { id: conversation.messages.edges[0]?.node.id ?? '' });
    expect(node.node?.__typename).toBe('Message');
  });

  it('serves subscriptions over server-sent events too', async () => {
    const controller = new AbortController();
    const listening = nextListener(server.app.events);
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'subscription { factChanged(entity: "sse-1") { kind fact { content } } }',
      }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    // Once the server listens for the subscriber, cause an event.
    await listening;
    await remember('sse-1', 'Streams over SSE');
    let text = '';
    while (!text.includes('Streams over SSE')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('"kind":"CREATED"');
  });

  it('keeps every period of a statement that was superseded and said again, for asOf', async () => {
    const pause = () => new Promise((resolve) => setTimeout(resolve, 30));
    const livesIn = async (city: string) => {
      const result = await server.gql(AddTriplesCheckedDocument, {
        input: { entity: 'h-1', triples: [{ subject: 'h-1', predicate: 'lives_in', object: city }] },
      });
      expect(result.addTriples.__typename).toBe('AddTriplesSuccess');
      await pause();
      return new Date().toISOString();
    };
    const inPorto = await livesIn('Porto');
    const inMadrid = await livesIn('Madrid');
    const inPortoAgain = await livesIn('Porto');
    const cityAt = async (at?: string) => {
      const data = await server.gql(TriplesAsOfDocument, { entity: 'h-1', predicate: 'lives_in', at });
      return data.entity?.triples.edges.map((edge) => edge.node) ?? [];
    };

    expect((await cityAt(inPorto)).map((node) => node.object.name)).toEqual(['Porto']);
    expect((await cityAt(inMadrid)).map((node) => node.object.name)).toEqual(['Madrid']);
    expect((await cityAt(inPortoAgain)).map((node) => node.object.name)).toEqual(['Porto']);
    const now = await cityAt();
    expect(now.map((node) => node.object.name)).toEqual(['Porto']);
    // Porto holds again since the second move; its first period ended when Madrid began.
    const porto = now[0];
    const madrid = (await cityAt(inMadrid))[0];
    expect(porto?.validTo).toBeNull();
    expect(porto?.earlierPeriods).toHaveLength(1);
    expect(porto?.earlierPeriods[0]?.validTo).toBe(madrid?.validFrom);
    expect(new Date(porto?.earlierPeriods[0]?.validFrom as string).getTime()).toBeLessThan(
      new Date(inPorto).getTime(),
    );
    expect(porto?.validFrom).toBe(madrid?.validTo);
    // Before anything was said there was no city.
    expect(await cityAt('2000-01-01T00:00:00.000Z')).toEqual([]);
  });

  it('never ends a period before it began when a writer with an older clock commits last', async () => {
    const entity = await server.db.entity.create({ data: { externalId: 'h-clock' } });
    const owner = { id: entity.id, externalId: entity.externalId };
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
    const say = (city: string, seconds: number) =>
      server.db.$transaction((tx) =>
        storeTriples(
          tx,
          owner,
          [{ subject: 'h-clock', predicate: 'lives_in', object: city }],
          null,
          at(seconds),
        ),
      );
    await say('Porto', 0);
    await say('Madrid', 10);
    await say('Lisbon', 20);
    await say('Porto', 15); // computed its time before Lisbon's writer, committed after it
    const triples = await server.db.triple.findMany({
      where: { entityId: entity.id },
      include: { object: true, intervals: true },
    });
    for (const triple of triples) {
      if (triple.validTo) expect(triple.validTo.getTime()).toBeGreaterThanOrEqual(triple.validFrom.getTime());
      for (const period of triple.intervals) {
        expect(period.validTo.getTime()).toBeGreaterThan(period.validFrom.getTime());
        expect(period.validTo.getTime()).toBeLessThanOrEqual(triple.validFrom.getTime());
      }
    }
    expect(triples.filter((triple) => triple.validTo === null).map((triple) => triple.object.name)).toEqual([
      'Porto',
    ]);
  });
});
