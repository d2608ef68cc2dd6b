import { connect } from 'node:net';
import neo4j, { type Driver, type Integer } from 'neo4j-driver';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BoltDate,
  BoltDateTime,
  BoltDuration,
  BoltFailure,
  BoltLocalDateTime,
  BoltLocalTime,
  BoltNode,
  BoltPath,
  BoltPoint,
  BoltRelationship,
  BoltTestServer,
  BoltTime,
  type TxInfo,
} from './helpers/bolt-server.ts';

/**
 * The Bolt test server against the real neo4j-driver over TCP: what the driver sends arrives
 * intact, what the handler answers reads back intact, and retries, failures and outages behave as
 * against Neo4j. Later suites mirror the knowledge graph through this server.
 */
const AUTH = neo4j.auth.basic('neo4j', 'test-password');
const CONFIG = { maxTransactionRetryTime: 8_000, logging: { level: 'error' as const, logger: () => {} } };

const server = new BoltTestServer();
const drivers: Driver[] = [];

function open(url: string, auth = AUTH, config = {}): Driver {
  const driver = neo4j.driver(url, auth, { ...CONFIG, ...config });
  drivers.push(driver);
  return driver;
}

beforeAll(async () => {
  await server.start();
});

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
  server.handler = () => ({ fields: [], records: [] });
  server.onCommit = () => {};
  server.onRollback = () => {};
  server.hang(0);
  server.clearLog();
});

afterAll(async () => {
  await server.stop();
});

const txOf = (query: string) => server.transactions.filter((t) => t.runs.some((r) => r.query === query));

describe.each([
  ['bolt', () => server.url],
  ['neo4j', () => server.routingUrl],
])('over %s://', (scheme, url) => {
  it('connects, negotiates the newest protocol and reports the server', async () => {
    const driver = open(url());
    const info = await driver.getServerInfo();
    expect(info.protocolVersion?.toString()).toBe('6.0');
    expect(info.agent).toBe('Neo4j/5.26.0');
    expect(server.connections.map((c) => c.version)).toContain('6.0');
    expect(server.messages.some((m) => m.message === 'ROUTE')).toBe(scheme === 'neo4j');
    expect(server.messages.some((m) => m.message === 'LOGON')).toBe(true);
  });

  it('delivers UNWIND parameters of every type exactly as sent', async () => {
    const driver = open(url());
    const offsetTime = new neo4j.types.DateTime(2024, 5, 17, 10, 30, 15, 123_456_789, 7200);
    const zoned = new neo4j.types.DateTime(2024, 1, 2, 3, 4, 5, 6, undefined, 'Europe/Madrid');
    const jsDate = new Date('2025-01-02T03:04:05.678Z');
    const query = 'UNWIND $rows AS row MERGE (e:Entity {id: row.id}) SET e += row.props';
    const rows = [
      {
        id: neo4j.int(1),
        props: {
          name: 'Ágata 🐘',
          score: 0.5,
          tags: ['a', 'b'],
          nested: { deep: [neo4j.int(2), null] },
          gone: null,
        },
        at: offsetTime,
      },
      {
        id: neo4j.int('9007199254740993'),
        props: { name: 'x', score: -1e300 },
        at: neo4j.types.DateTime.fromStandardDate(jsDate),
      },
    ];
    const temporal = {
      local: new neo4j.types.LocalDateTime(2024, 1, 2, 3, 4, 5, 6),
      day: new neo4j.types.Date(2024, 1, 2),
      time: new neo4j.types.Time(1, 2, 3, 4, 3600),
      localTime: new neo4j.types.LocalTime(1, 2, 3, 4),
      span: new neo4j.types.Duration(1, 2, 3, 4),
      place: new neo4j.types.Point(9157, 1, 2, 3.5),
      bytes: new Int8Array([1, 2, -1]),
    };
    const params = {
      rows,
      zoned,
      temporal,
      small: neo4j.int(-17),
      mid: neo4j.int(40_000),
      large: neo4j.int(-3_000_000_000),
    };
    const session = driver.session();
    const records = await session.executeWrite(async (tx) => (await tx.run(query, params)).records);
    await session.close();
    expect(records).toEqual([]);

    const [run] = server.committedRuns(query);
    expect(server.committedRuns(query)).toHaveLength(1);
    const got = run?.params as Record<string, unknown>;
    expect(got.small).toBe(-17);
    expect(got.mid).toBe(40_000);
    expect(got.large).toBe(-3_000_000_000);
    const [first, second] = got.rows as Record<string, unknown>[];
    expect(first?.id).toBe(1);
    expect(first?.props).toEqual({
      name: 'Ágata 🐘',
      score: 0.5,
      tags: ['a', 'b'],
      nested: { deep: [2, null] },
      gone: null,
    });
    // Bolt 5 sends UTC seconds with the offset apart: 10:30:15+02:00 is 08:30:15Z.
    expect(first?.at).toEqual(new BoltDateTime(Date.UTC(2024, 4, 17, 8, 30, 15) / 1000, 123_456_789, 7200));
    expect(second?.id).toBe(9007199254740993n);
    expect(second?.props).toEqual({ name: 'x', score: -1e300 });
    expect((second!.at as BoltDateTime).toDate()).toEqual(jsDate);
    expect((got.zoned as BoltDateTime).zoneId).toBe('Europe/Madrid');
    const nanosOfDay = (3600 + 2 * 60 + 3) * 1e9 + 4;
    expect(got.temporal).toEqual({
      local: new BoltLocalDateTime(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000, 6),
      day: new BoltDate(Date.UTC(2024, 0, 2) / 86_400_000),
      time: new BoltTime(nanosOfDay, 3600),
      localTime: new BoltLocalTime(nanosOfDay),
      span: new BoltDuration(1, 2, 3, 4),
      place: new BoltPoint(9157, 1, 2, 3.5),
      bytes: new Uint8Array([1, 2, 255]),
    });
    expect(run?.database).toBe(scheme === 'neo4j' ? 'neo4j' : null);
    expect(run?.txId).toBe(run?.transactionId);
    // 03:04:05 in Madrid in January (UTC+1) is 02:04:05Z.
    expect((got.zoned as BoltDateTime).toDate()).toEqual(new Date('2024-01-02T02:04:05.000Z'));
  });

  it('returns handler records of every type to the driver', async () => {
    const when = new Date('2026-03-04T05:06:07.089Z');
    const alice = new BoltNode(1, ['Entity', 'Person'], { name: 'Alice' }, 'e:1');
    const bob = new BoltNode(2, ['Entity'], { name: 'Bob' }, 'e:2');
    const knows = new BoltRelationship(7, 1, 2, 'KNOWS', { since: 2020 }, 'r:7', 'e:1', 'e:2');
    server.handler = ({ query }) => ({
      fields: [
        ...[
          'i',
          'big',
          'f',
          's',
          'list',
          'map',
          'when',
          'zoned',
          'node',
          'rel',
          'path',
          'day',
          'span',
          'where',
        ],
        ...['local', 'time', 'localTime', 'place', 'bytes'],
      ],
      records: [
        [
          42,
          2n ** 62n,
          1.5,
          query,
          [1, 'two', [3]],
          { a: null, b: { c: true } },
          when,
          new BoltDateTime(0, 0, null, 'Europe/Oslo'),
          alice,
          knows,
          BoltPath.of([alice, bob], [knows]),
          new BoltDate(19_000),
          new BoltDuration(14, 3, 61, 5),
          new BoltPoint(4326, 2.5, 48),
          new BoltLocalDateTime(86_400 + 1, 5),
          new BoltTime(1_000_000_001, -3600),
          new BoltLocalTime(60_000_000_000),
          new BoltPoint(9157, 1, 2, 3),
          new Uint8Array([0, 255]),
        ],
      ],
    });
    const driver = open(url());
    const { records } = await driver.executeQuery('RETURN stuff', {}, { routing: neo4j.routing.READ });
    const r = records[0]!;
    expect(records).toHaveLength(1);
    expect((r.get('i') as Integer).toNumber()).toBe(42);
    expect((r.get('big') as Integer).toString()).toBe('4611686018427387904');
    expect(r.get('f')).toBe(1.5);
    expect(r.get('s')).toBe('RETURN stuff');
    expect(r.get('list')[2][0].toNumber()).toBe(3);
    expect(r.get('list')[1]).toBe('two');
    expect(r.get('map')).toEqual({ a: null, b: { c: true } });
    expect(neo4j.isDateTime(r.get('when'))).toBe(true);
    expect(new Date(r.get('when').toString()).getTime()).toBe(when.getTime());
    expect(r.get('zoned').timeZoneId).toBe('Europe/Oslo');
    expect(r.get('zoned').toString()).toBe('1970-01-01T01:00:00+01:00[Europe/Oslo]');
    const node = r.get('node');
    expect(neo4j.isNode(node)).toBe(true);
    expect([node.labels, node.properties, node.elementId]).toEqual([
      ['Entity', 'Person'],
      { name: 'Alice' },
      'e:1',
    ]);
    const rel = r.get('rel');
    expect([rel.type, rel.startNodeElementId, rel.endNodeElementId]).toEqual(['KNOWS', 'e:1', 'e:2']);
    const path = r.get('path');
    expect(path.segments).toHaveLength(1);
    expect([path.start.properties.name, path.end.properties.name]).toEqual(['Alice', 'Bob']);
    expect(r.get('day').toString()).toBe('2022-01-08');
    const span = r.get('span');
    expect([span.months, span.days, span.seconds, span.nanoseconds].map(Number)).toEqual([14, 3, 61, 5]);
    expect(r.get('local').toString()).toBe('1970-01-02T00:00:01.000000005');
    expect(r.get('time').toString()).toBe('00:00:01.000000001-01:00');
    expect(r.get('localTime').toString()).toBe('00:01:00');
    expect([r.get('place').z, r.get('place').srid.toNumber()]).toEqual([3, 9157]);
    expect(Array.from(r.get('bytes'))).toEqual([0, -1]);
    expect([r.get('where').srid.toNumber(), r.get('where').x, r.get('where').y]).toEqual([4326, 2.5, 48]);
  });
});

describe('failures and retries', () => {
  it('retries a transient FAILURE at RUN and commits the second attempt once', async () => {
    const applied: string[] = [];
    const staged = new Map<number, string[]>();
    server.handler = ({ query, transaction }) => {
      staged.set(transaction.id, [...(staged.get(transaction.id) ?? []), query]);
      return { fields: [], records: [] };
    };
    server.onCommit = (tx) => void applied.push(...(staged.get(tx.id) ?? []));
    server.failNext(1);
    const driver = open(server.url);
    const session = driver.session();
    let attempts = 0;
    await session.executeWrite(async (tx) => {
      attempts++;
      await tx.run('CREATE (:Fact {n: $n})', { n: 1 });
    });
    await session.close();
    expect(attempts).toBe(2);
    expect(txOf('CREATE (:Fact {n: $n})').map((t) => t.outcome)).toEqual(['failed', 'committed']);
    expect(server.committedRuns('CREATE (:Fact {n: $n})')).toHaveLength(1);
    expect(applied).toEqual(['CREATE (:Fact {n: $n})']);
  });

  it('retries a transient FAILURE at COMMIT', async () => {
    const rolledBack: TxInfo[] = [];
    server.onRollback = (tx) => void rolledBack.push(tx);
    server.failNext(1, { at: 'commit', code: 'Neo.TransientError.Transaction.DeadlockDetected' });
    const driver = open(server.routingUrl);
    await driver.executeQuery('MERGE (:Fact {n: 2})', {}, { routing: neo4j.routing.WRITE });
    expect(txOf('MERGE (:Fact {n: 2})').map((t) => [t.outcome, t.failure?.code ?? null])).toEqual([
      ['failed', 'Neo.TransientError.Transaction.DeadlockDetected'],
      ['committed', null],
    ]);
    expect(rolledBack.map((t) => t.outcome)).toEqual(['failed']);
  });

  it('does not retry a client error and surfaces its code', async () => {
    server.handler = ({ query }) => {
      throw new BoltFailure('Neo.ClientError.Statement.SyntaxError', `Invalid input near ${query}`, '42001');
    };
    const driver = open(server.url);
    const session = driver.session();
    const attempt = session.executeWrite((tx) => tx.run('CREAT oops'));
    await expect(attempt).rejects.toMatchObject({
      code: 'Neo.ClientError.Statement.SyntaxError',
      gqlStatus: '42001',
      message: 'Invalid input near CREAT oops',
    });
    await session.close();
    expect(txOf('CREAT oops').map((t) => t.outcome)).toEqual(['failed']);
  });

  it('refuses a wrong password', async () => {
    const driver = open(server.url, neo4j.auth.basic('neo4j', 'wrong'));
    await expect(driver.verifyConnectivity()).rejects.toMatchObject({
      code: 'Neo.ClientError.Security.Unauthorized',
    });
    expect(server.transactions).toEqual([]);
  });

  it('survives an outage: down() mid-transaction, refused connections, up(), then commits', async () => {
    let attempts = 0;
    let refused: Promise<string> | null = null;
    server.handler = async () => {
      attempts++;
      if (attempts === 1) {
        await server.down();
        refused = new Promise((resolve) => {
          const probe = connect(server.port, '127.0.0.1');
          probe.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          probe.on('connect', () => resolve('connected'));
        });
        setTimeout(() => void server.up(), 300);
      }
      return { fields: ['ok'], records: [[true]] };
    };
    const driver = open(server.url);
    const session = driver.session();
    const ok = await session.executeWrite(async (tx) =>
      (await tx.run('MERGE (:Fact {n: 3}) RETURN true AS ok')).records[0]?.get('ok'),
    );
    await session.close();
    expect(ok).toBe(true);
    expect(await refused).toBe('ECONNREFUSED');
    expect(txOf('MERGE (:Fact {n: 3}) RETURN true AS ok').map((t) => t.outcome)).toEqual([
      'connection lost',
      'committed',
    ]);
  });

  it('RESET after a failure makes the connection usable again (no new connection)', async () => {
    server.handler = ({ query }) => {
      if (query === 'BAD') throw new BoltFailure('Neo.ClientError.Statement.SyntaxError', 'bad');
      return { fields: ['x'], records: [[1]] };
    };
    const driver = open(server.url, AUTH, { maxConnectionPoolSize: 1 });
    const session = driver.session();
    await expect(session.run('BAD')).rejects.toMatchObject({ code: 'Neo.ClientError.Statement.SyntaxError' });
    const result = await session.run('GOOD');
    await session.close();
    expect(result.records[0]?.get('x').toNumber()).toBe(1);
    expect(server.connections).toHaveLength(1);
    const sequence = server.messages.map((m) => m.message).filter((m) => m !== 'TELEMETRY');
    expect(sequence.indexOf('RESET')).toBeGreaterThan(sequence.indexOf('RUN'));
    expect(sequence.lastIndexOf('RUN')).toBeGreaterThan(sequence.indexOf('RESET'));
    // The RUN's FAILURE makes the pipelined PULL IGNORED until the RESET.
    const replies = server.messages.map((m) => m.message).filter((m) => m.startsWith('S: '));
    const failedAt = replies.indexOf('S: FAILURE');
    expect(replies.slice(failedAt, failedAt + 3)).toEqual(['S: FAILURE', 'S: IGNORED', 'S: SUCCESS']);
    expect(server.runs.map((r) => [r.query, r.txId, r.outcome])).toEqual([
      ['BAD', null, 'failed'],
      ['GOOD', null, 'committed'],
    ]);
  });

  it('streams two open results of one transaction in batches (PULL n with qid)', async () => {
    server.handler = ({ query }) => ({
      fields: ['v'],
      records: [1, 2, 3, 4, 5].map((i) => [`${query}-${i}`]),
    });
    const driver = open(server.url);
    const session = driver.session({ fetchSize: 2 });
    const [a, b] = await session.executeRead(async (tx) => {
      const first = tx.run('A');
      const second = tx.run('B');
      return Promise.all([second, first].map(async (r) => (await r).records.map((x) => x.get('v')))).then(
        ([fromB, fromA]) => [fromA, fromB],
      );
    });
    await session.close();
    expect(a).toEqual(['A-1', 'A-2', 'A-3', 'A-4', 'A-5']);
    expect(b).toEqual(['B-1', 'B-2', 'B-3', 'B-4', 'B-5']);
    expect(server.messages.filter((m) => m.message === 'PULL').length).toBeGreaterThanOrEqual(6);
    expect(txOf('A').map((t) => [t.mode, t.outcome, t.runs.length])).toEqual([['read', 'committed', 2]]);
  });

  it('logs an explicit rollback', async () => {
    const rolledBack: number[] = [];
    server.onRollback = (tx) => void rolledBack.push(tx.id);
    const driver = open(server.url);
    const session = driver.session();
    const tx = await session.beginTransaction({ metadata: { app: 'engram' } });
    await tx.run('CREATE (:Draft)');
    await tx.run('CREATE (:Draft2)');
    await tx.rollback();
    await session.close();
    const [logged] = txOf('CREATE (:Draft)');
    expect(logged?.outcome).toBe('rolled back');
    expect(logged?.metadata).toEqual({ app: 'engram' });
    expect(logged?.runs.map((r) => [r.query, r.txId, r.outcome])).toEqual([
      ['CREATE (:Draft)', logged?.id, 'rolled back'],
      ['CREATE (:Draft2)', logged?.id, 'rolled back'],
    ]);
    expect(rolledBack).toEqual([logged?.id]);
    expect(server.committedRuns()).toEqual([]);
  });
});

describe('framing and versions', () => {
  it('carries parameters and records over 64 KiB across chunk boundaries', async () => {
    const items = Array.from({ length: 3000 }, (_, i) => `item-${i}-${'x'.repeat(40)}`);
    expect(items.join('').length).toBeGreaterThan(2 * 0xffff);
    server.handler = ({ params }) => ({ fields: ['echo'], records: [[params.items]] });
    const driver = open(server.url);
    const { records } = await driver.executeQuery('UNWIND $items AS i RETURN collect(i) AS echo', { items });
    expect(server.runs[0]?.params.items).toEqual(items);
    expect(records[0]?.get('echo')).toEqual(items);
  });

  it('speaks Bolt 5.0 (credentials in HELLO, no LOGON) when capped there', async () => {
    const old = new BoltTestServer({ maxVersion: '5.0' });
    await old.start();
    try {
      const driver = open(old.url);
      expect((await driver.getServerInfo()).protocolVersion?.toString()).toBe('5.0');
      old.handler = () => {
        throw new BoltFailure('Neo.ClientError.Statement.SyntaxError', 'old bad');
      };
      await expect(driver.executeQuery('BAD')).rejects.toMatchObject({
        code: 'Neo.ClientError.Statement.SyntaxError',
      });
      expect(old.connections.map((c) => c.version)).toContain('5.0');
      expect(old.messages.some((m) => m.message === 'LOGON')).toBe(false);
      await expect(
        open(old.url, neo4j.auth.basic('neo4j', 'nope')).verifyConnectivity(),
      ).rejects.toMatchObject({
        code: 'Neo.ClientError.Security.Unauthorized',
      });
    } finally {
      await Promise.all(drivers.splice(0).map((d) => d.close()));
      await old.stop();
    }
  });

  it('delays replies while hung', async () => {
    const driver = open(server.url);
    await driver.verifyConnectivity();
    server.hang(150);
    const started = Date.now();
    await driver.executeQuery('RETURN 1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});
