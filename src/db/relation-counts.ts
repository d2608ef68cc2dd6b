import DataLoader from 'dataloader';
import type { Db } from './client.ts';
import { Prisma } from './generated/client.ts';

/** Whether a provider's generated client loads nested relations and relation counts in one statement. */
export function joinsRelations(provider: string): boolean {
  return provider === 'postgresql' || provider === 'cockroachdb';
}

/** Models whose rows are counted per parent for connection `totalCount`s. */
export type CountedModel =
  | 'entityFact'
  | 'triple'
  | 'session'
  | 'conversation'
  | 'conversationMessage'
  | 'factMention'
  | 'processAttribute';

interface GroupByDelegate {
  groupBy(args: unknown): Promise<Array<Record<string, unknown> & { _count: { _all: number } }>>;
}

/**
 * Counts related rows per parent, batched: all parents asking for the same (model, foreign key,
 * filter) in one request cost one `GROUP BY` over the foreign key's index.
 *
 * Prisma's own relation `_count` joins a GROUP BY over the whole table (prisma/orm#23669), which
 * made one entity's page scan every fact, session and message of every user.
 */
/** Table and column of each counted foreign key (constants: never built from input). */
const TABLES: Partial<Record<string, [table: string, column: string]>> = {
  'entityFact.entityId': ['entity_fact', 'entity_id'],
  'triple.entityId': ['knowledge_graph', 'entity_id'],
  'session.entityId': ['session', 'entity_id'],
  'session.processId': ['session', 'process_id'],
  'conversation.sessionId': ['conversation', 'session_id'],
  'conversationMessage.conversationId': ['conversation_message', 'conversation_id'],
  'factMention.factId': ['fact_mention', 'fact_id'],
  'processAttribute.processId': ['process_attribute', 'process_id'],
};

export class RelationCounter {
  private readonly loaders = new Map<string, DataLoader<number, number>>();

  constructor(private readonly db: Db) {}

  count(model: CountedModel, foreignKey: string, parentId: number, where: object = {}): Promise<number> {
    const key = JSON.stringify([model, foreignKey, where]);
    let loader = this.loaders.get(key);
    if (!loader) {
      const table = TABLES[`${model}.${foreignKey}`];
      loader = new DataLoader(
        async (ids: readonly number[]) => {
          // Unfiltered counts go straight to SQL: Prisma's groupBy costs ~85 µs of CPU per call
          // against ~20 µs for the same statement raw, and a page asks for several.
          if (table && Object.keys(where).length === 0) {
            const [name, column] = table;
            const rows = await this.db.$queryRaw<{ k: number | bigint; n: number | bigint }[]>(
              Prisma.sql`SELECT ${Prisma.raw(column)} AS k, COUNT(*) AS n FROM ${Prisma.raw(name)} WHERE ${Prisma.raw(column)} IN (${Prisma.join(ids)}) GROUP BY ${Prisma.raw(column)}`,
            );
            const counts = new Map(rows.map((row) => [Number(row.k), Number(row.n)]));
            return ids.map((id) => counts.get(id) ?? 0);
          }
          const delegate = this.db[model] as unknown as GroupByDelegate;
          const rows = await delegate.groupBy({
            by: [foreignKey],
            where: { ...where, [foreignKey]: { in: [...ids] } },
            _count: { _all: true },
          });
          const counts = new Map(rows.map((row) => [row[foreignKey] as number, row._count._all]));
          return ids.map((id) => counts.get(id) ?? 0);
          // Batch, never cache: a subscription keeps one context for its whole life, and its
          // totals must follow the data.
        },
        { cache: false },
      );
      this.loaders.set(key, loader);
    }
    return loader.load(parentId);
  }
}

/** Where a stripped `_count` selection sat in a query, mirrored by the result rows. */
interface CountPlan {
  /** Relation names whose counts were asked at this level. */
  counts: string[];
  /** Nested relations (by field name) that hold more of them. */
  nested: Map<string, CountPlan>;
}

type Selection = { select?: Record<string, unknown>; include?: Record<string, unknown> };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A copy of a find query without its relation `_count` selections, and where they were; null when
 * it has none (the query is used as it is).
 */
function stripCounts(query: Selection): { query: Selection; plan: CountPlan } | null {
  let changed = false;
  const plan: CountPlan = { counts: [], nested: new Map() };
  const copy: Selection = { ...query };
  for (const key of ['select', 'include'] as const) {
    const fields = query[key];
    if (!isObject(fields)) continue;
    const next: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (name === '_count' && isObject(value) && isObject(value.select)) {
        plan.counts.push(...Object.keys(value.select));
        changed = true;
        continue;
      }
      if (isObject(value) && (isObject(value.select) || isObject(value.include))) {
        const inner = stripCounts(value as Selection);
        if (inner) {
          plan.nested.set(name, inner.plan);
          next[name] = inner.query;
          changed = true;
          continue;
        }
      }
      next[name] = value;
    }
    copy[key] = next;
  }
  return changed ? { query: copy, plan } : null;
}

/** Marks every row the plan covers with `_count: { relation: null }`: asked, not counted here. */
function markUncounted(rows: unknown, plan: CountPlan): void {
  if (Array.isArray(rows)) {
    for (const row of rows) markUncounted(row, plan);
    return;
  }
  if (!isObject(rows)) return;
  if (plan.counts.length > 0) {
    const counts: Record<string, null> = isObject(rows._count) ? (rows._count as Record<string, null>) : {};
    for (const name of plan.counts) counts[name] = null;
    rows._count = counts;
  }
  for (const [name, nested] of plan.nested) markUncounted(rows[name], nested);
}

const FIND_OPERATIONS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
]);

/**
 * For providers without relation joins (SQLite, MySQL): Prisma computes a relation `_count` there
 * with a GROUP BY over the whole related table, joined to the parents (prisma/orm#23669), which
 * made one entity's page scan every user's rows. This extension removes relation counts from find
 * queries and answers them with `null` ("not counted"); the connection `totalCount` fields then
 * count through {@link RelationCounter}, batched per request. With relation joins (PostgreSQL,
 * CockroachDB) the counts stay in the query as correlated subqueries of the one statement.
 */
export function deferRelationCounts(client: Db): Db {
  return client.$extends({
    name: 'engram-deferred-relation-counts',
    query: {
      $allModels: {
        async $allOperations({ operation, args, query }) {
          if (!FIND_OPERATIONS.has(operation) || !isObject(args)) return query(args);
          const stripped = stripCounts(args as Selection);
          if (!stripped) return query(args);
          const result = await query(stripped.query as typeof args);
          markUncounted(result, stripped.plan);
          return result;
        },
      },
    },
  }) as unknown as Db;
}
