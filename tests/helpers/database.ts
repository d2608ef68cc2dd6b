import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Provider } from '../../src/db/client.ts';

/** Which database the suite runs on: set by vitest.config.ts per project. */
export type TestDatabaseKind = 'sqlite' | 'postgresql' | 'mariadb';

export const TEST_DATABASE = (process.env.ENGRAM_TEST_DATABASE ?? 'sqlite') as TestDatabaseKind;

/** Where the services live on the developer machines and in CI (overridable). */
export const POSTGRES_ADMIN_URL =
  process.env.ENGRAM_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const MARIADB_ADMIN_URL = process.env.ENGRAM_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  url: string;
  provider: Provider;
  drop(): Promise<void>;
}

function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, empty database of the suite's kind, dropped by `drop()`. Each test file makes its own. */
export async function createTestDatabase(kind: TestDatabaseKind = TEST_DATABASE): Promise<TestDatabase> {
  const name = `engram_test_${randomBytes(6).toString('hex')}`;
  if (kind === 'postgresql') {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    return {
      url: withDatabase(POSTGRES_ADMIN_URL, name),
      provider: 'postgresql',
      drop: async () => {
        const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
      },
    };
  }
  if (kind === 'mariadb') {
    const mariadb = await import('mariadb');
    const adminUrl = MARIADB_ADMIN_URL.replace(/^mysql:/, 'mariadb:');
    const admin = await mariadb.createConnection(adminUrl);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    return {
      url: withDatabase(MARIADB_ADMIN_URL, name),
      provider: 'mysql',
      drop: async () => {
        const client = await mariadb.createConnection(adminUrl);
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
        await client.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'engram-test-'));
  return {
    url: `file:${join(dir, 'engram.db')}`,
    provider: 'sqlite',
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs one SQL query on a test database with the provider's own driver (not through Prisma). */
export async function rawQuery<Row = Record<string, unknown>>(
  database: Pick<TestDatabase, 'url' | 'provider'>,
  sql: string,
): Promise<Row[]> {
  if (database.provider === 'postgresql') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  }
  if (database.provider === 'mysql') {
    const mariadb = await import('mariadb');
    const client = await mariadb.createConnection(database.url.replace(/^mysql:/, 'mariadb:'));
    try {
      return [...((await client.query(sql)) as Row[])];
    } finally {
      await client.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(database.url.slice('file:'.length), { readonly: true });
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
}

/** The tables and columns (with nullability) a provider's generated schema.prisma describes. */
export function describedColumns(schemaText: string): string[] {
  const models = new Set([...schemaText.matchAll(/^model (\w+) \{/gm)].map((match) => match[1]));
  const columns: string[] = [];
  for (const [, name, body] of schemaText.matchAll(/^model (\w+) \{\n([\s\S]*?)\n\}/gm)) {
    const table = body?.match(/@@map\("(\w+)"\)/)?.[1] ?? name;
    for (const line of body?.split('\n') ?? []) {
      const field = line.match(/^\s+(\w+)\s+(\w+)(\?|\[\])?/);
      if (!field || field[3] === '[]' || models.has(field[2])) continue;
      const column = line.match(/@map\("(\w+)"\)/)?.[1] ?? field[1];
      columns.push(`${table}.${column}${field[3] === '?' ? ' NULL' : ''}`);
    }
  }
  return columns.sort();
}
