import { afterEach, describe, expect, it } from 'vitest';
import { ThreadCallError, ThreadClient } from '../src/runtime/thread-client.ts';

interface TestCalls {
  add: (a: number, b: number) => number;
  later: (value: string, ms: number) => string;
  fail: () => never;
  vectors: (n: number) => Float32Array;
  announce: (event: string) => string;
  exit: (code: number) => never;
  hang: () => never;
}

const clients: ThreadClient<TestCalls>[] = [];

function client(overrides: { onEvent?: (event: unknown) => void; onExit?: (reason: string) => void } = {}) {
  const created = new ThreadClient<TestCalls>({
    url: new URL('./fixtures/test-thread.mjs', import.meta.url),
    label: 'test thread',
    ...overrides,
  });
  clients.push(created);
  return created;
}

// The protocol touches no database: run it once, in the SQLite project.
describe('thread client (the one worker-thread protocol)', () => {
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((each) => each.stop(new Error('test over'))));
  });

  it('starts the thread on the first call and matches each answer to its call', async () => {
    const thread = client();
    expect(thread.running).toBe(false);
    const slow = thread.call('later', 'slow', 50);
    const fast = thread.call('later', 'fast', 0);
    expect(thread.running).toBe(true);
    expect(await Promise.all([slow, fast, thread.call('add', 2, 3)])).toEqual(['slow', 'fast', 5]);
  });

  it("carries the thread's errors back, cause included, and goes on serving", async () => {
    const thread = client();
    const error = await thread.call('fail').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ThreadCallError);
    expect((error as ThreadCallError).remote.message).toBe('it broke (the reason)');
    expect((error as ThreadCallError).message).toMatch(/^test thread: Error: it broke/);
    expect(await thread.call('add', 1, 1)).toBe(2);
  });

  it('hands events to onEvent before the answer, and moves buffers', async () => {
    const events: unknown[] = [];
    const thread = client({ onEvent: (event) => events.push(event) });
    expect(await thread.call('announce', 'hello')).toBe('announced');
    expect(events).toEqual(['hello']);
    expect(Array.from(await thread.call('vectors', 3))).toEqual([0, 1, 2]);
  });

  it('reports a thread that dies, rejects what waited on it, and starts a new one on the next call', async () => {
    const reasons: string[] = [];
    const thread = client({ onExit: (reason) => reasons.push(reason) });
    const waiting = thread.call('hang').catch((error: unknown) => error);
    await expect(thread.call('exit', 3)).rejects.toThrow('test thread stopped (exited with code 3)');
    expect(await waiting).toMatchObject({ message: 'test thread stopped (exited with code 3)' });
    expect(reasons).toEqual(['exited with code 3']);
    expect(thread.running).toBe(false);
    expect(await thread.call('add', 20, 22)).toBe(42);
    // terminate() ends it the way a crash does.
    await thread.terminate();
    expect(reasons).toEqual(['exited with code 3', 'exited with code 1']);
  });

  it('stops on purpose: what waits is rejected with the reason given, and no exit is reported', async () => {
    const reasons: string[] = [];
    const thread = client({ onExit: (reason) => reasons.push(reason) });
    const waiting = thread.call('hang').catch((error: unknown) => error);
    await thread.call('add', 0, 0);
    await thread.stop(new Error('closing'));
    expect(await waiting).toMatchObject({ message: 'closing' });
    expect(reasons).toEqual([]);
    expect(thread.running).toBe(false);
  });
});
