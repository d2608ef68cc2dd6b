import { mariadbUrl } from '../../src/db/client.ts';
import { MARIADB_ADMIN_URL, POSTGRES_ADMIN_URL, type TestDatabaseKind } from './database.ts';

export type { TestDatabaseKind };

/** Which test databases answer here; the others are skipped, with the reason. */
export async function probeTestDatabases(): Promise<{
  available: TestDatabaseKind[];
  skipped: [TestDatabaseKind, string][];
}> {
  const available: TestDatabaseKind[] = ['sqlite'];
  const skipped: [TestDatabaseKind, string][] = [];
  try {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.end();
    available.push('postgresql');
  } catch (error) {
    skipped.push(['postgresql', `no PostgreSQL at ${POSTGRES_ADMIN_URL} (${(error as Error).message})`]);
  }
  try {
    const mariadb = await import('mariadb');
    const url = new URL(mariadbUrl(MARIADB_ADMIN_URL));
    url.searchParams.set('connectTimeout', '3000');
    const connection = await mariadb.createConnection(url.toString());
    await connection.end();
    available.push('mariadb');
  } catch (error) {
    skipped.push(['mariadb', `no MariaDB at ${MARIADB_ADMIN_URL} (${(error as Error).message})`]);
  }
  return { available, skipped };
}
