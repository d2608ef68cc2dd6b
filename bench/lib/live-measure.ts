/**
 * What bench/live.ts measures around the sockets: the server's resident memory read from /proc,
 * the open-files limit the sockets need, Redis reachability for `--processes 2`, and the
 * figures of a list of delivered events.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Receipts } from './live-clients.ts';
import { percentile } from './load.ts';

/** The wall clock with sub-millisecond resolution, the same in every process of the machine. */
export const wallNow = () => performance.timeOrigin + performance.now();

/** VmRSS of a process in bytes (null when /proc is not there, e.g. not Linux). */
export function residentBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The soft and hard open-files limits of this process (children inherit them). */
export function openFilesLimit(): { soft: number; hard: number } | null {
  try {
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!match) return null;
    const value = (raw: string) => (raw === 'unlimited' ? Number.POSITIVE_INFINITY : Number(raw));
    return { soft: value(match[1] as string), hard: value(match[2] as string) };
  } catch {
    return null;
  }
}

/** Resolves when a TCP connection to the URL's host and port opens, rejects after `timeoutMs`. */
export function reachable(url: string, defaultPort: number, timeoutMs = 2000): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${hostname}:${port || defaultPort} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** One written event: when its write was sent and acknowledged, and who received it when. */
export interface Delivered {
  sentAt: number;
  ackAt: number;
  /** When the server published it to its event bus (null when the server did not say). */
  publishedAt: number | null;
  receipts: Receipts;
  /** Events written together (a burst) share a number. */
  group: number;
}

const round = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

const quantiles = (values: number[]) => {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN),
  };
};

/**
 * The figures of a scenario. "last" is, per event, the time until its last subscriber had it,
 * counted from its publication on the server's event bus (the goal's measure), from the write's
 * HTTP acknowledgement (which the server sends only after its own share of the fan-out, so it
 * comes late and flatters), and from the moment the write was sent (which adds the write itself);
 * "each" is every single delivery from the publication. "group" is, per burst, from the first
 * write sent to the last delivery of any of its events.
 */
export function deliveryFigures(events: Delivered[], servers = 1) {
  let expected = 0;
  let received = 0;
  const lastFromPublish: number[] = [];
  /** Per server: the last of its subscribers, from publication (two servers: local and relayed). */
  const lastByServer: number[][] = Array.from({ length: servers }, () => []);
  const lastFromAck: number[] = [];
  const lastFromSend: number[] = [];
  const all: number[] = [];
  const write: number[] = [];
  const groups = new Map<number, { start: number; end: number }>();
  for (const event of events) {
    expected += event.receipts.expected;
    received += event.receipts.times.length;
    write.push(event.ackAt - event.sentAt);
    let last = Number.NEGATIVE_INFINITY;
    const from = event.publishedAt;
    const lastOf = lastByServer.map(() => Number.NEGATIVE_INFINITY);
    event.receipts.times.forEach((time, i) => {
      if (time > last) last = time;
      if (from !== null) all.push(time - from);
      const server = event.receipts.servers[i] ?? 0;
      if (time > (lastOf[server] ?? Number.POSITIVE_INFINITY)) lastOf[server] = time;
    });
    if (from !== null)
      lastOf.forEach((time, server) => {
        if (Number.isFinite(time)) lastByServer[server]?.push(time - from);
      });
    if (event.receipts.times.length) {
      if (from !== null) lastFromPublish.push(last - from);
      lastFromAck.push(last - event.ackAt);
      lastFromSend.push(last - event.sentAt);
    }
    const group = groups.get(event.group) ?? { start: event.sentAt, end: last };
    group.start = Math.min(group.start, event.sentAt);
    group.end = Math.max(group.end, last);
    groups.set(event.group, group);
  }
  return {
    events: events.length,
    expected_deliveries: expected,
    deliveries: received,
    missing: expected - received,
    last_from_publish_ms: quantiles(lastFromPublish),
    last_from_ack_ms: quantiles(lastFromAck),
    /** With two servers: [the written one's subscribers, the other's (through the event bus)]. */
    last_from_publish_ms_by_server: servers > 1 ? lastByServer.map(quantiles) : null,
    last_from_send_ms: quantiles(lastFromSend),
    each_from_publish_ms: quantiles(all),
    write_ms: quantiles(write),
    group_ms: quantiles([...groups.values()].map((g) => g.end - g.start)),
  };
}

export type DeliveryFigures = ReturnType<typeof deliveryFigures>;
