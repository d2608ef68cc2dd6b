import DataLoader from 'dataloader';
import type { Db } from './client.ts';
import { Prisma } from './generated/client.ts';
import { TABLES as TABLE_OF } from './tables.ts';

/** Whether a provider's generated client loads nested relations and relation counts in one statement. */
export function joinsRelations(provider: string): boolean {
  return provider === 'postgresql' || provider === 'cockroachdb';
}

/** A model's client delegate name (`entityFact`), whose rows are counted per parent. */
export type CountedModel = string;

interface GroupByDelegate {
  groupBy(args: unknown): Promise<Array<Record<string, unknown> & { _count: { _all: number } }>>;
}

/**
 * Counts related rows per parent, batched: all parents asking for the same (model, foreign key,
 * filter) in the same tick cost one `GROUP BY` over the foreign key's index. Nothing is cached.
 */
/** Table and column of each counted foreign key (constants: never built from input). */
const TABLES: Partial<Record<string, [table: string, column: string]>> = {
  'entityFact.entityId': [TABLE_OF.EntityFact, 'entity_id'],
  'triple.entityId': [TABLE_OF.Triple, 'entity_id'],
  'session.entityId': [TABLE_OF.Session, 'entity_id'],
  'session.processId': [TABLE_OF.Session, 'process_id'],
  'conversation.sessionId': [TABLE_OF.Conversation, 'session_id'],
  'conversationMessage.conversationId': [TABLE_OF.ConversationMessage, 'conversation_id'],
  'factMention.factId': [TABLE_OF.FactMention, 'fact_id'],
  'processAttribute.processId': [TABLE_OF.ProcessAttribute, 'process_id'],
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
        async (asked: readonly number[]) => {
          // One loader per batch: filters vary (`contains` holds user text), so none is kept.
          if (this.loaders.get(key) === loader) this.loaders.delete(key);
          // Without a cache DataLoader repeats ids; each goes to SQL once.
          const ids = [...new Set(asked)];
          // Unfiltered counts go straight to SQL: Prisma's groupBy costs ~85 µs of CPU per call
          // against ~20 µs for the same statement raw, and a page asks for several.
          if (table && Object.keys(where).length === 0) {
            const [name, column] = table;
            const rows = await this.db.$queryRaw<{ k: number | bigint; n: number | bigint }[]>(
              Prisma.sql`SELECT ${Prisma.raw(column)} AS k, COUNT(*) AS n FROM ${Prisma.raw(name)} WHERE ${Prisma.raw(column)} IN (${Prisma.join(ids)}) GROUP BY ${Prisma.raw(column)}`,
            );
            const counts = new Map(rows.map((row) => [Number(row.k), Number(row.n)]));
            return asked.map((id) => counts.get(id) ?? 0);
          }
          const delegate = (this.db as unknown as Record<string, GroupByDelegate>)[model] as GroupByDelegate;
          const rows = await delegate.groupBy({
            by: [foreignKey],
            where: { AND: [where, { [foreignKey]: { in: ids } }] },
            _count: { _all: true },
          });
          const counts = new Map(rows.map((row) => [row[foreignKey] as number, row._count._all]));
          return asked.map((id) => counts.get(id) ?? 0);
          // Batch, never cache: a subscription keeps one context for its whole life, and its
          // totals must follow the data.
        },
        // SQLite takes at most 999 parameters per statement (and a filter needs some).
        { cache: false, maxBatchSize: 500 },
      );
      this.loaders.set(key, loader);
    }
    return loader.load(parentId);
  }
}

/** One relation `_count` asked in a find query, with the relation's rows when they come too. */
interface CountRequest {
  relation: string;
  /** The counted model's delegate and its foreign key to the parent's id. */
  model: CountedModel;
  foreignKey: string;
  where: object | undefined;
  /** Set when the same query loads the relation from its start with this `take` and filter. */
  take: number | undefined;
}

/** Where relation counts were taken out of a find query, mirrored by its result rows. */
interface CountPlan {
  counts: CountRequest[];
  /** Whether `id` was added to the selection to count by it (and is removed from the rows). */
  addedId: boolean;
  nested: Map<string, CountPlan>;
}

type Selection = { select?: Record<string, unknown>; include?: Record<string, unknown> };
type Row = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The datamodel's relation fields, as Pothos' generated types describe them. */
export interface RelationModel {
  fields: readonly {
    name: string;
    kind: string;
    type: string;
    isList: boolean;
    relationName?: string | null;
    relationFromFields?: readonly string[] | null;
  }[];
}

/** Whether a filter can be a batching key (JSON); one holding a BigInt cannot. */
function serializable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether two `where` filters select the same rows (Prisma hands extensions copies of the query). */
function sameFilter(a: unknown, b: unknown): boolean {
  const none = (value: unknown) =>
    value === undefined || (isObject(value) && Object.keys(value).length === 0);
  if (none(a) || none(b)) return none(a) && none(b);
  return a === b || (serializable(a) && JSON.stringify(a) === JSON.stringify(b));
}

const delegateName = (model: string) => model.charAt(0).toLowerCase() + model.slice(1);

/**
 * Takes the relation `_count`s out of a find query on `model` (and its nested relations); null
 * when it has none, or one this extension cannot count (then Prisma counts it).
 */
function planCounts(
  models: Record<string, RelationModel>,
  model: string,
  query: Selection,
): { query: Selection; plan: CountPlan } | null {
  const fields = models[model]?.fields;
  // Counting needs each parent's id: a query that leaves it out is left to Prisma.
  const omitted = isObject((query as { omit?: unknown }).omit) && (query as { omit: Row }).omit.id === true;
  if (!fields || omitted || query.select?.id === false) return null;
  let changed = false;
  const plan: CountPlan = { counts: [], addedId: false, nested: new Map() };
  const copy: Selection = { ...query };
  for (const key of ['select', 'include'] as const) {
    const selection = query[key];
    if (!isObject(selection)) continue;
    const next: Record<string, unknown> = { ...selection };
    const counted = selection._count;
    if (isObject(counted) && isObject(counted.select)) {
      const requests: CountRequest[] = [];
      for (const [relation, asked] of Object.entries(counted.select)) {
        const field = fields.find((f) => f.name === relation && f.kind === 'object' && f.isList);
        const back = field && models[field.type]?.fields.find((f) => f.relationName === field.relationName);
        const foreignKey = back?.relationFromFields?.length === 1 ? back.relationFromFields[0] : undefined;
        if (!field || !foreignKey || (asked !== true && !isObject(asked))) return null;
        const where = isObject(asked) && isObject(asked.where) ? asked.where : undefined;
        if (where !== undefined && !serializable(where)) return null;
        const rows = selection[relation];
        const take =
          isObject(rows) &&
          typeof rows.take === 'number' &&
          rows.take > 0 &&
          (rows.skip === undefined || rows.skip === 0) &&
          rows.cursor === undefined &&
          rows.distinct === undefined &&
          sameFilter(rows.where, where)
            ? rows.take
            : undefined;
        requests.push({ relation, model: delegateName(field.type), foreignKey, where, take });
      }
      plan.counts = requests;
      delete next._count;
      changed = true;
      if (key === 'select' && selection.id === undefined) {
        next.id = true;
        plan.addedId = true;
      }
    }
    for (const [name, value] of Object.entries(selection)) {
      if (name === '_count' || !isObject(value) || !(isObject(value.select) || isObject(value.include)))
        continue;
      const type = fields.find((f) => f.name === name && f.kind === 'object')?.type;
      const inner = type ? planCounts(models, type, value as Selection) : null;
      if (inner) {
        plan.nested.set(name, inner.plan);
        next[name] = inner.query;
        changed = true;
      }
    }
    copy[key] = next;
  }
  return changed ? { query: copy, plan } : null;
}

/** Whether a query selects a relation `_count` at any depth. */
function asksCount(query: Selection): boolean {
  for (const selection of [query.select, query.include]) {
    if (!isObject(selection)) continue;
    for (const name in selection) {
      const value = selection[name];
      if (name === '_count' && isObject(value)) return true;
      if (isObject(value) && asksCount(value as Selection)) return true;
    }
  }
  return false;
}

/** Every row the plan covers, level by level. */
function collectRows(rows: unknown, into: Row[]): Row[] {
  if (Array.isArray(rows)) for (const row of rows) collectRows(row, into);
  else if (isObject(rows)) into.push(rows);
  return into;
}

/** Fills `_count` on the result rows: the page's size where it holds the whole list, else a count. */
async function fillCounts(counter: RelationCounter, result: unknown, plan: CountPlan): Promise<void> {
  const rows = collectRows(result, []);
  const pending: Promise<void>[] = [];
  if (plan.counts.length > 0) {
    for (const row of rows) {
      const counts: Record<string, number> = {};
      row._count = counts;
      for (const request of plan.counts) {
        const loaded = row[request.relation];
        if (request.take !== undefined && Array.isArray(loaded) && loaded.length < request.take) {
          counts[request.relation] = loaded.length;
          continue;
        }
        pending.push(
          counter.count(request.model, request.foreignKey, row.id as number, request.where).then((n) => {
            counts[request.relation] = n;
          }),
        );
      }
    }
  }
  for (const [name, nested] of plan.nested) {
    pending.push(
      fillCounts(
        counter,
        rows.map((row) => row[name]),
        nested,
      ),
    );
  }
  await Promise.all(pending);
  if (plan.addedId) for (const row of rows) delete row.id;
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
 * with a GROUP BY over the whole related table joined to the parents (prisma/orm#23669), which
 * made one entity's page scan every user's rows. This extension takes relation counts out of find
 * queries and fills them in after: a list loaded in the same query from its start, with fewer
 * rows than it asked for, is its own count; the others are counted per parent with
 * `WHERE parent IN (...) GROUP BY parent`, batched across the calls of the same tick. Those counts
 * run on the base client, outside any transaction the query ran in: inside a transaction they do
 * not see its uncommitted rows (no Engram code selects `_count` in a transaction; GraphQL reads
 * go through the reader). With relation joins (PostgreSQL, CockroachDB) Prisma counts in
 * the same statement with correlated subqueries, and this is not used.
 */
export function countRelationsSeparately(client: Db, models: Record<string, RelationModel>): Db {
  const counter = new RelationCounter(client);
  return client.$extends({
    name: 'engram-relation-counts',
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          if (!FIND_OPERATIONS.has(operation) || !isObject(args)) return query(args);
          // Most queries count nothing: a look without copying keeps them off the slow path.
          const planned = asksCount(args as Selection) ? planCounts(models, model, args as Selection) : null;
          if (!planned) return query(args);
          const result = await query(planned.query as typeof args);
          await fillCounts(counter, result, planned.plan);
          return result;
        },
      },
    },
  }) as unknown as Db;
}
