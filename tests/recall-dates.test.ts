import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

const doc = <R, V = Record<string, unknown>>(text: string) => parse(text) as TypedDocumentNode<R, V>;

const RECORD = doc<{
  recordConversation: { conversation: { messages: { edges: { node: { id: string } }[] } } };
}>(`mutation($input: RecordConversationInput!) { recordConversation(input: $input) {
  ... on RecordConversationSuccess { conversation { messages(first: 50) { edges { node { id } } } } } } }`);
const REMEMBER = doc<{ rememberFact: { __typename: string } }>(`mutation($input: RememberFactInput!) {
  rememberFact(input: $input) { __typename } }`);

interface Hit {
  score: number;
  fact: { content: string };
  breakdown: { lexical: number; time: number | null; timeMatch: string | null };
}
const RECALL = doc<{ recall: Hit[] }>(`query($e: String!, $q: String!, $first: Int, $w: RecallWeightsInput) {
  recall(entity: $e, query: $q, first: $first, weights: $w) { score fact { content }
    breakdown { lexical time timeMatch } } }`);

/** Sessions of an entity, each said on its day: [day, turns]. */
const SESSIONS: [string, string[]][] = [
  ['2023-11-20T18:00:00Z', ['Sam: I started a new diet plan today.', 'Evan: Good luck with it!']],
  ['2023-12-05T13:00:00Z', ['Sam: I attended a Weight Watchers meeting yesterday.', 'Evan: How did it go?']],
  ['2023-12-05T13:05:00Z', ['Sam: The coach was really kind.', 'Evan: Nice to hear.']],
  ['2024-02-10T09:00:00Z', ['Sam: We went skiing in the Alps.', 'Evan: Sounds fun.']],
];

describe('time-aware recall', () => {
  let server: TestServer;
  const entity = 'recall-dates-sam';

  beforeAll(async () => {
    server = await startTestServer({ env: { AUGMENTATION: 'off' } });
    for (const [day, turns] of SESSIONS) {
      const recorded = await server.gql(RECORD, {
        input: {
          entity,
          process: 'importer',
          messages: turns.map((content, i) => ({
            role: i % 2 ? 'ASSISTANT' : 'USER',
            content,
            createdAt: new Date(Date.parse(day) + i * 1000).toISOString(),
          })),
        },
      });
      const ids = recorded.recordConversation.conversation.messages.edges.map((edge) => edge.node.id);
      for (const [i, content] of turns.entries()) {
        await server.gql(REMEMBER, { input: { entity, content, source: ids[i] } });
      }
    }
  });
  afterAll(() => server.close());

  const recall = async (q: string, extra: Record<string, unknown> = {}) =>
    (await server.gql(RECALL, { e: entity, q, ...extra })).recall;

  it('finds what was said about a day named in the question, with no word in common', async () => {
    const hits = await recall('What was Sam doing on December 4, 2023?', { first: 3 });
    expect(hits[0]?.fact.content).toBe('Sam: I attended a Weight Watchers meeting yesterday.');
    expect(hits[0]?.breakdown.time).toBe(1);
    expect(hits[0]?.breakdown.timeMatch).toMatch(/December 4, 2023 ~ yesterday \(2023-12-04\)/);
    // Said the next day: near, but not the day asked.
    const nextDay = hits.find((hit) => hit.fact.content === 'Sam: The coach was really kind.');
    expect(nextDay?.breakdown.time).toBeGreaterThan(0.5);
    expect(nextDay?.breakdown.time).toBeLessThan(1);
  });

  it('matches a month named without its year, and a year', async () => {
    const [february] = await recall('What did Sam do in February?', { first: 1 });
    expect(february?.fact.content).toMatch(/skiing|Sounds fun/);
    expect(february?.breakdown.time).toBe(1);
    const hits = await recall('What did Sam start in November 2023?', { first: 2 });
    expect(hits.map((hit) => hit.fact.content)).toContain('Sam: I started a new diet plan today.');
  });

  it('leaves the time part out for a question that names no period', async () => {
    const hits = await recall('Weight Watchers meeting', { first: 5 });
    expect(hits[0]?.fact.content).toBe('Sam: I attended a Weight Watchers meeting yesterday.');
    for (const hit of hits) {
      expect(hit.breakdown.time).toBeNull();
      expect(hit.breakdown.timeMatch).toBeNull();
    }
  });

  it('ranks by time only as much as its weight says', async () => {
    const question = 'What did Sam say about skiing on December 5, 2023?';
    const weighted = await recall(question, { first: 1 });
    const wordsOnly = await recall(question, { first: 1, w: { time: 0 } });
    expect(wordsOnly[0]?.fact.content).toBe('Sam: We went skiing in the Alps.');
    expect(weighted[0]?.breakdown.time).not.toBeNull();
    const timeOnly = await recall(question, {
      first: 1,
      w: { semantic: 0, lexical: 0, mentions: 0, recency: 0 },
    });
    expect(timeOnly[0]?.breakdown.time).toBe(1);
    expect(timeOnly[0]?.fact.content).not.toBe('Sam: We went skiing in the Alps.');
  });

  it('gives the same scores whatever the page size', async () => {
    const question = 'What was Sam doing on December 4, 2023?';
    const small = await recall(question, { first: 2 });
    const large = await recall(question, { first: 8 });
    const strip = (hits: Hit[]) => hits.map(({ score, ...rest }) => ({ ...rest, score: score.toFixed(6) }));
    // Scores move by recency between the two calls (time passes), by far less than 1e-6.
    expect(strip(large.slice(0, 2))).toEqual(strip(small));
  });
});
