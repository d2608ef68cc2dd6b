/**
 * Messages as searchable memory (MESSAGE_INDEX): each message is indexed with the turn before it,
 * so an answer is found by the question it answers; `recall(sources:)` returns messages, facts or
 * both ranked together, each with its breakdown, and a `context` window of the conversation; an
 * entity's messages never reach another's recall, leave the index when erased, and come back
 * whole when the index is rebuilt from the database.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerFromUrl } from '../src/db/client.ts';
import { indexMissingMessages } from '../src/services/embed-missing.ts';
import { rawQuery } from './helpers/database.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { wordHashEmbedder } from './helpers/vectors.ts';

const doc = <R, V = Record<string, unknown>>(text: string) => parse(text) as TypedDocumentNode<R, V>;

const RECORD = doc<{
  recordConversation: { conversation: { id: string; messages: { edges: { node: { id: string } }[] } } };
}>(`mutation($input: RecordConversationInput!) { recordConversation(input: $input) {
  ... on RecordConversationSuccess { conversation { id messages(first: 50) { edges { node { id } } } } } } }`);
const REMEMBER = doc<{ rememberFact: { __typename: string } }>(`mutation($input: RememberFactInput!) {
  rememberFact(input: $input) { __typename } }`);
const ERASE = doc<{ eraseEntity: { __typename: string } }>(`mutation($input: EraseEntityInput!) {
  eraseEntity(input: $input) { __typename } }`);

interface Hit {
  score: number;
  fact: { content: string } | null;
  message: { id: string; content: string } | null;
  breakdown: { semantic: number | null; lexical: number; time: number | null; timeMatch: string | null };
  context: { content: string }[];
}
const RECALL = doc<{ recall: Hit[] }>(`query($e: String!, $q: String!, $first: Int, $s: [RecallSource!],
  $before: Int, $after: Int) {
  recall(entity: $e, query: $q, first: $first, sources: $s) { score fact { content } message { id content }
    breakdown { semantic lexical time timeMatch } context(before: $before, after: $after) { content } } }`);
interface RrfHit {
  score: number;
  breakdown: { semantic: number | null; lexical: number; mentions: number; recency: number };
}
const RRF = doc<{ recall: RrfHit[] }>(`query($e: String!, $q: String!) {
  recall(entity: $e, query: $q, first: 100, sources: [FACT, MESSAGE], fusion: RRF, weights: { neighbours: 0 }) {
    score breakdown { semantic lexical mentions recency } } }`);
interface NeighbourHit {
  score: number;
  fact: { content: string } | null;
  message: { id: string; content: string } | null;
  breakdown: { lexical: number; neighbours: number | null };
}
const NEIGHBOURS = doc<{ recall: NeighbourHit[] }>(`query($e: String!, $q: String!, $first: Int,
  $w: RecallWeightsInput) {
  recall(entity: $e, query: $q, first: $first, sources: [FACT, MESSAGE], weights: $w) {
    score fact { content } message { id content } breakdown { lexical neighbours } } }`);
const STATUS = doc<{ semanticStatus: { index: { messages: number; facts: number } } }>(
  `{ semanticStatus { index { messages facts } } }`,
);

const TURNS = [
  'How did you come to have Susie?',
  'I adopted her two years ago when I was feeling lonely.',
  'That is lovely. Does she like the park?',
  'She runs around the lake every morning.',
];

const text = (hit: Hit) => hit.message?.content ?? hit.fact?.content;

describe('recall over messages', () => {
  let server: TestServer;
  const entity = 'rm-jolene';

  const record = (input: Record<string, unknown>, on = server) =>
    on.gql(RECORD, { input: { entity, process: 'chat', ...input } });
  const recall = async (q: string, extra: Record<string, unknown> = {}, on = server, e = entity) =>
    (await on.gql(RECALL, { e, q, ...extra })).recall;

  beforeAll(async () => {
    server = await startTestServer({ embedder: wordHashEmbedder() });
    await record({
      messages: TURNS.map((content, i) => ({
        role: i % 2 ? 'ASSISTANT' : 'USER',
        content,
        createdAt: new Date(Date.parse('2023-05-08T13:00:00Z') + i * 1000).toISOString(),
      })),
    });
    await server.gql(REMEMBER, { input: { entity, content: 'Has a dog called Susie' } });
    await record({
      entity: 'rm-other',
      messages: [{ role: 'USER', content: 'I adopted a cat called Susie.' }],
    });
  });
  afterAll(() => server?.close());

  it('finds the answer by the question before it, with its breakdown', async () => {
    const hits = await recall('How did Jolene come to have Susie?', { s: ['MESSAGE'] });
    expect(hits.every((hit) => hit.fact === null && hit.message)).toBe(true);
    // The answer shares no content word with the question but "Susie"-less context: its previous turn.
    const answer = hits.findIndex((hit) => text(hit)?.startsWith('I adopted her'));
    expect(answer).toBeGreaterThanOrEqual(0);
    expect(answer).toBeLessThanOrEqual(1);
    expect(hits[answer]?.breakdown.lexical).toBeGreaterThan(0);
    expect(hits[answer]?.breakdown.semantic).toBeGreaterThan(0);
    // Not the other entity's message, which says the same words.
    expect(hits.map(text)).not.toContain('I adopted a cat called Susie.');
  });

  it('returns facts only by default, and both ranked together when asked', async () => {
    const facts = await recall('Susie');
    expect(facts.map(text)).toEqual(['Has a dog called Susie']);
    const both = await recall('Susie', { s: ['FACT', 'MESSAGE'], first: 10 });
    expect(both.some((hit) => hit.fact)).toBe(true);
    expect(both.some((hit) => hit.message)).toBe(true);
    const scores = both.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('does not say a turn twice: a fact and the message it was remembered from make one hit', async () => {
    const recorded = await record({
      entity: 'rm-bees',
      messages: [{ role: 'USER', content: 'I keep bees on the roof.' }],
    });
    const [said] = recorded.recordConversation.conversation.messages.edges;
    await server.gql(REMEMBER, {
      input: { entity: 'rm-bees', content: 'Keeps bees on the roof', source: said?.node.id },
    });
    await server.gql(REMEMBER, { input: { entity: 'rm-bees', content: 'Likes honey on the roof terrace' } });
    const both = await recall('bees on the roof', { s: ['FACT', 'MESSAGE'] }, server, 'rm-bees');
    const texts = both.map(text);
    expect(texts).toContain('Likes honey on the roof terrace');
    // One of the two, whichever ranks higher, not both.
    expect(
      texts.filter((t) => t === 'I keep bees on the roof.' || t === 'Keeps bees on the roof'),
    ).toHaveLength(1);
    // Each source alone still finds its own.
    expect((await recall('bees on the roof', { s: ['MESSAGE'] }, server, 'rm-bees')).map(text)).toEqual([
      'I keep bees on the roof.',
    ]);
  });

  it('gives a message hit the turns around it', async () => {
    const [hit] = await recall('lake every morning', { s: ['MESSAGE'], first: 1, before: 2, after: 1 });
    expect(text(hit as Hit)).toBe(TURNS[3]);
    expect(hit?.context.map((m) => m.content)).toEqual([TURNS[1], TURNS[2], TURNS[3]]);
    const [fact] = await recall('dog', { first: 1 });
    expect(fact?.context).toEqual([]);
  });

  it('matches a date in the question against when a message was said', async () => {
    const hits = await recall('What did Jolene say on 8 May 2023?', { s: ['MESSAGE'], first: 4 });
    expect(hits).toHaveLength(4);
    for (const hit of hits) expect(hit.breakdown.time).toBe(1);
    expect(hits[0]?.breakdown.timeMatch).toContain('2023-05-08');
  });

  it('indexes a message appended to a conversation with the turn before it, from the earlier call', async () => {
    const first = await record({
      entity: 'rm-append',
      messages: [{ role: 'USER', content: 'Where is the key?' }],
    });
    await record({
      entity: 'rm-append',
      conversation: first.recordConversation.conversation.id,
      messages: [{ role: 'ASSISTANT', content: 'Under the flowerpot.' }],
    });
    const entry = await server.db.messageIndex.findFirst({
      where: { message: { content: 'Under the flowerpot.' } },
    });
    expect(entry?.text).toBe('Where is the key?\nUnder the flowerpot.');
    const [hit] = await recall('where is the key', { s: ['MESSAGE'], first: 2 }, server, 'rm-append');
    expect(hit).toBeDefined();
  });

  it('stores a long conversation’s entries whole (written in chunks), each naming the turn before', async () => {
    const count = 250;
    const started = Date.now();
    await record({
      entity: 'rm-long',
      messages: Array.from({ length: count }, (_, i) => ({
        role: i % 2 ? 'ASSISTANT' : 'USER',
        content: `Turn ${i} about topic${i}.`,
      })),
    });
    const { id: entityId } = await server.db.entity.findUniqueOrThrow({ where: { externalId: 'rm-long' } });
    const entries = await server.db.messageIndex.findMany({
      where: { entityId },
      orderBy: { messageId: 'asc' },
    });
    const messages = await server.db.conversationMessage.findMany({
      where: { id: { in: entries.map((e) => e.messageId) } },
      orderBy: { id: 'asc' },
      select: { id: true, content: true },
    });
    expect(messages).toHaveLength(count);
    expect(entries.map((e) => e.previousId)).toEqual([null, ...messages.slice(0, -1).map((m) => m.id)]);
    expect(entries[200]?.text).toBe(`${messages[199]?.content}\n${messages[200]?.content}`);
    for (const entry of entries)
      expect(entry.embeddingDim).toBe(entry.embedding ? entry.embedding.length / 4 : -1);
    // Each entry announced to the index, stamped with a time Prisma reads back as it writes one (a
    // fact's change is written by Prisma itself): pruning by age compares like with like.
    const changes = await server.db.vectorChange.findMany({
      where: { messageId: { in: messages.map((m) => m.id) } },
    });
    expect(changes).toHaveLength(count);
    for (const change of changes) {
      expect(change.createdAt.getTime()).toBeGreaterThanOrEqual(started - 1000);
      expect(change.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
    // Read with the database's own driver: Prisma would convert either form on the way out.
    const stamps = await rawQuery<{ stamp: unknown }>(
      { url: server.databaseUrl, provider: providerFromUrl(server.databaseUrl) ?? 'sqlite' },
      `SELECT created_at AS stamp
       FROM vector_change WHERE id IN (SELECT MAX(id) FROM vector_change WHERE fact_id IS NOT NULL
         UNION ALL SELECT MAX(id) FROM vector_change WHERE message_id IS NOT NULL)`,
    );
    expect(stamps).toHaveLength(2);
    expect(typeof stamps[0]?.stamp).toBe(typeof stamps[1]?.stamp);
    const shape = (stamp: unknown) =>
      String(stamp instanceof Date ? stamp.toISOString() : stamp).replace(/\d/g, '0');
    expect(shape(stamps[1]?.stamp)).toBe(shape(stamps[0]?.stamp));
  });

  it('fuses by reciprocal rank when asked: Σ w/(60 + rank) over the signals, from the breakdowns', async () => {
    const q = 'How did Jolene come to have Susie?';
    const hits = (await server.gql(RRF, { e: entity, q })).recall;
    expect(hits.length).toBeGreaterThan(2);
    // No period in the question: time is dropped; the default weights of the other four.
    const weights = { semantic: 0.6, lexical: 0.25, mentions: 0.1, recency: 0.05 };
    const total = 1;
    const expected = new Map<RrfHit, number>(hits.map((hit) => [hit, 0]));
    for (const [signal, weight] of Object.entries(weights) as [keyof typeof weights, number][]) {
      const value = (hit: RrfHit) => hit.breakdown[signal] ?? 0;
      const ranked = hits.filter((hit) => value(hit) > 0).sort((a, b) => value(b) - value(a));
      let rank = 0;
      ranked.forEach((hit, i) => {
        if (i === 0 || value(hit) !== value(ranked[i - 1] as RrfHit)) rank = i + 1;
        expected.set(hit, (expected.get(hit) ?? 0) + weight / (60 + rank));
      });
    }
    for (const hit of hits) expect(hit.score).toBeCloseTo(((expected.get(hit) ?? 0) * 61) / total, 9);
    const scores = hits.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('reads a message with the turns next to it in its conversation: (blend + β·neighbours) / (1 + β)', async () => {
    const e = 'rm-neighbours';
    const horse = 'Maple is my horse.';
    const syrup = 'Maple syrup on pancakes, maple butter and more maple.';
    const ride = 'You ride every weekend.';
    const first = await record({ entity: e, messages: [{ role: 'USER', content: horse }] });
    // Another conversation's turn is recorded between the two turns of the first: its id lies
    // between theirs, but it is not their neighbour.
    await record({ entity: e, messages: [{ role: 'USER', content: syrup }] });
    await record({
      entity: e,
      conversation: first.recordConversation.conversation.id,
      messages: [{ role: 'ASSISTANT', content: ride }],
    });
    await server.gql(REMEMBER, { input: { entity: e, content: 'Owns a horse called Maple' } });
    // Words only, and the neighbours as much as the rest: β = 1.
    const w = { semantic: 0, lexical: 1, mentions: 0, recency: 0, neighbours: 1 };
    const hits = (await server.gql(NEIGHBOURS, { e, q: 'Maple horse', first: 10, w })).recall;
    const hit = (content: string) => {
      const found = hits.find((h) => (h.message?.content ?? h.fact?.content) === content);
      expect(found, content).toBeDefined();
      return found as NeighbourHit;
    };
    // "You ride every weekend." is found by the turn before it (its index text holds it).
    expect(hit(ride).breakdown.lexical).toBeGreaterThan(0);
    expect(hit(syrup).breakdown.lexical).not.toBeCloseTo(hit(horse).breakdown.lexical, 3);
    expect(hit(ride).breakdown.neighbours).toBeCloseTo(hit(horse).breakdown.lexical, 9);
    expect(hit(horse).breakdown.neighbours).toBeCloseTo(hit(ride).breakdown.lexical, 9);
    expect(hit(syrup).breakdown.neighbours).toBe(0);
    for (const content of [horse, ride, syrup]) {
      const { score, breakdown } = hit(content);
      expect(score).toBeCloseTo((breakdown.lexical + (breakdown.neighbours ?? 0)) / 2, 9);
    }
    // A fact has no neighbours: its score is its blend.
    const fact = hit('Owns a horse called Maple');
    expect(fact.breakdown.neighbours).toBeNull();
    expect(fact.score).toBeCloseTo(fact.breakdown.lexical, 9);
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The page does not change the ranking: a page of 2 is the start of the page of 10.
    const two = (await server.gql(NEIGHBOURS, { e, q: 'Maple horse', first: 2, w })).recall;
    expect(two).toEqual(hits.slice(0, 2));
    // Weight 0: reported, but the score is the blend alone.
    const off = (await server.gql(NEIGHBOURS, { e, q: 'Maple horse', first: 10, w: { ...w, neighbours: 0 } }))
      .recall;
    const rideOff = off.find((h) => h.message?.content === ride) as NeighbourHit;
    expect(rideOff.breakdown.neighbours).toBeCloseTo(hit(horse).breakdown.lexical, 9);
    expect(rideOff.score).toBeCloseTo(rideOff.breakdown.lexical, 9);
  });

  it('refuses an empty sources list with a code', async () => {
    const result = await server.request(RECALL, { e: entity, q: 'Susie', s: [] });
    expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });

  it('counts messages in the index status, survives a rebuild, and verifies clean', async () => {
    const { semanticStatus } = await server.gql(STATUS, {});
    expect(semanticStatus.index.messages).toBe(await server.db.messageIndex.count());
    const before = await recall('How did Jolene come to have Susie?', { s: ['MESSAGE'] });
    await server.engram.index?.rebuild();
    expect(await recall('How did Jolene come to have Susie?', { s: ['MESSAGE'] })).toEqual(before);
    const report = await server.engram.index?.verify();
    expect(report).toMatchObject({ missing: [], orphans: [] });
  });

  it('forgets an erased entity’s messages', async () => {
    await record({ entity: 'rm-doomed', messages: [{ role: 'USER', content: 'My locker code is 4471.' }] });
    expect(await recall('locker code', { s: ['MESSAGE'] }, server, 'rm-doomed')).toHaveLength(1);
    await server.gql(ERASE, { input: { entity: 'rm-doomed' } });
    expect(await server.db.messageIndex.count({ where: { text: { contains: '4471' } } })).toBe(0);
    expect(await recall('locker code', { s: ['MESSAGE'] }, server, 'rm-doomed')).toEqual([]);
    const held = await server.engram.index?.describe();
    expect(held?.messages).toBe(await server.db.messageIndex.count());
  });
});

describe('MESSAGE_INDEX=off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ embedder: wordHashEmbedder(), env: { MESSAGE_INDEX: 'off' } });
  });
  afterAll(() => server?.close());

  it('indexes and embeds no message, and recall over messages finds none', async () => {
    const embedder = server.engram.embeddings;
    const before = embedder?.cacheStats().misses;
    await server.gql(RECORD, {
      input: { entity: 'rm-off', process: 'chat', messages: [{ role: 'USER', content: 'I like tea.' }] },
    });
    expect(await server.db.messageIndex.count()).toBe(0);
    expect(embedder?.cacheStats().misses).toBe(before);
    expect((await server.gql(RECALL, { e: 'rm-off', q: 'tea', s: ['MESSAGE'] })).recall).toEqual([]);
  });

  it('indexes the messages recorded meanwhile when asked (engram reindex --embed)', async () => {
    const recorded = await server.gql(RECORD, {
      input: {
        entity: 'rm-later',
        process: 'chat',
        messages: [
          { role: 'USER', content: 'Which city did you move to?' },
          { role: 'ASSISTANT', content: 'Lisbon, last spring.' },
        ],
      },
    });
    expect(recorded.recordConversation.conversation.messages.edges).toHaveLength(2);
    expect(await server.db.messageIndex.count()).toBe(0);
    const embeddings = server.engram.embeddings;
    if (!embeddings) throw new Error('the test server has an embedder');
    const indexed = await indexMissingMessages({
      db: server.db,
      embeddings,
      dimension: server.config.memory.dimension,
      mode: 'context',
    });
    // rm-off's message and these two.
    expect(indexed).toBe(3);
    const entry = await server.db.messageIndex.findFirst({
      where: { message: { content: 'Lisbon, last spring.' } },
    });
    expect(entry?.text).toBe('Which city did you move to?\nLisbon, last spring.');
    expect(entry?.embeddingDim).toBe(server.config.memory.dimension);
    await server.engram.index?.sync();
    const hits = (await server.gql(RECALL, { e: 'rm-later', q: 'which city', s: ['MESSAGE'] })).recall;
    expect(hits.map(text)).toContain('Lisbon, last spring.');
    expect(await indexMissingMessages({ db: server.db, embeddings, dimension: 384, mode: 'context' })).toBe(
      0,
    );
  });
});
