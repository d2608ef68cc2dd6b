/**
 * The Engram bench:locomo measures, started in this process through createEngram on a temporary
 * SQLite file (in-memory vector index, logs on stderr), served over HTTP on a free port.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/client.ts';
import type { EmbeddingService } from '../../src/embed/service.ts';
import { USE_LITE_MODEL_ID } from '../../src/embed/use-lite.ts';
import { createEngram } from '../../src/engram.ts';

/** A running Engram: its GraphQL URL, its database and embedding service, and how to stop it. */
export interface LocomoEngram {
  url: string;
  db: Db;
  embeddings: EmbeddingService;
  close(): Promise<void>;
}

/**
 * The wiring of tests/helpers/server.ts, on a temporary SQLite file, logs on stderr; `useLite`
 * selects the USE-lite provider as a server would (EMBEDDING_PROVIDER=use-lite), else none; with
 * `augment`, background augmentation as `engram serve` wires it (local extractor, in-process workers).
 */
export async function startEngram(
  useLite: boolean,
  cacheSize: number,
  augment: boolean,
  /** MESSAGE_INDEX: what the index holds of each recorded message. */
  messageIndex: 'off' | 'context' = 'off',
): Promise<LocomoEngram> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engram-locomo-'));
  const databaseUrl = `file:${path.join(dir, 'engram.db')}`;
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    EMBEDDING_PROVIDER: useLite ? 'use-lite' : 'none',
    EMBEDDING_CACHE_SIZE: String(cacheSize),
    VECTOR_INDEX_PATH: 'memory',
    VECTOR_DIMENSIONS: '512',
    MESSAGE_INDEX: messageIndex,
    GRAPHIQL: 'false',
    RATE_LIMIT_PER_ADDRESS: '0',
    ...(augment
      ? {
          AUGMENTATION: 'on',
          AUGMENTATION_EXTRACTOR: 'local',
          AUGMENTATION_POLL_MS: '50',
          AUGMENTATION_CONCURRENCY: '2',
        }
      : {}),
  });
  // Engram's own logger writes to stdout, which here belongs to the table and the JSON line.
  const logger = pino({ level: config.log.level, base: { service: 'engram' } }, pino.destination(2));
  const engram = await createEngram(config, { logger });
  const { db, embeddings } = engram;
  if (useLite) {
    // Facts are only embedded once the model is ready: wait for it rather than ingest without vectors.
    embeddings.start();
    await embeddings.embed(['ready?'], 'query').catch(() => {});
    const status = embeddings.status();
    if (status.state !== 'ready') {
      await engram.stop();
      throw new Error(
        `${USE_LITE_MODEL_ID} did not load: ${status.error ?? status.state} (try --model none)`,
      );
    }
  }
  await engram.start({ wait: true });
  const app = buildApp(engram);
  const port = await app.start(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    db,
    embeddings,
    close: async () => {
      await app.stop();
      await engram.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
