/**
 * One subscriber process of bench/live.ts: opens its share of the graphql-ws sockets (real
 * `graphql-ws` clients over `ws`, one socket and one `factChanged` subscription each) and stamps
 * every event it receives. Several of these run at once so that the subscribers' side (parsing
 * 10,000 frames per event) is spread over processes and is not what the benchmark measures.
 *
 * Driven over the IPC channel of child_process.fork; messages are {@link LiveRequest} and
 * {@link LiveReply}. Times are milliseconds on the wall clock (performance.timeOrigin + now()),
 * which every process of the machine shares, so the parent can subtract its own write times.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { LIVE_SUBSCRIPTION, type LiveReply, type LiveRequest, type Slot } from './live-protocol.ts';

const now = () => performance.timeOrigin + performance.now();

function send(message: LiveReply): void {
  process.send?.(message);
}

interface Socket {
  client: Client;
  entity: string;
  server: number;
  unsubscribe: (() => void) | null;
  live: boolean;
}

if (!process.send) {
  process.stderr.write('bench/lib/live-client.ts is started by bench/live.ts (it needs the IPC channel)\n');
  process.exit(2);
}

let urls: string[] = [];
let authorization = '';
let concurrency = 50;
const sockets = new Map<number, Socket>();
/** Live subscriptions per entity: what an event for that entity should reach here. */
const following = new Map<string, number>();
/** Receipt times (and the server of each receiving socket) by event sequence number. */
const receipts = new Map<number, { times: number[]; servers: number[] }>();
/** Events the parent waits for: how many receipts complete them. */
const expected = new Map<number, number>();
let dropped = 0;

const follow = (entity: string, delta: number) => {
  const count = (following.get(entity) ?? 0) + delta;
  if (count > 0) following.set(entity, count);
  else following.delete(entity);
};

function finish(seq: number): void {
  const want = expected.get(seq);
  if (want === undefined) return;
  expected.delete(seq);
  const got = receipts.get(seq) ?? { times: [], servers: [] };
  receipts.delete(seq);
  send({ type: 'got', seq, expected: want, ...got });
}

function subscribe(socket: Socket): void {
  socket.unsubscribe = socket.client.subscribe<{ factChanged: { fact: { content: string } } }>(
    { query: LIVE_SUBSCRIPTION, variables: { e: socket.entity } },
    {
      next: (result) => {
        const at = now();
        const content = result.data?.factChanged.fact.content;
        if (!content) return;
        const seq = Number(content.slice(content.lastIndexOf(' ') + 1));
        let got = receipts.get(seq);
        if (!got) {
          got = { times: [], servers: [] };
          receipts.set(seq, got);
        }
        got.times.push(at);
        got.servers.push(socket.server);
        if (got.times.length === expected.get(seq)) finish(seq);
      },
      error: () => {
        if (socket.live) {
          socket.live = false;
          dropped += 1;
          follow(socket.entity, -1);
        }
      },
      complete: () => {},
    },
  );
}

/** Opens one socket and resolves once the server acknowledged `connection_init` (or it failed). */
function open(slot: Slot): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (error: string | null) => {
      if (settled) return;
      settled = true;
      resolve(error);
    };
    const client = createClient({
      url: urls[slot.server] as string,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: (error) => settle(describe(error)),
    });
    const socket: Socket = {
      client,
      entity: slot.entity,
      server: slot.server,
      unsubscribe: null,
      live: false,
    };
    client.on('connected', () => {
      sockets.set(slot.id, socket);
      socket.live = true;
      follow(slot.entity, 1);
      subscribe(socket);
      settle(null);
    });
    client.on('closed', (event) => {
      if (socket.live) {
        socket.live = false;
        dropped += 1;
        follow(socket.entity, -1);
      }
      settle(describe(event));
    });
  });
}

function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error)
    return `closed ${String(error.code)} ${String(error.reason)}`;
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}

async function connect(slots: Slot[]): Promise<void> {
  let connected = 0;
  let failed = 0;
  let firstError: string | null = null;
  let next = 0;
  const timer = setInterval(() => send({ type: 'progress', connected, failed }), 250);
  const worker = async () => {
    while (next < slots.length) {
      const slot = slots[next] as Slot;
      next += 1;
      const error = await open(slot);
      if (error === null) connected += 1;
      else {
        failed += 1;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, slots.length) }, worker));
  clearInterval(timer);
  send({ type: 'connected', connected, failed, firstError });
}

process.on('message', (message: LiveRequest) => {
  switch (message.type) {
    case 'init':
      urls = message.urls;
      authorization = message.authorization;
      concurrency = message.concurrency;
      break;
    case 'connect':
      void connect(message.slots);
      break;
    case 'resubscribe': {
      let count = 0;
      for (const slot of message.slots) {
        const socket = sockets.get(slot.id);
        if (!socket?.live) continue;
        socket.unsubscribe?.();
        follow(socket.entity, -1);
        socket.entity = slot.entity;
        follow(socket.entity, 1);
        subscribe(socket);
        count += 1;
      }
      send({ type: 'resubscribed', count });
      break;
    }
    case 'expect':
      for (const { seq, entity } of message.events) {
        expected.set(seq, following.get(entity) ?? 0);
        // Some (or all) may be here already; an event nobody here follows is complete at once.
        if ((receipts.get(seq)?.times.length ?? 0) >= (expected.get(seq) ?? 0)) finish(seq);
      }
      break;
    case 'collect':
      for (const seq of message.seqs) finish(seq);
      break;
    case 'cpu': {
      const usage = process.cpuUsage();
      send({ type: 'cpu', micros: usage.user + usage.system, dropped });
      break;
    }
    case 'close':
      void Promise.all([...sockets.values()].map((socket) => socket.client.dispose())).finally(() => {
        send({ type: 'closed' });
        process.disconnect();
      });
      break;
  }
});

// Without the parent nobody reads the figures; never linger as an orphan with open sockets.
process.on('disconnect', () => process.exit(0));
