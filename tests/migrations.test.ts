import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MIGRATIONS_ROOT,
  MigrationError,
  migrateDatabase,
  migrateSqlite,
  readMigrations,
} from '../src/db/migrate.ts';
import {
  createTestDatabase,
  describedColumns,
  POSTGRES_ADMIN_URL,
  rawQuery,
  TEST_DATABASE,
  type TestDatabase,
} from './helpers/database.ts';

describe(`migrations on ${TEST_DATABASE}`, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('produce exactly the tables and columns the provider’s schema describes, with Prisma bookkeeping', async () => {
    const first = await migrateDatabase(database.url);
    const migrations = readMigrations(database.provider);
    expect(first.applied).toEqual(migrations.map((m) => m.name));

    const schema = readFileSync(`prisma/generated/${database.provider}/schema.prisma`, 'utf8');
    const introspect =
      database.provider === 'sqlite'
        ? `SELECT m.name AS t, p.name AS c, CASE WHEN p."notnull" = 1 OR p.pk > 0 THEN 'NO' ELSE 'YES' END AS n
             FROM sqlite_master m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_prisma_migrations'`
        : `SELECT table_name AS t, column_name AS c, is_nullable AS n FROM information_schema.columns
            WHERE table_schema = ${database.provider === 'mysql' ? 'DATABASE()' : "'public'"}
              AND table_name <> '_prisma_migrations'`;
    const rows = await rawQuery<{ t: string; c: string; n: string }>(database, introspect);
    const actual = rows.map((row) => `${row.t}.${row.c}${row.n === 'YES' ? ' NULL' : ''}`).sort();
    expect(actual.length).toBeGreaterThan(50);
    expect(actual).toEqual(describedColumns(schema));

    const bookkeeping = await rawQuery<{
      migration_name: string;
      checksum: string;
      applied_steps_count: number;
    }>(
      database,
      'SELECT migration_name, checksum, applied_steps_count FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    expect(
      bookkeeping.map((row) => [row.migration_name, row.checksum, Number(row.applied_steps_count)]),
    ).toEqual(
      migrations.map((m) => [
        m.name,
        createHash('sha256')
          .update(readFileSync(join(MIGRATIONS_ROOT, database.provider, m.name, 'migration.sql')))
          .digest('hex'),
        1,
      ]),
    );

    // Running again is a no-op.
    expect(await migrateDatabase(database.url)).toEqual({ applied: [], alreadyApplied: migrations.length });
  });

  it.runIf(TEST_DATABASE !== 'mariadb')(
    'match the schema according to Prisma’s own schema engine (replayed on a shadow database)',
    () => {
      const provider = database.provider;
      const out = execFileSync(
        process.execPath,
        [
          'prisma/tools/migration-diff.mjs',
          `prisma/generated/${provider}/schema.prisma`,
          provider,
          '--from-migrations',
          join(MIGRATIONS_ROOT, provider),
        ],
        { encoding: 'utf8', env: { ...process.env, SHADOW_PARENT_URL: POSTGRES_ADMIN_URL } },
      );
      expect(out.trim()).toBe('-- This is an empty migration.');
    },
  );
});

describe.runIf(TEST_DATABASE === 'sqlite')('SQLite migrator', () => {
  const dirs: string[] = [];
  function tempDir() {
    const dir = mkdtempSync(join(tmpdir(), 'engram-migrate-'));
    dirs.push(dir);
    return dir;
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database file and its folder on first start', () => {
    const url = `file:${join(tempDir(), 'nested', 'folder', 'engram.db')}`;
    expect(migrateSqlite(url).applied).toEqual(readMigrations('sqlite').map((m) => m.name));
  });

  it('rolls back a failing migration whole and refuses to go on', () => {
    const root = tempDir();
    cpSync(join(MIGRATIONS_ROOT, 'sqlite'), join(root, 'sqlite'), { recursive: true });
    mkdirSync(join(root, 'sqlite', '99999999999999_broken'));
    writeFileSync(
      join(root, 'sqlite', '99999999999999_broken', 'migration.sql'),
      'CREATE TABLE half_done (id INTEGER);\nTHIS IS NOT SQL;\n',
    );
    const url = `file:${join(root, 'engram.db')}`;
    expect(() => migrateSqlite(url, { migrations: readMigrations('sqlite', root) })).toThrow(MigrationError);

    const db = new Database(url.slice('file:'.length), { readonly: true });
    const halfDone = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").all();
    const broken = db.prepare("SELECT * FROM _prisma_migrations WHERE migration_name LIKE '%broken'").all();
    const good = db.prepare('SELECT COUNT(*) AS n FROM _prisma_migrations').get() as { n: number };
    db.close();
    expect(halfDone).toEqual([]);
    expect(broken).toEqual([]);
    expect(good.n).toBe(readMigrations('sqlite').length);
  });

  it('is safe when several processes migrate the same file at once', async () => {
    const url = `file:${join(tempDir(), 'engram.db')}`;
    const script = `import { migrateSqlite } from './src/db/migrate.ts'; console.log(JSON.stringify(migrateSqlite(${JSON.stringify(url)})));`;
    const { spawn } = await import('node:child_process');
    const runs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ applied: string[] }>((resolve, reject) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
            let out = '';
            child.stdout.on('data', (chunk) => {
              out += chunk;
            });
            child.on('exit', (code) =>
              code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)),
            );
          }),
      ),
    );
    const appliedCount = runs.reduce((sum, run) => sum + run.applied.length, 0);
    expect(appliedCount).toBe(readMigrations('sqlite').length);
  });
});
