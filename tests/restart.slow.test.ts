import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RememberWithSourceDocument } from '../client-codegen/generated/graphql.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import {
  type PrivatePostgres,
  privatePostgresUnavailable,
  startPrivatePostgres,
} from './helpers/private-postgres.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const unavailable = TEST_DATABASE === 'postgresql' ? privatePostgresUnavailable() : 'PostgreSQL suite only';
if (TEST_DATABASE === 'postgresql' && unavailable)
  process.stdout.write(`SKIPPED restart test: ${unavailable}\n`);

describe.runIf(!unavailable)('PostgreSQL restarting under load', () => {
  let postgres: PrivatePostgres;
  let server: TestServer;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    server = await startTestServer({
      database: { url: postgres.url },
      env: { DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_POOL_SIZE: '4' },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    postgres?.stop();
  });

  it('answers requests during the outage with a coded error, recovers by itself, and loses no acknowledged write', async () => {
    const acknowledged: string[] = [];
    const errorCodes: string[] = [];
    let written = 0;
    let stop = false;

    // Four writers, each remembering new facts one after another until told to stop.
    const writer = async (id: number) => {
      while (!stop) {
        const content = `fact ${id}-${written++}`;
        const result = await server.request(RememberWithSourceDocument, {
          input: { entity: 'restart', content },
        });
        if (result.data?.rememberFact.__typename === 'RememberFactSuccess') acknowledged.push(content);
        else
          errorCodes.push(
            String(result.errors?.[0]?.extensions?.code ?? result.data?.rememberFact.__typename),
          );
      }
    };
    const writers = [0, 1, 2, 3].map(writer);

    // Enough acknowledged writes first (a loaded machine may need more than a second for them).
    const deadline = Date.now() + 15_000;
    while (acknowledged.length <= 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const beforeRestart = acknowledged.length;
    // The writers keep going while the server is down for half a second.
    await postgres.restart(500);
    const atRestart = acknowledged.length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    stop = true;
    await Promise.all(writers);

    expect(beforeRestart).toBeGreaterThan(10);
    // It recovered: writes were acknowledged after the restart.
    expect(acknowledged.length).toBeGreaterThan(atRestart + 10);
    // Requests during the outage failed, each with a clean, coded error.
    expect(errorCodes.length).toBeGreaterThan(0);
    expect(new Set(errorCodes)).toEqual(new Set(['DATABASE_UNAVAILABLE']));
    // Nothing acknowledged was lost, and nothing unacknowledged appeared twice.
    const stored = await server.db.entityFact.findMany({ where: { entity: { externalId: 'restart' } } });
    const contents = new Set(stored.map((fact) => fact.content));
    expect(acknowledged.filter((content) => !contents.has(content))).toEqual([]);
    expect(stored.every((fact) => fact.mentionCount === 1)).toBe(true);
    process.stdout.write(
      `restart: ${acknowledged.length} writes acknowledged, ${errorCodes.length} refused during the outage\n`,
    );
  }, 60_000);
});
