import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecallForDocument, RememberFactDocument } from '../client-codegen/generated/graphql.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { seeded, wordHashEmbedder } from './helpers/vectors.ts';

// Words the facts share with the questions: each fact draws a few, so BM25 and the word-hash
// vectors rank hundreds of candidates, more than any small page holds.
const TOPICS = 'coffee tea garden morning running book piano travel sister dog'.split(' ');
const FILLER = 'often sometimes likes enjoys remembers mentions prefers tried'.split(' ');
const FACTS = 240;

const QUESTIONS = [
  'coffee in the morning',
  'does she play piano or read a book',
  'travel with her sister',
  'garden dog running tea',
  'what about the weekend',
];

type Hit = Awaited<ReturnType<typeof recall>>[number];

let server: TestServer;

function recall(query: string, first: number) {
  return server.gql(RecallForDocument, { entity: 'stable', query, first }).then((result) => result.recall);
}

/** The part of a hit that must not depend on the page size. */
const shape = (hit: Hit) => ({ id: hit.fact?.id, score: hit.score, breakdown: hit.breakdown });

function expectSamePrefix(short: Hit[], long: Hit[]) {
  const head = long.slice(0, short.length);
  expect(head.map((hit) => hit.fact?.id)).toEqual(short.map((hit) => hit.fact?.id));
  // Recency is computed against the clock at each request: requests a few milliseconds apart see
  // it move by ~1e-9, so it and the score are compared to 6 decimals, everything else exactly.
  head.forEach((hit, i) => {
    const other = short[i] as Hit;
    expect(hit.score).toBeCloseTo(other.score, 6);
    expect(hit.breakdown.semantic).toBe(other.breakdown.semantic);
    expect(hit.breakdown.lexical).toBe(other.breakdown.lexical);
    expect(hit.breakdown.mentions).toBe(other.breakdown.mentions);
    expect(hit.breakdown.recency).toBeCloseTo(other.breakdown.recency, 6);
  });
}

describe('recall ranks the same whatever page size is asked', () => {
  beforeAll(async () => {
    server = await startTestServer({ embedder: wordHashEmbedder() });
    const random = seeded(18);
    const pick = (words: string[]) => words[Math.floor(random() * words.length)] as string;
    const ids: string[] = [];
    for (let i = 0; i < FACTS; i++) {
      const words = [pick(TOPICS), pick(FILLER), pick(TOPICS), ...(random() < 0.3 ? [pick(TOPICS)] : [])];
      const created = await server.gql(RememberFactDocument, {
        input: { entity: 'stable', content: `Fact ${i}: ${words.join(' ')}` },
      });
      if (created.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('not remembered');
      ids.push(created.rememberFact.fact.id);
    }
    // Mentions and recency vary, and the most mentioned facts are weak matches: if candidates or
    // normalisation depended on the page, a bigger page would bring them in and rescale everyone.
    const facts = await server.db.entityFact.findMany({ orderBy: { id: 'asc' } });
    const now = Date.now();
    await Promise.all(
      facts.map((fact, i) =>
        server.db.entityFact.update({
          where: { id: fact.id },
          data: {
            mentionCount: i % 37 === 36 ? 60 + i : 1 + Math.floor(random() * 8),
            lastMentionedAt: new Date(now - Math.floor(random() * 120) * 86_400_000),
          },
        }),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('gives the first 10 of first:100 exactly as first:10, scores and breakdowns included', async () => {
    for (const question of QUESTIONS) {
      const ten = await recall(question, 10);
      const hundred = await recall(question, 100);
      expect(ten).toHaveLength(10);
      expect(hundred.length).toBeGreaterThan(10);
      expectSamePrefix(ten, hundred);
      expect(hundred.map(shape).map((hit) => hit.score)).toEqual(
        [...hundred.map((hit) => hit.score)].sort((a, b) => b - a),
      );
    }
  });

  it('keeps every page size a prefix of the next (1, 3, 25, 60, 100)', async () => {
    const question = QUESTIONS[3] as string;
    const pages = [];
    for (const first of [1, 3, 25, 60, 100]) pages.push(await recall(question, first));
    for (let i = 1; i < pages.length; i++) expectSamePrefix(pages[i - 1] as Hit[], pages[i] as Hit[]);
  });

  it('stays stable with custom weights that lean on mentions', async () => {
    const weights = { semantic: 0.2, lexical: 0.2, mentions: 0.5, recency: 0.1 };
    const ask = (first: number) =>
      server
        .gql(RecallForDocument, { entity: 'stable', query: QUESTIONS[0] as string, first, weights })
        .then((result) => result.recall);
    expectSamePrefix(await ask(10), await ask(100));
  });
});
