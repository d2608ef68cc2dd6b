import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrateSqlite } from '../../src/db/migrate.ts';
import { factContentHash } from '../../src/services/facts.ts';
import { MAX_TRIPLES_PER_ENTITY } from './options.ts';
import { seededRandom } from './random.ts';

/** How much data to generate. */
export interface SeedSizes {
  entities: number;
  factsPerEntity: number;
  triplesPerEntity: number;
  sessionsPerEntity: number;
}

/** Row count of every table the seed fills. */
export type TableCounts = Record<string, number>;

/** One table's generated rows, in insertion (id) order. */
export interface TableRows {
  table: string;
  columns: string[];
  rows: unknown[][];
}

export interface PreparedDatabase {
  path: string;
  /** `file:` URL for DATABASE_URL. */
  url: string;
  counts: TableCounts;
  /** Seconds spent seeding, or null when an existing database was reused. */
  seedSeconds: number | null;
}

/**
 * Stored in `PRAGMA user_version` once seeding has finished (Engram does not use it), so a
 * database left half-seeded by an interrupted run is never reused. Bump it when the generated
 * data changes shape.
 */
export const SEED_VERSION = 1;

/** The knowledge_graph columns the seeds write, in their rows' order (bench/read and bench/graph). */
export const TRIPLE_COLUMNS = [
  'id',
  'entity_id',
  'subject_id',
  'predicate_id',
  'object_id',
  'mention_count',
  'last_mentioned_at',
  'valid_from',
  'valid_to',
  'created_at',
] as const;

/** Fixed so that a rebuild produces the same data (uuids aside). */
const RNG_SEED = 0x5eed;

export const PROCESSES = 4;
const SUBJECT_NAMES = 2_000;
const OBJECT_NAMES = 5_000;
const ROWS_PER_TRANSACTION = 50_000;
const DAY_MS = 86_400_000;

const CATEGORIES = ['FACT', 'PREFERENCE', 'SKILL', 'RELATIONSHIP', 'ATTRIBUTE'] as const;

const PREDICATES = [
  'lives_in',
  'works_at',
  'likes',
  'dislikes',
  'knows',
  'owns',
  'speaks',
  'studied_at',
  'born_in',
  'married_to',
  'sibling_of',
  'parent_of',
  'friend_of',
  'member_of',
  'plays',
  'reads',
  'watches',
  'visited',
  'plans_to_visit',
  'allergic_to',
  'drives',
  'uses',
  'prefers',
  'avoids',
  'collects',
  'cooks',
  'listens_to',
  'follows',
  'manages',
  'reports_to',
  'teaches',
  'learns',
  'volunteers_at',
  'subscribed_to',
  'grew_up_in',
  'moved_to',
  'founded',
  'invested_in',
  'mentors',
  'supports',
];

const FACT_TEMPLATES = [
  (topic: string) => `Prefers ${topic} over the alternatives`,
  (topic: string) => `Has been learning about ${topic} for a while`,
  (topic: string) => `Mentioned that ${topic} matters a lot to them`,
  (topic: string) => `Is allergic to ${topic}`,
  (topic: string) => `Wants to spend more time on ${topic} next year`,
  (topic: string) => `Works with ${topic} every day`,
];

const TOPICS = [
  'green tea',
  'trail running',
  'TypeScript',
  'jazz piano',
  'sourdough baking',
  'Portuguese',
  'board games',
  'sailing',
  'photography',
  'gardening',
  'chess',
  'climbing',
  'pottery',
  'Italian cooking',
  'cycling',
  'astronomy',
  'woodworking',
  'poetry',
  'yoga',
  'birdwatching',
];

const SENTENCES = [
  'Can you remind me what we talked about last time?',
  'I would like to plan a trip for the spring, somewhere warm and quiet.',
  'Sure, here is a short summary of the options we discussed earlier.',
  'My sister is visiting next week, so I need a few dinner ideas.',
  'That sounds good. Please keep it under an hour of preparation.',
  'I found three recipes that match what you usually like to cook.',
  'Could you also check whether the museum is open on Mondays?',
  'It opens at ten on weekdays and stays open late on Thursdays.',
];

/**
 * DateTime columns hold what Prisma's SQLite adapter writes: ISO-8601 text with milliseconds
 * and a `+00:00` offset (checked by inserting through the client and reading the raw column).
 * Sorting and range filters compare this text, so any other format would silently misorder.
 */
export function sqliteDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

export function entityExternalId(index: number): string {
  return `bench-entity-${String(index).padStart(6, '0')}`;
}

/** One file per size, so quick runs with small flags never clobber the full-size database. */
export function benchDatabasePath(dataDir: string, sizes: SeedSizes): string {
  const { entities, factsPerEntity, triplesPerEntity, sessionsPerEntity } = sizes;
  return join(dataDir, `read-e${entities}-f${factsPerEntity}-t${triplesPerEntity}-s${sessionsPerEntity}.db`);
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

/** Every table the seed fills (in the order the row counts are printed). */
export const SEEDED_TABLES = [
  'entity',
  'entity_fact',
  'subject',
  'predicate',
  'object',
  'knowledge_graph',
  'process',
  'process_attribute',
  'session',
  'conversation',
  'conversation_message',
] as const;

function countRows(db: Database.Database): TableCounts {
  return Object.fromEntries(
    SEEDED_TABLES.map((table) => [
      table,
      (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n,
    ]),
  );
}

/** Row counts a complete seed of these sizes has (for the tables whose size is fixed). */
export function expectedCounts(sizes: SeedSizes): TableCounts {
  return {
    entity: sizes.entities,
    entity_fact: sizes.entities * sizes.factsPerEntity,
    knowledge_graph: sizes.entities * sizes.triplesPerEntity,
    session: sizes.entities * sizes.sessionsPerEntity,
    process: PROCESSES,
  };
}

/** Why seeded tables with these counts are not a seed of these sizes, or null when they are. */
export function countMismatch(sizes: SeedSizes, counts: TableCounts): string | null {
  for (const [table, rows] of Object.entries(expectedCounts(sizes))) {
    if (counts[table] !== rows) return `${table} has ${counts[table]} rows, expected ${rows}`;
  }
  return null;
}

/** Why an existing database cannot be reused, or null when it matches the sizes. */
function mismatch(db: Database.Database, sizes: SeedSizes, counts: TableCounts): string | null {
  const version = db.pragma('user_version', { simple: true });
  if (version !== SEED_VERSION) return `seed version ${String(version)}, expected ${SEED_VERSION}`;
  return countMismatch(sizes, counts);
}

/**
 * Returns a migrated, seeded database for these sizes: the existing file when its row counts
 * match (unless `fresh`), otherwise a new one.
 */
export function prepareDatabase(options: {
  dataDir: string;
  sizes: SeedSizes;
  fresh: boolean;
  log: (line: string) => void;
}): PreparedDatabase {
  const { sizes, log } = options;
  if (sizes.triplesPerEntity > MAX_TRIPLES_PER_ENTITY) {
    throw new Error(`at most ${MAX_TRIPLES_PER_ENTITY} triples per entity`);
  }
  const path = benchDatabasePath(options.dataDir, sizes);
  const url = `file:${path}`;

  if (!options.fresh && existsSync(path)) {
    // Migrating first means a reused database also picks up migrations added since it was seeded.
    migrateSqlite(url);
    const db = new Database(path);
    try {
      const counts = countRows(db);
      const problem = mismatch(db, sizes, counts);
      if (!problem) {
        log(`reusing ${path} (pass --fresh to rebuild)`);
        return { path, url, counts, seedSeconds: null };
      }
      log(`not reusing ${path}: ${problem}`);
    } finally {
      db.close();
    }
  }

  removeDatabase(path);
  const started = performance.now();
  migrateSqlite(url);
  const db = new Database(path);
  try {
    // Durability is pointless for a throwaway file; a large cache keeps index pages resident.
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    db.pragma('temp_store = MEMORY');
    seed(db, sizes, log);
    db.pragma(`user_version = ${SEED_VERSION}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const counts = countRows(db);
    const seedSeconds = (performance.now() - started) / 1000;
    log(`seeded ${path} in ${seedSeconds.toFixed(1)} s`);
    return { path, url, counts, seedSeconds };
  } catch (error) {
    db.close();
    removeDatabase(path);
    throw error;
  } finally {
    if (db.open) db.close();
  }
}

/** Logs how long one table took, as every seeder does. */
export function logTableDone(
  log: (line: string) => void,
  table: string,
  rows: number,
  started: number,
): void {
  const seconds = (performance.now() - started) / 1000;
  log(
    `  ${table}: ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s (${Math.round(rows / Math.max(seconds, 1e-3)).toLocaleString('en-US')} rows/s)`,
  );
}

/** Inserts the generated rows with prepared statements in big transactions. */
function seed(db: Database.Database, sizes: SeedSizes, log: (line: string) => void): void {
  log(`seeding ${sizes.entities.toLocaleString('en-US')} entities`);
  for (const { table, columns, rows } of generateTables(sizes, sqliteDateTime)) {
    const statement = db.prepare(
      `INSERT INTO "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) VALUES (${columns
        .map(() => '?')
        .join(', ')})`,
    );
    const chunk = db.transaction((slice: unknown[][]) => {
      for (const row of slice) statement.run(row);
    });
    const started = performance.now();
    for (let offset = 0; offset < rows.length; offset += ROWS_PER_TRANSACTION) {
      chunk(rows.slice(offset, offset + ROWS_PER_TRANSACTION));
      const done = Math.min(offset + ROWS_PER_TRANSACTION, rows.length);
      if (done < rows.length)
        log(`  ${table}: ${done.toLocaleString('en-US')} / ${rows.length.toLocaleString('en-US')}`);
    }
    logTableDone(log, table, rows.length, started);
  }
}

/**
 * Generates the rows of every table, one table at a time, with explicit ids; the caller writes
 * each table before asking for the next (SQLite and PostgreSQL get the same data, only the
 * DateTime encoding differs: `dateTime` turns epoch milliseconds into the column value).
 * Rows of each table are sorted by created_at before ids are assigned, so an entity's facts,
 * triples and sessions are spread over the table as they would be after months of real traffic,
 * instead of sitting on one page.
 */
export function* generateTables(sizes: SeedSizes, dateTime: (ms: number) => unknown): Generator<TableRows> {
  const rng = seededRandom(RNG_SEED);
  const now = Date.now();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
  // Later in an entity's life than `from`, skewed towards recent activity.
  const after = (from: number) => from + Math.sqrt(rng()) * (now - from);
  // A few popular names and a long tail, like real knowledge graphs.
  const skewed = (size: number) => 1 + Math.floor(rng() ** 2 * size);
  const mentions = () => 1 + Math.floor(-Math.log(1 - rng()) * 1.5);

  // Sorts [createdAt, ...] rows by time and prepends ids in that order.
  const byTime = (rows: [number, ...unknown[]][]): [number, ...unknown[]][] => {
    rows.sort((a, b) => a[0] - b[0]);
    return rows.map((row, index) => [index + 1, ...row]);
  };

  // Entities were created over ten months, ending a hundred days ago, in id order.
  const entityCreated: number[] = [0];
  const entities: unknown[][] = [];
  for (let index = 1; index <= sizes.entities; index += 1) {
    const created = now - 400 * DAY_MS + Math.floor((index / sizes.entities) * 300 * DAY_MS);
    entityCreated.push(created);
    entities.push([index, entityExternalId(index), dateTime(created)]);
  }
  yield { table: 'entity', columns: ['id', 'external_id', 'created_at'], rows: entities };

  const processCreated = now - 401 * DAY_MS;
  const processes: unknown[][] = [];
  const attributes: unknown[][] = [];
  for (let index = 1; index <= PROCESSES; index += 1) {
    processes.push([index, `bench-assistant-${index}`, dateTime(processCreated)]);
    for (const [name, value] of [
      ['model', `bench-model-${index}`],
      ['locale', 'en'],
    ]) {
      attributes.push([index, name, value, mentions(), dateTime(now), dateTime(processCreated)]);
    }
  }
  yield { table: 'process', columns: ['id', 'external_id', 'created_at'], rows: processes };
  yield {
    table: 'process_attribute',
    columns: ['process_id', 'name', 'value', 'mention_count', 'last_mentioned_at', 'created_at'],
    rows: attributes,
  };

  const facts: [number, ...unknown[]][] = [];
  for (let entity = 1; entity <= sizes.entities; entity += 1) {
    for (let n = 0; n < sizes.factsPerEntity; n += 1) {
      const created = after(entityCreated[entity]!);
      const count = mentions();
      const last = count === 1 ? created : after(created);
      // The counter makes the content, hence its hash, unique per entity.
      const content = `${pick(FACT_TEMPLATES)(pick(TOPICS))} (note ${n + 1})`;
      facts.push([
        created,
        entity,
        content,
        factContentHash(content),
        pick(CATEGORIES),
        count,
        dateTime(last),
        dateTime(created),
      ]);
    }
  }
  yield {
    table: 'entity_fact',
    columns: [
      'id',
      'entity_id',
      'content',
      'content_hash',
      'category',
      'mention_count',
      'last_mentioned_at',
      'created_at',
    ],
    rows: byTime(facts).map(([id, _created, ...row]) => [id, ...row]),
  };
  facts.length = 0;

  const names = (count: number, label: (index: number) => string, type: (index: number) => string | null) =>
    Array.from({ length: count }, (_, index) => [index + 1, label(index + 1), type(index + 1)]);
  yield {
    table: 'subject',
    columns: ['id', 'name', 'type'],
    rows: names(
      SUBJECT_NAMES,
      (index) => `person ${index}`,
      () => 'person',
    ),
  };
  yield {
    table: 'predicate',
    columns: ['id', 'name'],
    rows: PREDICATES.map((name, index) => [index + 1, name]),
  };
  yield {
    table: 'object',
    columns: ['id', 'name', 'type'],
    rows: names(
      OBJECT_NAMES,
      (index) => `${pick(TOPICS)} ${index}`,
      (index) => (index % 3 === 0 ? 'place' : null),
    ),
  };

  const triples: [number, ...unknown[]][] = [];
  for (let entity = 1; entity <= sizes.entities; entity += 1) {
    for (let n = 0; n < sizes.triplesPerEntity; n += 1) {
      const created = after(entityCreated[entity]!);
      const count = mentions();
      const last = count === 1 ? created : after(created);
      triples.push([
        created,
        entity,
        skewed(SUBJECT_NAMES),
        // A different predicate for each of the entity's triples keeps the unique key unique.
        ((entity + n) % PREDICATES.length) + 1,
        skewed(OBJECT_NAMES),
        count,
        dateTime(last),
        dateTime(created),
        rng() < 0.1 ? dateTime(after(last)) : null,
        dateTime(created),
      ]);
    }
  }
  yield {
    table: 'knowledge_graph',
    columns: [...TRIPLE_COLUMNS],
    rows: byTime(triples).map(([id, _created, ...row]) => [id, ...row]),
  };
  triples.length = 0;

  const sessionRows: [number, ...unknown[]][] = [];
  for (let entity = 1; entity <= sizes.entities; entity += 1) {
    for (let n = 0; n < sizes.sessionsPerEntity; n += 1) {
      const created = after(entityCreated[entity]!);
      sessionRows.push([created, randomUUID(), entity, 1 + Math.floor(rng() * PROCESSES)]);
    }
  }
  const sessions = byTime(sessionRows);
  yield {
    table: 'session',
    columns: ['id', 'uuid', 'entity_id', 'process_id', 'created_at'],
    rows: sessions.map(([id, created, ...row]) => [id, ...row, dateTime(created as number)]),
  };

  // One or two conversations per session, a few minutes to hours after it started.
  const conversationRows: [number, ...unknown[]][] = [];
  for (const [sessionId, sessionCreated] of sessions) {
    const count = rng() < 0.5 ? 1 : 2;
    for (let n = 0; n < count; n += 1) {
      const created = (sessionCreated as number) + Math.floor(rng() * 6 * 3_600_000);
      const summary = rng() < 0.3 ? `Talked about ${pick(TOPICS)} and ${pick(TOPICS)}.` : null;
      conversationRows.push([created, sessionId, summary]);
    }
  }
  const conversations = byTime(conversationRows);
  yield {
    table: 'conversation',
    columns: ['id', 'session_id', 'summary', 'created_at'],
    rows: conversations.map(([id, created, ...row]) => [id, ...row, dateTime(created as number)]),
  };

  // Two to four messages per conversation, alternating user and assistant.
  const messageRows: [number, ...unknown[]][] = [];
  for (const [conversationId, conversationCreated] of conversations) {
    const count = 2 + Math.floor(rng() * 3);
    let at = conversationCreated as number;
    for (let n = 0; n < count; n += 1) {
      at += 1_000 + Math.floor(rng() * 60_000);
      messageRows.push([at, conversationId, n % 2 === 0 ? 'USER' : 'ASSISTANT', 'text', pick(SENTENCES)]);
    }
  }
  yield {
    table: 'conversation_message',
    columns: ['id', 'conversation_id', 'role', 'type', 'content', 'created_at'],
    rows: byTime(messageRows).map(([id, created, ...row]) => [id, ...row, dateTime(created as number)]),
  };
}
