import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { storedDegrees } from '../src/graph/degrees.ts';
import { SEED_ENV, seedMemory } from './helpers/backup-seed.ts';
import {
  createTestDatabase,
  TEST_DATABASE,
  type TestDatabase,
  type TestDatabaseKind,
} from './helpers/database.ts';
import { cliEnv, spawnEngram } from './helpers/engram-process.ts';
import { probeTestDatabases } from './helpers/probe.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

async function engram(args: string[], databaseUrl: string) {
  const run = spawnEngram(args, cliEnv(databaseUrl));
  const code = await run.exited;
  return { code, ...run.output() };
}

/** A backup's records, without header and trailer, and without the audit entries of imports. */
function records(file: string): Record<string, unknown>[] {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
  return lines
    .slice(1, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => !(record.table === 'audit' && record.action === 'importBackup'));
}

/** Every entity's GDPR export, without the moment it was taken. */
function documents(file: string): unknown[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { exportedAt: _, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
}

const required = (process.env.ENGRAM_TEST_REQUIRE ?? '').split(',').filter(Boolean);
const { available, skipped } = await probeTestDatabases();
const missing = (['postgresql', 'mariadb'] as TestDatabaseKind[]).filter((kind) => !available.includes(kind));
if (missing.length > 0 && TEST_DATABASE === 'sqlite') {
  for (const [kind, reason] of skipped) {
    if (required.includes(kind)) throw new Error(`required for the round trip: ${reason}`);
    process.stdout.write(`\nSKIPPED the ${kind} legs of the backup round trip: ${reason}\n`);
  }
}

/**
 * A move through every database: SQLite → PostgreSQL → MariaDB → SQLite with `engram export` and
 * `engram import`, and every file and every entity's export identical along the way. Runs in the
 * sqlite project only: it makes its own PostgreSQL and MariaDB databases.
 */
describe.runIf(TEST_DATABASE === 'sqlite')('backup round trip across databases', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'engram-backup-'));
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    server = await startTestServer({ env: SEED_ENV });
    await seedMemory(server, 'u-1');
    await seedMemory(server, 'ü-2 ✓', 'other-bot');
    await server.db.processAttribute.create({
      data: { processId: (await server.db.process.findFirstOrThrow()).id, name: 'tone', value: 'formal' },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    for (const database of databases) await database.drop();
  });

  const fresh = async (kind: TestDatabaseKind) => {
    const database = await createTestDatabase(kind);
    databases.push(database);
    return database;
  };

  it('moves the whole database through every database and back, unchanged', async () => {
    const legs = [
      'sqlite',
      ...(['postgresql', 'mariadb'] as const).filter((kind) => available.includes(kind)),
      'sqlite',
    ];
    let url = server.databaseUrl;
    let previous = join(dir, 'leg-0.engram.gz');
    const first = await engram(['export', '--out', previous], url);
    expect(first.code, first.stderr).toBe(0);
    const original = records(previous);
    expect(original.filter((record) => record.table === 'entity')).toHaveLength(2);
    for (const kind of [
      'message',
      'fact',
      'factMention',
      'triple',
      'tripleInterval',
      'tripleMention',
      'tombstone',
      'job',
      'call',
      'processAttribute',
      'audit',
    ]) {
      expect(
        original.some((record) => record.table === kind),
        kind,
      ).toBe(true);
    }
    const firstDocs = join(dir, 'docs-0.jsonl');
    expect((await engram(['export', '--all', '--format', 'jsonl', '--out', firstDocs], url)).code).toBe(0);

    for (const [i, kind] of legs.slice(1).entries()) {
      const target = await fresh(kind as TestDatabaseKind);
      const imported = await engram(['import', previous], target.url);
      expect(imported.code, `${kind}: ${imported.stderr}`).toBe(0);
      expect(imported.stderr).toContain('ids kept');
      url = target.url;
      const next = join(dir, `leg-${i + 1}.engram.gz`);
      const exported = await engram(['export', '--out', next], url);
      expect(exported.code, exported.stderr).toBe(0);
      expect(records(next), `${legs[i]} → ${kind}`).toEqual(original);
      const docs = join(dir, `docs-${i + 1}.jsonl`);
      expect((await engram(['export', '--all', '--format', 'jsonl', '--out', docs], url)).code).toBe(0);
      expect(documents(docs), `${legs[i]} → ${kind}`).toEqual(documents(firstDocs));
      // The graph's stored degrees are not in the file: the import counts them again.
      const db = await openDatabase({ url });
      try {
        for (const entity of await server.db.entity.findMany()) {
          const moved = await db.entity.findUniqueOrThrow({ where: { externalId: entity.externalId } });
          const degrees = await storedDegrees(db, moved.id);
          expect(degrees.size, `${kind}: degrees of ${entity.externalId}`).toBeGreaterThan(0);
          expect(degrees).toEqual(await storedDegrees(server.db, entity.id));
        }
      } finally {
        await db.$disconnect();
      }
      previous = next;
    }
  }, 240_000);

  it('imports some entities into a database that holds others (ids shifted), refusing those it holds', async () => {
    const file = join(dir, 'u-2.engram.gz');
    const exported = await engram(['export', 'ü-2 ✓', '--out', file], server.databaseUrl);
    expect(exported.code, exported.stderr).toBe(0);
    const header = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8').split('\n')[0] as string);
    expect(header).toMatchObject({
      format: 'engram-backup',
      version: 1,
      scope: 'entities',
      provider: 'sqlite',
    });

    const target = await fresh('sqlite');
    const other = await startTestServer({ database: target, env: SEED_ENV });
    try {
      await seedMemory(other, 'someone-else');
    } finally {
      await other.close();
    }
    const imported = await engram(['import', file], target.url);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('ids shifted');
    const docs = join(dir, 'u-2.jsonl');
    const source = join(dir, 'u-2-source.jsonl');
    expect((await engram(['export', 'ü-2 ✓', '--format', 'jsonl', '--out', docs], target.url)).code).toBe(0);
    expect(
      (await engram(['export', 'ü-2 ✓', '--format', 'jsonl', '--out', source], server.databaseUrl)).code,
    ).toBe(0);
    const withoutAudit = (list: unknown[]) => list.map((doc) => ({ ...(doc as object), audit: undefined }));
    expect(withoutAudit(documents(docs))).toEqual(withoutAudit(documents(source)));

    const again = await engram(['import', file], target.url);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ENTITY_EXISTS: .*ü-2 ✓/);
  }, 120_000);

  it('refuses a truncated, damaged or tampered file, or a whole database into a used one, writing nothing', async () => {
    const good = join(dir, 'whole.engram.gz');
    expect((await engram(['export', '--out', good], server.databaseUrl)).code).toBe(0);
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.gz');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    // A byte of the compressed data flipped: what deflate makes of it depends on the data (a
    // stream error, an early end, a line that no longer parses or fits its schema), so any of the
    // format's refusals will do. A flipped byte of gzip's own checksum is always CORRUPT.
    const damaged = join(dir, 'damaged.gz');
    const flipped = Buffer.from(bytes);
    const middle = Math.floor(bytes.length / 2);
    flipped[middle] = (flipped[middle] as number) ^ 0xff;
    writeFileSync(damaged, flipped);
    const badCrc = join(dir, 'bad-crc.gz');
    const crc = Buffer.from(bytes);
    crc[crc.length - 8] = (crc[crc.length - 8] as number) ^ 0xff;
    writeFileSync(badCrc, crc);
    // Valid gzip, a changed message: only the checksum tells.
    const tampered = join(dir, 'tampered.gz');
    writeFileSync(tampered, gzipSync(gunzipSync(bytes).toString('utf8').replace('Noted!', 'Noted?')));
    // Cut after a whole line: no trailer.
    const cut = join(dir, 'cut.gz');
    const lines = gunzipSync(bytes).toString('utf8').split('\n');
    writeFileSync(cut, gzipSync(`${lines.slice(0, -3).join('\n')}\n`));

    const target = await fresh('sqlite');
    for (const [file, code] of [
      [truncated, 'TRUNCATED'],
      [damaged, /^(CORRUPT|TRUNCATED|INVALID_RECORD)$/],
      [badCrc, 'CORRUPT'],
      [tampered, 'CORRUPT'],
      [cut, 'TRUNCATED'],
    ] as const) {
      const refused = await engram(['import', file], target.url);
      expect(refused.code, file).toBe(1);
      if (typeof code === 'string') expect(refused.stderr).toContain(`nothing written: ${code}`);
      else expect(refused.stderr.match(/nothing written: (\w+)/)?.[1] ?? '').toMatch(code);
    }
    const empty = join(dir, 'empty.engram.gz');
    expect((await engram(['export', '--out', empty], target.url)).code).toBe(0);
    expect(records(empty)).toEqual([]);

    const used = await engram(['import', good], server.databaseUrl);
    expect(used.code).toBe(1);
    expect(used.stderr).toContain('TARGET_NOT_EMPTY');
  }, 120_000);
});
