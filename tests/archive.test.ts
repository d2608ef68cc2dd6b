import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveConversations, restoreArchive } from '../src/backup/archive.ts';
import { databaseSelection, writeRows } from '../src/backup/export.ts';
import { BackupWriter } from '../src/backup/writer.ts';
import { parseAge } from '../src/cli/archive.ts';
import { CLI } from '../src/cli/import.ts';
import { type EntityExport, exportEntity } from '../src/services/entity-export.ts';
import { eraseEntity } from '../src/services/erase.ts';
import { SEED_ENV, seedMemory } from './helpers/backup-seed.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const YEAR_MS = 365 * 86_400_000;
const content = ({ exportedAt: _, audit: __, ...rest }: EntityExport) => rest;

/**
 * Archival: conversations older than a threshold leave the database for a file and come back
 * from it, except those of an entity erased meanwhile.
 */
describe('archive and restore of old conversations', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'engram-archive-'));
  const file = join(dir, 'old.engram.gz');
  let before: EntityExport;

  beforeAll(async () => {
    server = await startTestServer({ env: SEED_ENV });
    await seedMemory(server, 'u-1');
    await seedMemory(server, 'u-2');
    const old = new Date(Date.now() - 2 * YEAR_MS);
    await server.db.conversation.updateMany({ data: { createdAt: old } });
    // Recent: stays.
    await seedMemory(server, 'u-3');
    before = await exportEntity(server.db, 'u-1');
  }, 60_000);
  afterAll(() => server?.close());

  it('parses ages', () => {
    expect(parseAge('365d')).toBe(YEAR_MS);
    expect(parseAge('2w')).toBe(14 * 86_400_000);
    expect(parseAge('soon')).toBeNull();
  });

  it('moves old conversations to a file and out of the database; facts stay, without their message', async () => {
    const deps = { db: server.db, reader: server.engram.reader };
    const result = await archiveConversations(deps, CLI, {
      cutoff: new Date(Date.now() - YEAR_MS),
      out: file,
    });
    expect(result.conversations).toBe(4);
    const left = await server.db.conversation.findMany({
      include: { session: { include: { entity: true } } },
    });
    expect(left.map((row) => row.session.entity.externalId)).toEqual(['u-3', 'u-3']);
    const u1 = await exportEntity(server.db, 'u-1');
    expect(u1.sessions.flatMap((session) => session.conversations)).toEqual([]);
    expect(u1.facts.length).toBe(before.facts.length);
    expect(u1.facts.flatMap((fact) => fact.mentions).every((mention) => mention.message === null)).toBe(true);
    // A second archive finds nothing more and refuses to overwrite.
    await expect(archiveConversations(deps, CLI, { cutoff: new Date(), out: file })).rejects.toMatchObject({
      code: 'FILE_EXISTS',
    });
  });

  it('restores them, provenance included, except the erased entity’s; a second restore adds nothing', async () => {
    await eraseEntity(server.engram.services, CLI, { entity: 'u-2' });
    // Someone new under the erased id: not the person the archive's conversations were about.
    await seedMemory(server, 'u-2');
    const restored = await restoreArchive({ db: server.db }, CLI, file);
    expect(restored).toMatchObject({ conversations: 2, erased: 2, present: 0 });
    expect(content(await exportEntity(server.db, 'u-1'))).toEqual(content(before));
    const u2 = await exportEntity(server.db, 'u-2');
    expect(u2.sessions.flatMap((session) => session.conversations)).toHaveLength(2);

    const again = await restoreArchive({ db: server.db }, CLI, file);
    expect(again).toMatchObject({ conversations: 0, erased: 2, present: 2 });
    expect(content(await exportEntity(server.db, 'u-1'))).toEqual(content(before));
  });

  it('refuses a backup that is not an archive', async () => {
    const backup = join(dir, 'backup.engram.gz');
    const writer = new BackupWriter(createWriteStream(backup), {
      scope: 'database',
      provider: 'test',
      engramVersion: '0',
      createdAt: new Date().toISOString(),
    });
    await writeRows(server.db, databaseSelection(), writer);
    await writer.finish();
    await expect(restoreArchive({ db: server.db }, CLI, backup)).rejects.toMatchObject({
      code: 'WRONG_SCOPE',
    });
  });
});
