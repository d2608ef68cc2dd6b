import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useDeadline } from '../src/http/deadline.ts';
import { maskError } from '../src/http/mask-error.ts';

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the execution deadline, on a test-only slow schema', () => {
  const calls: string[] = [];
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: `type Query { slow(ms: Int!): Slow }
        type Slow { after: Int }
        type Mutation { step(name: String!, ms: Int!): Int }`,
      resolvers: {
        Query: { slow: async (_: unknown, args: { ms: number }) => sleep(args.ms).then(() => ({})) },
        Slow: {
          after: () => {
            calls.push('after');
            return 1;
          },
        },
        Mutation: {
          step: async (_: unknown, args: { name: string; ms: number }) => {
            calls.push(args.name);
            await sleep(args.ms);
            return args.ms;
          },
        },
      },
    }),
    plugins: [useDeadline({ timeoutMs: 100 })],
    maskedErrors: { maskError },
    logging: false,
  });
  const run = async (query: string) => {
    const started = performance.now();
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query }),
    });
    return { body: (await response.json()) as Body, ms: performance.now() - started };
  };

  it('answers a query at the deadline, and the resolvers below do not start afterwards', async () => {
    calls.length = 0;
    const { body, ms } = await run('{ slow(ms: 400) { after } }');
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'REQUEST_TIMEOUT', timeoutMs: 100 });
    expect(ms).toBeLessThan(350);
    await sleep(500);
    expect(calls).toEqual([]);
    // The next request has its own deadline.
    expect((await run('{ slow(ms: 0) { after } }')).body).toEqual({ data: { slow: { after: 1 } } });
  });

  it('lets a running mutation field finish, starts no other, and then answers REQUEST_TIMEOUT', async () => {
    calls.length = 0;
    const { body, ms } = await run('mutation { a: step(name: "a", ms: 200) b: step(name: "b", ms: 0) }');
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(calls).toEqual(['a']);
    expect(body).toMatchObject({ data: null, errors: [{ extensions: { code: 'REQUEST_TIMEOUT' } }] });
    calls.length = 0;
    expect((await run('mutation { a: step(name: "a", ms: 0) b: step(name: "b", ms: 0) }')).body.data).toEqual(
      {
        a: 0,
        b: 0,
      },
    );
  });
});
