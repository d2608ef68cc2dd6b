import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { clientProvider, type Db } from '../../src/db/client.ts';

/** Every table of the database (Prisma's bookkeeping and SQLite's own included), by name. */
export async function allTables(db: Db): Promise<string[]> {
  const provider = clientProvider(db);
  const sql =
    provider === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table'"
      : provider === 'mysql'
        ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()'
        : "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'";
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(sql);
  return rows.map((row) => row.name).sort();
}

/** A row as text: bytes as latin1 (so text inside a blob shows), numbers and dates as JSON does. */
function rowText(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
    if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
      return Buffer.from((value as { data: number[] }).data).toString('latin1');
    }
    return value;
  });
}

/**
 * The rows of every table that contain `needle` (case-insensitive), as `table: row`: a dump of the
 * whole database, so a table added later is searched too.
 */
export async function rowsContaining(db: Db, needle: string): Promise<string[]> {
  const quote = clientProvider(db) === 'mysql' ? '`' : '"';
  const found: string[] = [];
  const wanted = needle.toLowerCase();
  for (const table of await allTables(db)) {
    const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT * FROM ${quote}${table}${quote}`,
    );
    for (const row of rows) {
      const text = rowText(row);
      if (text.toLowerCase().includes(wanted)) found.push(`${table}: ${text}`);
    }
  }
  return found;
}

/** Every file under a folder (recursively), with its bytes. */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  if (!existsSync(dir)) return [];
  const files: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...filesUnder(path));
    else files.push({ path, bytes: readFileSync(path) });
  }
  return files;
}

/** The files whose bytes hold `needle`: as ASCII/UTF-8 text in any letter case, or as raw bytes. */
export function filesContaining(files: { path: string; bytes: Buffer }[], needle: string | Buffer): string[] {
  return files
    .filter(({ bytes }) =>
      typeof needle === 'string'
        ? bytes.toString('latin1').toLowerCase().includes(needle.toLowerCase())
        : bytes.indexOf(needle) >= 0,
    )
    .map((file) => file.path);
}

/** The SQLite database file and its -wal and -shm companions, those that exist. */
export function sqliteFiles(url: string): { path: string; bytes: Buffer }[] {
  const path = url.replace(/^file:/, '');
  return [path, `${path}-wal`, `${path}-shm`]
    .filter((file) => existsSync(file))
    .map((file) => ({ path: file, bytes: readFileSync(file) }));
}

/** Polls a condition until it holds (or fails after `timeoutMs`), for state with no event to wait on. */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
