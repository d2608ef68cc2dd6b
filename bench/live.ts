/**
 * `npm run bench:live`: fan-out of subscription events to many graphql-ws subscribers.
 *
 * Starts Engram in its own process (bench/lib/server.ts: production settings, one API key) on a
 * new, empty database, and subscriber processes (bench/lib/live-client.ts) that open
 * `--subscribers` real graphql-ws sockets to it, one `factChanged(entity:)` subscription each.
 * Server RSS (/proc/<pid>/status VmRSS) is read with 0, 1,000, 5,000 and 10,000 subscribers
 * (those below `--subscribers`, and `--subscribers` itself). Then two scenarios, each for
 * `--seconds`, each after a warm-up event that every subscriber must receive:
 *   - one-to-all: every subscriber follows one entity; one `rememberFact` at a time is written to
 *     it, and the next one once the last subscriber has the event (and `--gap-ms` passed);
 *   - bursts: the subscribers follow `--subscribers / --per-topic` entities (10 each by default,
 *     moved on the same sockets); `--burst` entities are written to at once, again and again.
 * Reported per scenario: latency to the last subscriber of each event (from the write's HTTP
 * acknowledgement, and from its sending), every delivery's latency, the writes' own latency,
 * server CPU per delivered event and the subscriber processes' CPU per delivered event.
 *
 * `--processes 2` starts two servers with EVENT_BUS=redis and REDIS_URL, splits the subscribers
 * half and half and writes to the first: events reach the second only through Redis. A probe
 * event is sent first; when the second server does not relay it (a build without the
 * cross-process bus ignores EVENT_BUS), the run stops and says so.
 *
 * Progress goes to stderr; stdout gets the tables and, last, one JSON line.
 */
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { BENCH_AUTHORIZATION } from './lib/env.ts';
import { createFreshDatabase, type FreshDatabase } from './lib/fresh-database.ts';
import { LiveClients } from './lib/live-clients.ts';
import {
  type Delivered,
  type DeliveryFigures,
  deliveryFigures,
  openFilesLimit,
  reachable,
  residentBytes,
  wallNow,
} from './lib/live-measure.ts';
import { type LiveOptions, type LiveScenario, parseLiveOptions } from './lib/live-options.ts';
import { LIVE_SUBSCRIPTION, liveContent, type Slot } from './lib/live-protocol.ts';
import { postGraphql } from './lib/load.ts';
import { seededRandom } from './lib/random.ts';
import { ServerProcess } from './lib/server-process.ts';
import { out, progress } from './lib/stdio.ts';

const WRITE = `mutation Write($input: RememberFactInput!) {
  rememberFact(input: $input) { __typename ... on RememberFactSuccess { kind } } }`;

/** The goal the issue sets: one event to 10,000 subscribers of one process. */
const GOAL = { subscribers: 10_000, p99Ms: 250, rssBytes: 1024 ** 3 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () => loadavg().map((value) => Number(value.toFixed(2)));
const mb = (bytes: number | null) => (bytes === null ? null : Number((bytes / 1024 ** 2).toFixed(1)));
const thousands = (n: number) => n.toLocaleString('en-US');

class LiveBenchError extends Error {}

interface Servers {
  list: { server: ServerProcess; port: number }[];
  rss(): (number | null)[];
  cpuMicros(): Promise<number>;
  /** Publication times on the first server (the one written to), by fact content. */
  publishedAt(contents: string[]): Promise<(number | null)[]>;
}

async function startServers(options: LiveOptions, databaseUrl: string): Promise<Servers> {
  const env: Record<string, string> = {
    // All sockets carry the one bench key: the per-principal budget must hold them all.
    WS_MAX_SOCKETS_PER_PRINCIPAL: String(options.subscribers + 100),
    // Thousands of sockets opening at once on a loaded machine may take more than the 3 s default
    // to get their connection_init read.
    WS_INIT_TIMEOUT_MS: '30000',
    // The server notes when it publishes each event: the latencies count from there.
    BENCH_PUBLISH_TIMES: 'on',
    ...(options.processes === 2 ? { EVENT_BUS: 'redis', REDIS_URL: options.redisUrl } : {}),
  };
  const list: Servers['list'] = [];
  try {
    for (let i = 0; i < options.processes; i += 1) {
      list.push(
        await ServerProcess.start(databaseUrl, {
          env,
          nodeFlags: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [],
        }),
      );
    }
  } catch (error) {
    for (const started of list) started.server.kill();
    const hint =
      options.processes === 2
        ? ' (with EVENT_BUS=redis: a build that refuses that setting stops here, see the server output above)'
        : '';
    throw new LiveBenchError(`an Engram server did not start${hint}: ${String(error)}`);
  }
  return {
    list,
    rss: () => list.map(({ server }) => residentBytes(server.pid)),
    cpuMicros: async () =>
      (await Promise.all(list.map(({ server }) => server.cpuMicros()))).reduce((a, b) => a + b),
    publishedAt: (contents) => (list[0] as { server: ServerProcess }).server.publishedAt(contents),
  };
}

/** Writes one fact; resolves with when it was sent and acknowledged. */
async function write(
  target: { agent: Agent; port: number },
  entity: string,
  content: string,
): Promise<{ sentAt: number; ackAt: number }> {
  const sentAt = wallNow();
  const { status, text } = await postGraphql(
    target,
    JSON.stringify({ query: WRITE, variables: { input: { entity, content } } }),
  );
  const ackAt = wallNow();
  if (status !== 200 || !text.includes('"RememberFactSuccess"'))
    throw new LiveBenchError(`rememberFact failed: HTTP ${status}: ${text.slice(0, 300)}`);
  return { sentAt, ackAt };
}

/**
 * `--processes 2`: one subscriber on the second server, one write to the first. Without a
 * cross-process event bus (EVENT_BUS ignored, or Redis not relaying) nothing arrives.
 */
async function probeCrossProcess(servers: Servers, target: { agent: Agent; port: number }, run: string) {
  const second = servers.list[1] as { port: number };
  const client = createClient({
    url: `ws://127.0.0.1:${second.port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: BENCH_AUTHORIZATION },
    lazy: false,
    retryAttempts: 0,
  });
  try {
    const arrived = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: LIVE_SUBSCRIPTION, variables: { e: 'live-probe' } },
        { next: () => resolve(), error: (error) => reject(new Error(String(error))), complete: () => {} },
      );
    });
    // The subscription is registered a moment after it is sent; graphql-ws does not acknowledge it.
    await sleep(1000);
    await write(target, 'live-probe', liveContent(run, -1));
    const timeout = sleep(5000).then(() => 'timeout' as const);
    if ((await Promise.race([arrived, timeout])) === 'timeout') {
      throw new LiveBenchError(
        'the second server received no event for a write on the first within 5 s: this build has no ' +
          'cross-process event bus (EVENT_BUS=redis is ignored), or Redis does not relay. ' +
          '--processes 2 needs the Redis event bus.',
      );
    }
  } finally {
    await client.dispose();
  }
}

/** Which server, subscriber process and entity each socket has. */
function slotsOf(options: LiveOptions, from: number, to: number, entity: (id: number) => string): Slot[][] {
  const byWorker: Slot[][] = Array.from({ length: options.clientProcesses }, () => []);
  for (let id = from; id < to; id += 1) {
    (byWorker[id % options.clientProcesses] as Slot[]).push({
      id,
      server: id % options.processes,
      entity: entity(id),
    });
  }
  return byWorker;
}

/** Subscriber counts at which the server's RSS is read. */
function checkpoints(subscribers: number): number[] {
  return [...new Set([1_000, 5_000, 10_000].filter((n) => n < subscribers).concat(subscribers))];
}

interface RssPoint {
  subscribers: number;
  connected: number;
  rss_mb: (number | null)[];
}

interface ScenarioResult {
  scenario: LiveScenario;
  topics: number;
  subscribers_per_topic: number;
  events_per_group: number;
  figures: DeliveryFigures;
  /** Includes the write itself (in bursts, 100 writes per 1,000 deliveries). */
  server_cpu_us_per_delivery: number | null;
  server_cpu_ms_per_event: number | null;
  client_cpu_us_per_delivery: number | null;
  seconds: number;
  load_avg: number[];
}

async function main(): Promise<void> {
  const options = parseLiveOptions(process.argv.slice(2));
  const loadBefore = load();
  progress(
    `bench/live: ${thousands(options.subscribers)} subscribers, ${options.processes} server process(es) on ${options.db}; load average ${loadBefore.join(' ')}`,
  );

  // Every socket is a file descriptor on both ends. Node raises its soft open-files limit to the
  // hard one as it starts (these processes and the forked ones), so the hard limit is the bound.
  const limit = openFilesLimit();
  const perServer = Math.ceil(options.subscribers / options.processes) + 200;
  const perClient = Math.ceil(options.subscribers / options.clientProcesses) + 200;
  const needed = Math.max(perServer, perClient);
  if (limit && needed > limit.soft) {
    const raise =
      needed + 1000 <= limit.hard
        ? `run \`ulimit -n ${needed + 1000}\` in this shell first`
        : `that is above the hard limit (${limit.hard}): raise it (limits.conf, or \`ulimit -Hn\` as root), or split the sockets with --processes 2`;
    throw new LiveBenchError(
      `the open-files limit (ulimit -n) is ${limit.soft}, but a server process needs about ${perServer} and a subscriber process about ${perClient} (--client-processes splits those): ${raise}`,
    );
  }
  if (options.processes === 2) {
    await reachable(options.redisUrl, 6379).catch((error: unknown) => {
      throw new LiveBenchError(`--processes 2 needs Redis at ${options.redisUrl}: ${String(error)}`);
    });
  }

  const database: FreshDatabase = await createFreshDatabase(options.db, options.databaseUrl, progress);
  let servers: Servers | null = null;
  let clients: LiveClients | null = null;
  const agent = new Agent({ keepAlive: true, maxSockets: options.burst });
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    progress('interrupted: closing');
    clients?.kill();
    for (const { server } of servers?.list ?? []) server.kill();
    void database.drop().finally(() => process.exit(130));
  });

  try {
    servers = await startServers(options, database.url);
    const active = servers;
    const target = { agent, port: (active.list[0] as { port: number }).port };
    const run = Math.random().toString(36).slice(2, 8);
    let seq = 0;
    progress(`server(s) on port(s) ${active.list.map((s) => s.port).join(', ')}`);
    if (options.processes === 2) {
      progress('probing the cross-process event bus (a write on server A, a subscriber on server B)');
      await probeCrossProcess(active, target, run);
      progress('  server B received the probe event through Redis');
    }

    clients = LiveClients.start(options.clientProcesses, {
      urls: active.list.map(({ port }) => `ws://127.0.0.1:${port}/graphql`),
      authorization: BENCH_AUTHORIZATION,
      concurrency: options.connectConcurrency,
    });
    const pool = clients;

    // Memory with 0, 1k, 5k, 10k subscribers, the sockets opened in steps.
    await sleep(1000);
    const rss: RssPoint[] = [{ subscribers: 0, connected: 0, rss_mb: active.rss().map(mb) }];
    let connected = 0;
    let failed = 0;
    const started = performance.now();
    for (const upTo of checkpoints(options.subscribers)) {
      const from = rss[rss.length - 1]?.subscribers ?? 0;
      let lastLine = 0;
      const result = await pool.connect(
        slotsOf(options, from, upTo, () => 'live-all'),
        (c, f) => {
          if (performance.now() - lastLine < 1000) return;
          lastLine = performance.now();
          const elapsed = (performance.now() - started) / 1000;
          progress(
            `  connecting: ${thousands(connected + c)} / ${thousands(options.subscribers)} sockets, ${f + failed} failed (${Math.round((connected + c) / elapsed)}/s)`,
          );
        },
      );
      connected += result.connected;
      failed += result.failed;
      if (result.firstError) progress(`  first failure: ${result.firstError}`);
      // Subscribing follows the connection ack; give the server a moment to register them.
      await sleep(1500);
      rss.push({ subscribers: upTo, connected, rss_mb: active.rss().map(mb) });
      progress(
        `${thousands(connected)} subscribers connected (${failed} failed), server RSS ${rss[rss.length - 1]?.rss_mb.join(' + ')} MB`,
      );
    }
    const connectSeconds = (performance.now() - started) / 1000;
    if (connected === 0) throw new LiveBenchError(`no socket connected (${failed} failed)`);

    const results: ScenarioResult[] = [];
    for (const scenario of options.scenarios) {
      if (interrupted) break;
      results.push(await measure(scenario));
    }

    async function measure(scenario: LiveScenario): Promise<ScenarioResult> {
      const topics = scenario === 'one-to-all' ? 1 : Math.ceil(options.subscribers / options.perTopic);
      const topic = (id: number) => (scenario === 'one-to-all' ? 'live-all' : `live-t${id % topics}`);
      if (scenario === 'bursts') {
        const moved = await pool.resubscribe(slotsOf(options, 0, options.subscribers, topic));
        progress(`bursts: ${thousands(moved)} subscriptions moved to ${thousands(topics)} entities`);
        await sleep(1500);
      }
      const perGroup = scenario === 'one-to-all' ? 1 : Math.min(options.burst, topics);
      const random = seededRandom(7);
      const pick = (): string[] => {
        const chosen = new Set<number>();
        while (chosen.size < perGroup) chosen.add(Math.floor(random() * topics));
        return [...chosen].map((t) => `live-t${t}`);
      };
      let group = 0;
      const send = async (entities: string[]): Promise<Delivered[]> => {
        group += 1;
        const events = entities.map((entity) => ({ seq: ++seq, entity }));
        const receipts = pool.expect(events, options.timeoutMs);
        const writes = await Promise.all(
          events.map(({ entity, seq: n }) => write(target, entity, liveContent(run, n))),
        );
        const got = await receipts;
        const published = await active.publishedAt(events.map((event) => liveContent(run, event.seq)));
        return events.map((event, i) => ({
          ...(writes[i] as { sentAt: number; ackAt: number }),
          publishedAt: published[i] ?? null,
          receipts: got.get(event.seq) as Delivered['receipts'],
          group,
        }));
      };

      // Warm-up: every subscription must have its event (each topic once), so all are registered.
      const warm: Delivered[] = [];
      const all =
        scenario === 'one-to-all' ? ['live-all'] : Array.from({ length: topics }, (_, t) => `live-t${t}`);
      for (let i = 0; i < all.length; i += perGroup) warm.push(...(await send(all.slice(i, i + perGroup))));
      const warmFigures = deliveryFigures(warm);
      progress(
        `${scenario}: warm-up delivered ${thousands(warmFigures.deliveries)} of ${thousands(warmFigures.expected_deliveries)} (last after ${warmFigures.last_from_publish_ms.max} ms from publication)`,
      );
      if (warmFigures.missing > 0)
        progress(
          `  ${warmFigures.missing} subscribers missed the warm-up event: their figures count as missing`,
        );
      await sleep(options.gapMs);

      const cpuBefore = await active.cpuMicros();
      const clientBefore = await pool.usage();
      const delivered: Delivered[] = [];
      const deadline = performance.now() + options.seconds * 1000;
      let lastLine = performance.now();
      while (performance.now() < deadline && !interrupted) {
        delivered.push(...(await send(scenario === 'one-to-all' ? ['live-all'] : pick())));
        if (performance.now() - lastLine > 2000) {
          lastLine = performance.now();
          const f = deliveryFigures(delivered);
          progress(
            `  ${scenario}: ${f.events} events, ${thousands(f.deliveries)} deliveries, last p50 ${f.last_from_publish_ms.p50} ms p99 ${f.last_from_publish_ms.p99} ms`,
          );
        }
        await sleep(options.gapMs);
      }
      const cpu = (await active.cpuMicros()) - cpuBefore;
      const clientCpu = (await pool.usage()).micros - clientBefore.micros;
      const figures = deliveryFigures(delivered, options.processes);
      return {
        scenario,
        topics,
        subscribers_per_topic: scenario === 'one-to-all' ? connected : options.perTopic,
        events_per_group: perGroup,
        figures,
        server_cpu_us_per_delivery: figures.deliveries ? Number((cpu / figures.deliveries).toFixed(1)) : null,
        // Per written event with all its deliveries: the bursts' writes weigh in this one.
        server_cpu_ms_per_event: figures.events ? Number((cpu / 1000 / figures.events).toFixed(2)) : null,
        client_cpu_us_per_delivery: figures.deliveries
          ? Number((clientCpu / figures.deliveries).toFixed(1))
          : null,
        seconds: options.seconds,
        load_avg: load(),
      };
    }

    const dropped = (await pool.usage()).dropped;
    report(options, {
      rss,
      connected,
      failed,
      dropped,
      connectSeconds,
      results,
      loadBefore,
    });
  } finally {
    await clients?.close().catch(() => clients?.kill());
    for (const { server } of servers?.list ?? []) await server.stop().catch(() => server.kill());
    agent.destroy();
    await database.drop();
  }
}

function report(
  options: LiveOptions,
  run: {
    rss: RssPoint[];
    connected: number;
    failed: number;
    dropped: number;
    connectSeconds: number;
    results: ScenarioResult[];
    loadBefore: number[];
  },
): void {
  const pad = (value: unknown, width: number) => String(value ?? '-').padStart(width);
  const total = (point: RssPoint) => point.rss_mb.reduce<number>((sum, v) => sum + (v ?? 0), 0);
  const base = run.rss[0] as RssPoint;
  const final = run.rss[run.rss.length - 1] as RssPoint;
  const perThousand = (point: RssPoint) =>
    point.subscribers ? Number((((total(point) - total(base)) * 1000) / point.subscribers).toFixed(1)) : null;

  const lines = [
    `server RSS (${options.processes} process${options.processes === 2 ? 'es' : ''}; /proc VmRSS)`,
    `${pad('subscribers', 12)} ${pad('connected', 10)} ${pad('RSS MB', 16)} ${pad('MB per 1k', 10)}`,
  ];
  for (const point of run.rss) {
    lines.push(
      `${pad(thousands(point.subscribers), 12)} ${pad(thousands(point.connected), 10)} ${pad(point.rss_mb.join(' + '), 16)} ${pad(perThousand(point), 10)}`,
    );
  }
  lines.push('');
  lines.push(
    `${'scenario'.padEnd(11)} ${pad('events', 7)} ${pad('delivered', 10)} ${pad('missing', 8)} ${pad('last p50', 9)} ${pad('last p99', 9)} ${pad('max', 7)} ${pad('ack p99', 8)} ${pad('send p99', 9)} ${pad('each p50', 9)} ${pad('each p99', 9)} ${pad('write p50', 9)} ${pad('srv us/dlv', 10)} ${pad('cli us/dlv', 10)}`,
  );
  for (const r of run.results) {
    const f = r.figures;
    lines.push(
      `${r.scenario.padEnd(11)} ${pad(f.events, 7)} ${pad(thousands(f.deliveries), 10)} ${pad(f.missing, 8)} ${pad(f.last_from_publish_ms.p50, 9)} ${pad(f.last_from_publish_ms.p99, 9)} ${pad(f.last_from_publish_ms.max, 7)} ${pad(f.last_from_ack_ms.p99, 8)} ${pad(f.last_from_send_ms.p99, 9)} ${pad(f.each_from_publish_ms.p50, 9)} ${pad(f.each_from_publish_ms.p99, 9)} ${pad(f.write_ms.p50, 9)} ${pad(r.server_cpu_us_per_delivery, 10)} ${pad(r.client_cpu_us_per_delivery, 10)}`,
    );
    const [local, relayed] = f.last_from_publish_ms_by_server ?? [];
    if (local && relayed)
      lines.push(
        `${''.padEnd(11)} last p50/p99 on server A (written to) ${local.p50 ?? '-'}/${local.p99 ?? '-'} ms, on server B (through Redis) ${relayed.p50 ?? '-'}/${relayed.p99 ?? '-'} ms`,
      );
    if (r.scenario === 'bursts')
      lines.push(
        `${''.padEnd(11)} ${r.events_per_group} entities per burst of ${r.topics} (x${r.subscribers_per_topic} subscribers): whole burst p50 ${f.group_ms.p50} ms, p99 ${f.group_ms.p99} ms (first write sent to last delivery)`,
      );
  }
  lines.push(
    "ms to the last subscriber of each event from its publication on the event bus (last), from the write's HTTP acknowledgement (ack) and from the write's sending (send); each: every delivery from publication; us/dlv: CPU microseconds per delivered event of the server(s) and of the subscriber processes",
  );

  const oneToAll = run.results.find((r) => r.scenario === 'one-to-all');
  const p99 = oneToAll?.figures.last_from_publish_ms.p99 ?? null;
  const rssBytes = total(final) * 1024 ** 2;
  const goal = {
    subscribers: run.connected,
    subscribers_goal: GOAL.subscribers,
    one_to_all_last_p99_ms: p99,
    p99_goal_ms: GOAL.p99Ms,
    rss_mb: Number(total(final).toFixed(1)),
    rss_goal_mb: GOAL.rssBytes / 1024 ** 2,
    met:
      options.processes === 1 &&
      run.connected >= GOAL.subscribers &&
      p99 !== null &&
      p99 <= GOAL.p99Ms &&
      rssBytes <= GOAL.rssBytes &&
      (oneToAll?.figures.missing ?? 1) === 0,
  };
  lines.push(
    `goal (${thousands(GOAL.subscribers)} subscribers on one process, one event to all, p99 <= ${GOAL.p99Ms} ms, RSS <= 1 GB): ${goal.met ? 'met' : options.processes === 2 ? 'not judged (two processes)' : 'not met'} (${thousands(run.connected)} subscribers, p99 ${p99} ms, RSS ${goal.rss_mb} MB); load average ${load().join(' ')}`,
  );
  for (const line of lines) out(line);

  out(
    JSON.stringify({
      bench: 'live',
      db: options.db,
      processes: options.processes,
      client_processes: options.clientProcesses,
      subscribers: options.subscribers,
      connected: run.connected,
      failed: run.failed,
      dropped: run.dropped,
      connect_seconds: Number(run.connectSeconds.toFixed(1)),
      rss: run.rss.map((point) => ({ ...point, mb_per_1k_subscribers: perThousand(point) })),
      scenarios: run.results,
      goal,
      load_avg_before: run.loadBefore,
      load_avg_after: load(),
    }),
  );
}

try {
  await main();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  progress(`bench/live failed: ${message}`);
  if (!(error instanceof LiveBenchError) && error instanceof Error && error.stack) progress(error.stack);
  out(JSON.stringify({ bench: 'live', error: message }));
  process.exitCode = 1;
}
