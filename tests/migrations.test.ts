import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_ROOT, MigrationError, migrateSqlite, readMigrations } from '../src/db/migrate.ts';

const dirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'engram-migrate-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('the committed SQLite migrations produce exactly the tables prisma/schema.prisma describes', () => {
    // Prisma's own schema engine (wasm) replays the migrations on a shadow database and diffs
    // the result against the schema: any drift prints SQL instead of an empty migration.
    const out = execFileSync(
      process.execPath,
      [
        'prisma/tools/migration-diff.mjs',
        'prisma/schema.prisma',
        'sqlite',
        '--from-migrations',
        join(MIGRATIONS_ROOT, 'sqlite'),
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('-- This is an empty migration.');
  });

  it('creates the database file and its folder on first start, with Prisma-compatible bookkeeping', () => {
    const url = `file:${join(tempDir(), 'nested', 'folder', 'engram.db')}`;
    const first = migrateSqlite(url);
    const migrations = readMigrations('sqlite');
    expect(first.applied).toEqual(migrations.map((m) => m.name));

    const db = new Database(url.slice('file:'.length), { readonly: true });
    const rows = db.prepare('SELECT * FROM _prisma_migrations ORDER BY migration_name').all() as {
      migration_name: string;
      checksum: string;
      finished_at: string | null;
      applied_steps_count: number;
    }[];
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all()
      .map((row) => (row as { name: string }).name);
    db.close();

    expect(rows).toHaveLength(migrations.length);
    for (const [index, row] of rows.entries()) {
      const sql = readFileSync(join(MIGRATIONS_ROOT, 'sqlite', row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.migration_name).toBe(migrations[index]?.name);
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    expect(tables).toEqual(
      expect.arrayContaining([
        'entity',
        'entity_fact',
        'knowledge_graph',
        'conversation_message',
        '_prisma_migrations',
      ]),
    );

    // Running again is a no-op.
    expect(migrateSqlite(url)).toEqual({ applied: [], alreadyApplied: migrations.length });
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
