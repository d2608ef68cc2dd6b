/**
 * The subscriber processes of bench/live.ts (lib/live-client.ts) seen from the benchmark: started
 * with fork, given sockets to open, told which events to expect, and asked for their receipts.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LiveReply, LiveRequest, Slot } from './live-protocol.ts';

/** What one event's subscribers reported: how many should have had it, and when each did. */
export interface Receipts {
  expected: number;
  times: number[];
  /** The server of each receipt's socket (same order as `times`). */
  servers: number[];
}

export class LiveClients {
  private readonly handlers = new Set<(worker: number, reply: LiveReply) => void>();
  private readonly exited: Promise<unknown>[];
  private gone: Error | null = null;

  private constructor(private readonly children: ChildProcess[]) {
    this.exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    children.forEach((child, index) => {
      child.on('message', (reply: LiveReply) => {
        for (const handler of [...this.handlers]) handler(index, reply);
      });
      child.once('exit', (code, signal) => {
        this.gone ??= new Error(`subscriber process ${index} exited (code ${code}, signal ${signal})`);
        for (const handler of [...this.handlers]) handler(index, { type: 'closed' });
      });
    });
  }

  static start(
    count: number,
    init: { urls: string[]; authorization: string; concurrency: number },
  ): LiveClients {
    const script = fileURLToPath(new URL('./live-client.ts', import.meta.url));
    const children = Array.from({ length: count }, () =>
      fork(script, [], {
        execArgv: ['--import', import.meta.resolve('tsx')],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const clients = new LiveClients(children);
    clients.broadcast({ type: 'init', ...init });
    return clients;
  }

  get size(): number {
    return this.children.length;
  }

  private send(worker: number, message: LiveRequest): void {
    const child = this.children[worker] as ChildProcess;
    if (child.connected) child.send(message);
  }

  private broadcast(message: LiveRequest): void {
    for (let i = 0; i < this.children.length; i += 1) this.send(i, message);
  }

  /**
   * Sends each process its part of `slots` and resolves once all have tried to connect them;
   * `progress` hears the running totals.
   */
  connect(
    slotsByWorker: Slot[][],
    progress: (connected: number, failed: number) => void,
  ): Promise<{ connected: number; failed: number; firstError: string | null }> {
    return new Promise((resolve, reject) => {
      const counts = slotsByWorker.map(() => ({ connected: 0, failed: 0, done: false }));
      let firstError: string | null = null;
      const total = () => ({
        connected: counts.reduce((sum, c) => sum + c.connected, 0),
        failed: counts.reduce((sum, c) => sum + c.failed, 0),
      });
      const handler = (worker: number, reply: LiveReply) => {
        const count = counts[worker];
        if (!count) return;
        if (reply.type === 'closed') {
          this.handlers.delete(handler);
          reject(this.gone ?? new Error('a subscriber process went away while connecting'));
          return;
        }
        if (reply.type !== 'progress' && reply.type !== 'connected') return;
        count.connected = reply.connected;
        count.failed = reply.failed;
        if (reply.type === 'connected') {
          count.done = true;
          firstError ??= reply.firstError;
        }
        const sum = total();
        progress(sum.connected, sum.failed);
        if (counts.every((c) => c.done)) {
          this.handlers.delete(handler);
          resolve({ ...sum, firstError });
        }
      };
      this.handlers.add(handler);
      slotsByWorker.forEach((slots, worker) => {
        if (slots.length) this.send(worker, { type: 'connect', slots });
        else {
          (counts[worker] as { done: boolean }).done = true;
        }
      });
      if (counts.every((c) => c.done)) {
        this.handlers.delete(handler);
        resolve({ connected: 0, failed: 0, firstError: null });
      }
    });
  }

  /** Moves subscriptions to other entities; resolves with how many moved. */
  resubscribe(slotsByWorker: Slot[][]): Promise<number> {
    return this.gather(
      slotsByWorker.map((slots) => ({ type: 'resubscribe', slots })),
      (reply) => (reply.type === 'resubscribed' ? reply.count : null),
    ).then((counts) => counts.reduce((a, b) => a + b, 0));
  }

  /**
   * Announces events about to be written; resolves, per event, with every process's receipts
   * once all of them are complete, or after `timeoutMs` with what arrived by then.
   */
  expect(events: { seq: number; entity: string }[], timeoutMs: number): Promise<Map<number, Receipts>> {
    return new Promise((resolve, reject) => {
      const result = new Map<number, Receipts>(
        events.map((e) => [e.seq, { expected: 0, times: [], servers: [] }]),
      );
      const waiting = new Map<number, number>(events.map((e) => [e.seq, this.children.length]));
      let left = events.length * this.children.length;
      const done = () => {
        clearTimeout(timer);
        this.handlers.delete(handler);
        resolve(result);
      };
      const handler = (_worker: number, reply: LiveReply) => {
        if (reply.type === 'closed') {
          clearTimeout(timer);
          this.handlers.delete(handler);
          reject(this.gone ?? new Error('a subscriber process went away'));
          return;
        }
        if (reply.type !== 'got') return;
        const receipts = result.get(reply.seq);
        const count = waiting.get(reply.seq);
        if (!receipts || !count) return;
        waiting.set(reply.seq, count - 1);
        receipts.expected += reply.expected;
        for (const time of reply.times) receipts.times.push(time);
        for (const server of reply.servers) receipts.servers.push(server);
        left -= 1;
        if (left === 0) done();
      };
      const timer = setTimeout(() => {
        this.broadcast({ type: 'collect', seqs: events.map((e) => e.seq) });
      }, timeoutMs);
      this.handlers.add(handler);
      if (left === 0) done();
      else this.broadcast({ type: 'expect', events });
    });
  }

  /** CPU time of all subscriber processes (microseconds) and sockets dropped after connecting. */
  async usage(): Promise<{ micros: number; dropped: number }> {
    const replies = await this.gather(
      this.children.map(() => ({ type: 'cpu' })),
      (reply) => (reply.type === 'cpu' ? reply : null),
    );
    return {
      micros: replies.reduce((sum, r) => sum + r.micros, 0),
      dropped: replies.reduce((sum, r) => sum + r.dropped, 0),
    };
  }

  /** Sends each process its message and collects one reply of a kind from each. */
  private gather<T>(messages: LiveRequest[], pick: (reply: LiveReply) => T | null): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const replies: (T | undefined)[] = messages.map(() => undefined);
      let left = messages.length;
      const handler = (worker: number, reply: LiveReply) => {
        if (reply.type === 'closed') {
          this.handlers.delete(handler);
          reject(this.gone ?? new Error('a subscriber process went away'));
          return;
        }
        const value = pick(reply);
        if (value === null || replies[worker] !== undefined) return;
        replies[worker] = value;
        left -= 1;
        if (left === 0) {
          this.handlers.delete(handler);
          resolve(replies as T[]);
        }
      };
      this.handlers.add(handler);
      messages.forEach((message, worker) => {
        this.send(worker, message);
      });
    });
  }

  /** Closes every socket (graphql-ws `dispose`) and waits for the processes to exit. */
  async close(): Promise<void> {
    this.broadcast({ type: 'close' });
    const timer = setTimeout(() => this.kill(), 30_000);
    await Promise.all(this.exited);
    clearTimeout(timer);
  }

  kill(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
