/**
 * What planned reads know of the read schema: for each GraphQL type they can answer, its table and
 * how each field maps to SQL. It restates, in SQL, what the Pothos resolvers in src/schema/types
 * do through Prisma; `tests/planned-reads.test.ts` runs both on the same documents and requires
 * identical answers. A field that is not listed here sends its whole document to the normal path.
 */
import { normalizePredicate } from '../services/triples.ts';
import { normalizeGraphName } from '../services/validation.ts';

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

const FACT_ORDER: Record<string, OrderBy> = {
  RECENT: [
    ['last_mentioned_at', 'DESC'],
    ['id', 'DESC'],
  ],
  MENTIONS: [
    ['mention_count', 'DESC'],
    ['last_mentioned_at', 'DESC'],
    ['id', 'DESC'],
  ],
  CREATED: [
    ['created_at', 'DESC'],
    ['id', 'DESC'],
  ],
};

const NEWEST_FIRST: OrderBy = [
  ['created_at', 'DESC'],
  ['id', 'DESC'],
];

/** Only rows whose `column` points at the named row of `table` (a relation filter by name). */
function byName(row: string, column: string, table: string, name: string, params: Params): string {
  return `${row}."${column}" IN (SELECT "id" FROM "${table}" WHERE "name" = ${params.add(name)})`;
}

/** Entity.facts: see factsWhere in src/schema/types/Entity.ts. */
function factsWhere(args: Args, row: string, params: Params): string[] | null {
  // `contains` is Prisma's LIKE with its own escaping: left to the normal path.
  if (args.contains) return null;
  return args.category ? [`${row}."category" = ${params.add(args.category)}`] : [];
}

/** Entity.triples: see triplesWhere in src/schema/types/Entity.ts. */
function triplesWhere(args: Args, row: string, params: Params): string[] {
  const where: string[] = [];
  if (args.asOf instanceof Date) {
    const at = timestampParam(params, args.asOf);
    where.push(
      `((${row}."valid_from" <= ${at} AND (${row}."valid_to" IS NULL OR ${row}."valid_to" > ${at})) OR EXISTS (SELECT 1 FROM "triple_interval" i WHERE i."triple_id" = ${row}."id" AND i."valid_from" <= ${at} AND i."valid_to" > ${at}))`,
    );
  } else if (!args.includeHistory) {
    where.push(`${row}."valid_to" IS NULL`);
  }
  if (args.subject) {
    where.push(byName(row, 'subject_id', 'subject', normalizeGraphName(String(args.subject)), params));
  }
  if (args.predicate) {
    where.push(byName(row, 'predicate_id', 'predicate', normalizePredicate(String(args.predicate)), params));
  }
  if (args.object)
    where.push(byName(row, 'object_id', 'object', normalizeGraphName(String(args.object)), params));
  return where;
}

/** GraphQL type name → how to read it. */
export const CATALOG: Readonly<Record<string, TypeSpec>> = {
  Entity: {
    table: 'entity',
    fields: {
      id: { kind: 'id' },
      externalId: column('external_id'),
      createdAt: time('created_at'),
      facts: {
        kind: 'connection',
        type: 'Fact',
        parentKey: 'entity_id',
        order: (args) => FACT_ORDER[String(args.orderBy ?? 'RECENT')] ?? FACT_ORDER.RECENT!,
        where: factsWhere,
      },
      triples: {
        kind: 'connection',
        type: 'Triple',
        parentKey: 'entity_id',
        order: () => [
          ['last_mentioned_at', 'DESC'],
          ['id', 'DESC'],
        ],
        where: triplesWhere,
      },
      sessions: { kind: 'connection', type: 'Session', parentKey: 'entity_id', order: () => NEWEST_FIRST },
    },
  },
  Fact: {
    table: 'entity_fact',
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
    table: 'knowledge_graph',
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
    table: 'triple_interval',
    fields: { validFrom: time('valid_from'), validTo: time('valid_to') },
  },
  TripleSubject: {
    table: 'subject',
    fields: { id: { kind: 'id' }, name: column('name'), type: column('type') },
  },
  TriplePredicate: { table: 'predicate', fields: { id: { kind: 'id' }, name: column('name') } },
  TripleObject: {
    table: 'object',
    fields: { id: { kind: 'id' }, name: column('name'), type: column('type') },
  },
  Session: {
    table: 'session',
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
    table: 'conversation',
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
    table: 'conversation_message',
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
