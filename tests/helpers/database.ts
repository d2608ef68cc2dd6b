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
