/**
 * What planned reads know of the read schema: for each GraphQL type they can answer, its table and
 * how each field maps to SQL. It restates, in SQL, what the Pothos resolvers in src/schema/types
 * do through Prisma; `tests/planned-reads.test.ts` runs both on the same documents and requires
 * identical answers. The rules both follow (fact and triple orders, which triples hold when, how
 * names are matched) come from src/services/fact-reads.ts and triple-reads.ts, and the tables
 * from src/db/tables.ts; only their SQL is written here. A field that is not listed here sends its
 * whole document to the normal path.
 */
import { TABLES } from '../db/tables.ts';
import { DEFAULT_FACT_ORDER, FACT_ORDERS, type FactOrder, type FactSortKey } from '../services/fact-reads.ts';
import { TRIPLE_ORDER, tripleNames, tripleValidity } from '../services/triple-reads.ts';

/** Collects the parameters of one statement and hands out their placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A `timestamp(3)` parameter: Engram keeps UTC instants without a zone, as Prisma writes them. */
export function timestampParam(params: Params, value: Date): string {
  return `${params.add(value.toISOString().slice(0, -1))}::timestamp(3)`;
}

/** Connection arguments after coercion (defaults applied), as graphql-js gives them. */
export type Args = Record<string, unknown>;

export type FieldSpec =
  /** The node's global id, from the primary key. */
  | { kind: 'id' }
  /** A column; `time` columns are read back as Dates before the scalar serializes them. */
  | { kind: 'column'; column: string; time?: true }
  /** A to-one relation: the row of `type` whose id is this row's `foreignKey`. */
  | { kind: 'one'; type: string; foreignKey: string }
  /** A to-many relation without paging, in `order`. */
  | { kind: 'list'; type: string; parentKey: string; order: OrderBy }
  /** A Relay connection over a to-many relation, paged with `first`, ordered and filtered by its arguments. */
  | {
      kind: 'connection';
      type: string;
      parentKey: string;
      order: (args: Args) => OrderBy;
      /**
       * SQL conditions on the child rows (alias `row`) for these arguments, or null when an
       * argument asks for something planned reads do not do (the document then takes the normal path).
       */
      where?: (args: Args, row: string, params: Params) => string[] | null;
    };

/** Columns and directions, most significant first; the last one is unique (the id). */
export type OrderBy = readonly (readonly [column: string, direction: 'ASC' | 'DESC'])[];

export interface TypeSpec {
  table: string;
  fields: Readonly<Record<string, FieldSpec>>;
}

const time = (column: string): FieldSpec => ({ kind: 'column', column, time: true });
const column = (name: string): FieldSpec => ({ kind: 'column', column: name });

/** The columns of the fields facts and triples are sorted by (their `@map`). */
const SORT_COLUMNS: Record<FactSortKey[0], string> = {
  lastMentionedAt: 'last_mentioned_at',
  mentionCount: 'mention_count',
  createdAt: 'created_at',
  id: 'id',
};

/** A domain sort order in SQL. */
function sqlOrder(keys: readonly FactSortKey[]): OrderBy {
  return keys.map(([field, direction]) => [SORT_COLUMNS[field], direction === 'desc' ? 'DESC' : 'ASC']);
}

const FACT_ORDER = Object.fromEntries(
  Object.entries(FACT_ORDERS).map(([order, keys]) => [order, sqlOrder(keys)]),
) as Record<FactOrder, OrderBy>;

const TRIPLE_SQL_ORDER = sqlOrder(TRIPLE_ORDER);

const NEWEST_FIRST: OrderBy = [
  ['created_at', 'DESC'],
  ['id', 'DESC'],
];

/** Only rows whose `column` points at the named row of `table` (a relation filter by name). */
function byName(row: string, column: string, table: string, name: string, params: Params): string {
  return `${row}."${column}" IN (SELECT "id" FROM "${table}" WHERE "name" = ${params.add(name)})`;
}

/** Entity.facts: see factsWhere in src/services/fact-reads.ts. */
function factsWhere(args: Args, row: string, params: Params): string[] | null {
  // `contains` is Prisma's LIKE with its own escaping: left to the normal path.
  if (args.contains) return null;
  return args.category ? [`${row}."category" = ${params.add(args.category)}`] : [];
}

/** Entity.triples: see triplesWhere in src/services/triple-reads.ts. */
function triplesWhere(args: Args, row: string, params: Params): string[] {
  const where: string[] = [];
  const validity = tripleValidity({
    asOf: args.asOf instanceof Date ? args.asOf : null,
    includeHistory: Boolean(args.includeHistory),
  });
  if (validity.kind === 'at') {
    const at = timestampParam(params, validity.at);
    where.push(
      `((${row}."valid_from" <= ${at} AND (${row}."valid_to" IS NULL OR ${row}."valid_to" > ${at})) OR EXISTS (SELECT 1 FROM "${TABLES.TripleInterval}" i WHERE i."triple_id" = ${row}."id" AND i."valid_from" <= ${at} AND i."valid_to" > ${at}))`,
    );
  } else if (validity.kind === 'current') {
    where.push(`${row}."valid_to" IS NULL`);
  }
  const names = tripleNames({
    subject: args.subject as string | null | undefined,
    predicate: args.predicate as string | null | undefined,
    object: args.object as string | null | undefined,
  });
  if (names.subject !== undefined) {
    where.push(byName(row, 'subject_id', TABLES.TripleSubject, names.subject, params));
  }
  if (names.predicate !== undefined) {
    where.push(byName(row, 'predicate_id', TABLES.TriplePredicate, names.predicate, params));
  }
  if (names.object !== undefined) {
    where.push(byName(row, 'object_id', TABLES.TripleObject, names.object, params));
  }
  return where;
}

/** GraphQL type name → how to read it. */
export const CATALOG: Readonly<Record<string, TypeSpec>> = {
  Entity: {
    table: TABLES.Entity,
    fields: {
      id: { kind: 'id' },
      externalId: column('external_id'),
      createdAt: time('created_at'),
      facts: {
        kind: 'connection',
        type: 'Fact',
        parentKey: 'entity_id',
        order: (args) => FACT_ORDER[(args.orderBy as FactOrder | null) ?? DEFAULT_FACT_ORDER],
        where: factsWhere,
      },
      triples: {
        kind: 'connection',
        type: 'Triple',
        parentKey: 'entity_id',
        order: () => TRIPLE_SQL_ORDER,
        where: triplesWhere,
      },
      sessions: { kind: 'connection', type: 'Session', parentKey: 'entity_id', order: () => NEWEST_FIRST },
    },
  },
  Fact: {
    table: TABLES.EntityFact,
    fields: {
      id: { kind: 'id' },
      content: column('content'),
      category: column('category'),
      mentionCount: column('mention_count'),
      lastMentionedAt: time('last_mentioned_at'),
      createdAt: time('created_at'),
      entity: { kind: 'one', type: 'Entity', foreignKey: 'entity_id' },
    },
  },
  Triple: {
    table: TABLES.Triple,
    fields: {
      id: { kind: 'id' },
      subject: { kind: 'one', type: 'TripleSubject', foreignKey: 'subject_id' },
      predicate: { kind: 'one', type: 'TriplePredicate', foreignKey: 'predicate_id' },
      object: { kind: 'one', type: 'TripleObject', foreignKey: 'object_id' },
      mentionCount: column('mention_count'),
      lastMentionedAt: time('last_mentioned_at'),
      validFrom: time('valid_from'),
      validTo: time('valid_to'),
      createdAt: time('created_at'),
      earlierPeriods: {
        kind: 'list',
        type: 'TriplePeriod',
        parentKey: 'triple_id',
        order: [
          ['valid_from', 'ASC'],
          ['id', 'ASC'],
        ],
      },
      entity: { kind: 'one', type: 'Entity', foreignKey: 'entity_id' },
    },
  },
  TriplePeriod: {
    table: TABLES.TripleInterval,
    fields: { validFrom: time('valid_from'), validTo: time('valid_to') },
  },
  TripleSubject: {
    table: TABLES.TripleSubject,
    fields: { id: { kind: 'id' }, name: column('name'), type: column('type') },
  },
  TriplePredicate: { table: TABLES.TriplePredicate, fields: { id: { kind: 'id' }, name: column('name') } },
  TripleObject: {
    table: TABLES.TripleObject,
    fields: { id: { kind: 'id' }, name: column('name'), type: column('type') },
  },
  Session: {
    table: TABLES.Session,
    fields: {
      id: { kind: 'id' },
      uuid: column('uuid'),
      createdAt: time('created_at'),
      entity: { kind: 'one', type: 'Entity', foreignKey: 'entity_id' },
      conversations: {
        kind: 'connection',
        type: 'Conversation',
        parentKey: 'session_id',
        order: () => NEWEST_FIRST,
      },
    },
  },
  Conversation: {
    table: TABLES.Conversation,
    fields: {
      id: { kind: 'id' },
      summary: column('summary'),
      createdAt: time('created_at'),
      session: { kind: 'one', type: 'Session', foreignKey: 'session_id' },
      messages: {
        kind: 'connection',
        type: 'Message',
        parentKey: 'conversation_id',
        order: () => [
          ['created_at', 'ASC'],
          ['id', 'ASC'],
        ],
      },
    },
  },
  Message: {
    table: TABLES.ConversationMessage,
    fields: {
      id: { kind: 'id' },
      role: column('role'),
      type: column('type'),
      content: column('content'),
      createdAt: time('created_at'),
      conversation: { kind: 'one', type: 'Conversation', foreignKey: 'conversation_id' },
    },
  },
};
