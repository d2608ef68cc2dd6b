/**
 * A new, empty, migrated database for one benchmark run, removed afterwards: SQLite in a temporary
 * folder, or a PostgreSQL database with a unique name created (and dropped) through the server's
 * `postgres` maintenance database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { urlLabel } from './seed-postgres.ts';

export interface FreshDatabase {
  url: string;
  /** For logs (no password). */
  label: string;
  /** Removes the database; safe to call more than once. */
  drop(): Promise<void>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `server`: a PostgreSQL URL whose database part is ignored (unused for SQLite). */
export async function createFreshDatabase(
  kind: 'sqlite' | 'postgresql',
  server: string,
  log: (line: string) => void,
): Promise<FreshDatabase> {
  const fresh = kind === 'sqlite' ? freshSqlite() : await freshPostgres(server);
  try {
    const started = performance.now();
    const result = await migrateDatabase(fresh.url, {});
    log(
      `migrated ${fresh.label} (${result.applied.length} migrations, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    return fresh;
  } catch (error) {
    await fresh.drop();
    throw error;
  }
}

function freshSqlite(): FreshDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-ingest-'));
  const file = join(dir, 'engram.db');
  let dropped = false;
  return {
    url: `file:${file}`,
    label: file,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function freshPostgres(server: string): Promise<FreshDatabase> {
  const name = `engram_bench_ingest_${process.pid}_${Date.now().toString(36)}`;
  const maintenance = new URL(server);
  maintenance.pathname = '/postgres';
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: maintenance.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${quoteIdent(name)}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    label: urlLabel(url.toString()),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      // FORCE (PostgreSQL 13+) ends connections a crashed server may have left behind.
      await admin(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
  };
}
