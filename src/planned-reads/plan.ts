/**
 * Planned reads: a read-only GraphQL document over the types of {@link CATALOG}, from the root
 * fields `entity` and `session`, answered with one SQL statement on PostgreSQL that builds the
 * whole tree as JSON, instead of a resolver per field and a Prisma query per root field.
 * `planDocument` checks once per document that every field it selects is known (no directives,
 * no unknown fields, supported root fields); `buildStatement` then builds the statement for one
 * request's variables and the function that shapes its row into the answer exactly as the
 * resolvers would. Anything outside that (an unknown field, `after`/`before`/`last`, a filter left
 * to Prisma, a caller the resolver would check further) returns null and the document takes the
 * normal path, which also produces the errors. src/planned-reads/plugin.ts runs the statement.
 */
import {
  encodeBase64,
  encodeCursorChunk,
  getConnectionPageSize,
  validateConnectionArguments,
} from '@pothos/core';
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLLeafType,
  GraphQLObjectType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isLeafType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeNameMetaFieldDef,
} from 'graphql';
import { assertEntityAccess, type Principal } from '../auth/principal.ts';
import type { Context } from '../schema/context.ts';
import { argumentLimits, findInputProblem } from '../schema/input-guard.ts';
import { sessionWhere } from '../services/sessions.ts';
import { type Args, CATALOG, type FieldSpec, type OrderBy, Params, type TypeSpec } from './catalog.ts';

/** Connections without `first` get as many items as in the Pothos builder (defaultConnectionSize). */
const DEFAULT_CONNECTION_SIZE = 20;
/** PostgreSQL functions take at most 100 arguments (json_build_array included). */
const MAX_COLUMNS = 100;

/** A field of the document, merged across fragments by response key. */
interface FieldSelection {
  key: string;
  name: string;
  /** The first node of the field (graphql validation makes every node's arguments equal). */
  node: FieldNode;
  definition: GraphQLField<unknown, unknown>;
  /** Set for scalars and enums. */
  leaf?: GraphQLLeafType;
  /** Set for catalog fields of a catalog type. */
  spec?: FieldSpec;
  /** The selection below an object, list or connection field. */
  children?: FieldSelection[];
  /** The object type of `children`. */
  type?: GraphQLObjectType;
}

export interface Plan {
  operation: OperationDefinitionNode;
  /** The document's fragments, for the input check. */
  fragments: Record<string, FragmentDefinitionNode>;
  fields: FieldSelection[];
  /** The Query type's name, for a root `__typename`. */
  rootTypename: string;
}

/** Thrown while planning or building when the document must take the normal path. */
class Unplannable extends Error {}

const unplannable = (why: string): never => {
  throw new Unplannable(why);
};

/** The plan of one operation of a document, or null when it must take the normal path. */
export function planDocument(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): Plan | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query') return null;
  const queryType = schema.getQueryType();
  if (!queryType) return null;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  try {
    const fields = collect(schema, queryType, [operation.selectionSet], fragments);
    for (const field of fields) {
      if (field.name === '__typename') continue;
      if (!ROOTS[field.name]) return null;
      checkObject(schema, field, fragments);
    }
    return { operation, fragments, fields, rootTypename: queryType.name };
  } catch (error) {
    if (error instanceof Unplannable) return null;
    throw error;
  }
}

/** The fields of selection sets on an object type, merged by response key, fragments inlined. */
function collect(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  sets: readonly SelectionSetNode[],
  fragments: Record<string, FragmentDefinitionNode>,
): FieldSelection[] {
  const byKey = new Map<string, FieldSelection & { sets: SelectionSetNode[] }>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      // @skip/@include (or any other directive) would make the shape depend on variables.
      if (selection.directives?.length) unplannable('directive');
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const existing = byKey.get(key);
        if (existing) {
          if (selection.selectionSet) existing.sets.push(selection.selectionSet);
          continue;
        }
        const name = selection.name.value;
        const definition =
          name === '__typename'
            ? TypeNameMetaFieldDef
            : (type.getFields()[name] ?? unplannable(`unknown field ${name}`));
        byKey.set(key, {
          key,
          name,
          node: selection,
          definition,
          sets: selection.selectionSet ? [selection.selectionSet] : [],
        });
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      if (!fragment) return unplannable('unknown fragment');
      if (fragment.directives?.length) unplannable('directive');
      const condition = fragment.typeCondition?.name.value;
      if (condition && condition !== type.name) {
        const conditionType = schema.getType(condition);
        if (!isAbstractType(conditionType) || !schema.isSubType(conditionType, type)) continue;
      }
      visit(fragment.selectionSet);
    }
  };
  for (const set of sets) visit(set);
  return [...byKey.values()].map(({ sets: childSets, ...field }) => {
    const named = getNamedType(field.definition.type);
    if (field.name !== '__typename' && isLeafType(named)) return { ...field, leaf: named };
    if (field.name === '__typename' || !(named instanceof GraphQLObjectType)) return field;
    return { ...field, type: named, children: collect(schema, named, childSets, fragments) };
  });
}

/** Requires every field below a catalog object field to be one the catalog answers. */
function checkObject(
  schema: GraphQLSchema,
  field: FieldSelection,
  fragments: Record<string, FragmentDefinitionNode>,
): void {
  const spec = typeSpec(field.type);
  let columns = 1;
  for (const child of field.children ?? []) {
    if (child.name === '__typename') continue;
    const childSpec = spec.fields[child.name] ?? unplannable(`field ${field.type?.name}.${child.name}`);
    child.spec = childSpec;
    columns += childSpec.kind === 'connection' ? 2 : 1;
    if (childSpec.kind === 'id' || childSpec.kind === 'column') continue;
    if (childSpec.kind === 'connection') checkConnection(schema, child, childSpec.type, fragments);
    else if (child.type?.name === childSpec.type) checkObject(schema, child, fragments);
    else unplannable(`type of ${child.name}`);
  }
  if (columns > MAX_COLUMNS) unplannable('too many columns');
}

const CONNECTION_FIELDS = new Set(['__typename', 'totalCount', 'edges', 'pageInfo']);
const EDGE_FIELDS = new Set(['__typename', 'cursor', 'node']);
const PAGE_INFO_FIELDS = new Set([
  '__typename',
  'hasNextPage',
  'hasPreviousPage',
  'startCursor',
  'endCursor',
]);

function checkConnection(
  schema: GraphQLSchema,
  field: FieldSelection,
  nodeType: string,
  fragments: Record<string, FragmentDefinitionNode>,
): void {
  for (const child of field.children ?? []) {
    if (!CONNECTION_FIELDS.has(child.name)) unplannable(`connection field ${child.name}`);
    if (child.name === 'pageInfo') {
      for (const info of child.children ?? []) {
        if (!PAGE_INFO_FIELDS.has(info.name)) unplannable(`pageInfo field ${info.name}`);
      }
    }
    if (child.name !== 'edges') continue;
    for (const edge of child.children ?? []) {
      if (!EDGE_FIELDS.has(edge.name)) unplannable(`edge field ${edge.name}`);
      if (edge.name !== 'node') continue;
      if (edge.type?.name !== nodeType) unplannable('node type');
      checkObject(schema, edge, fragments);
    }
  }
}

function typeSpec(type: GraphQLObjectType | undefined): TypeSpec {
  return (type && CATALOG[type.name]) ?? unplannable(`type ${type?.name}`);
}

/** One statement: its SQL, its parameters, and how to turn its single JSON value into the answer. */
export interface Statement {
  sql: string;
  params: unknown[];
  /** The data, from the statement's one row (a column per root field). */
  shape: (row: Record<string, unknown>) => Record<string, unknown>;
  /**
   * The answer when the database is unreachable, as the resolvers give it: each root field null,
   * with the error at its path (error masking then codes it DATABASE_UNAVAILABLE).
   */
  unavailable: (error: unknown) => ExecutionResult;
}

/** A root field planned reads answer: its table's rows are found by `where`. */
interface Root {
  /**
   * The condition on the root row (alias `row`) for these arguments, after the resolver's own
   * access check; throws (the document then takes the normal path) where the resolver would
   * do more than one lookup or refuse.
   */
  where: (args: Args, row: string, params: Params, principal: Principal) => string;
}

/** The root fields of src/schema/queries.ts that planned reads answer. */
const ROOTS: Readonly<Record<string, Root>> = {
  entity: {
    where: (args, row, params, principal) => {
      const externalId = String(args.externalId);
      assertEntityAccess(principal, externalId);
      return `${row}."external_id" = ${params.add(externalId)}`;
    },
  },
  session: {
    where: (args, row, params, principal) => {
      // Only API keys: for an entity token the resolver first looks up the session's owner.
      if (principal.kind !== 'key') unplannable('session owner check');
      const where = sessionWhere(String(args.id));
      return 'id' in where
        ? `${row}."id" = ${params.add(where.id)}`
        : `${row}."uuid" = ${params.add(where.uuid)}`;
    },
  },
};

/**
 * The statement for a plan and one request's raw variables, or null when this request must take
 * the normal path (variables that do not coerce, a denied principal, paging arguments the plan
 * does not do).
 */
export function buildStatement(
  schema: GraphQLSchema,
  plan: Plan,
  rawVariables: Record<string, unknown> | null | undefined,
  ctx: Pick<Context, 'principal' | 'maxPageSize'>,
): Statement | null {
  const coerced = getVariableValues(schema, plan.operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return null;
  // Arguments the resolvers refuse (NUL, unpaired surrogates, overlong filters) are refused by
  // them, with their codes, whatever the database would have made of them.
  const queryType = schema.getQueryType();
  if (!queryType) return null;
  if (
    findInputProblem(
      schema,
      queryType,
      plan.operation.selectionSet,
      plan.fragments,
      coerced.coerced,
      argumentLimits(ctx),
    )
  ) {
    return null;
  }
  const builder = new Builder(coerced.coerced, ctx.maxPageSize);
  try {
    const parts: { field: FieldSelection; column?: string; read: (value: unknown) => unknown }[] = [];
    const columns: string[] = [];
    for (const field of plan.fields) {
      if (field.name === '__typename') {
        parts.push({ field, read: () => plan.rootTypename });
        continue;
      }
      const root = ROOTS[field.name] as Root;
      const alias = builder.alias();
      const where = root.where(builder.args(field), alias, builder.params, ctx.principal);
      const object = builder.object(field, alias);
      const table = typeSpec(field.type).table;
      const column = `r${columns.length}`;
      // A scalar subquery per root field: null when no row matches, one statement for all of them.
      columns.push(
        `(SELECT json_build_array(${object.columns.join(', ')}) FROM "${table}" ${alias} WHERE ${where}) AS "${column}"`,
      );
      parts.push({
        field,
        column,
        read: (value) => (value == null ? null : object.read(value as unknown[])),
      });
    }
    if (columns.length === 0) return null;
    return {
      sql: `SELECT ${columns.join(', ')}`,
      params: builder.params.values,
      shape: (row) => {
        const data: Record<string, unknown> = {};
        for (const part of parts) data[part.field.key] = part.read(part.column ? row[part.column] : null);
        return data;
      },
      unavailable: (error) => {
        const data: Record<string, unknown> = {};
        const errors: GraphQLError[] = [];
        const message = error instanceof Error ? error.message : String(error);
        for (const part of parts) {
          data[part.field.key] = part.column ? null : part.read(null);
          if (!part.column) continue;
          const at = { nodes: [part.field.node], path: [part.field.key], originalError: error as Error };
          errors.push(new GraphQLError(message, at));
        }
        return { data, errors };
      },
    };
  } catch (error) {
    // Pothos' own argument checks throw validation errors; access checks throw ForbiddenError.
    // The normal path raises them again, with their codes.
    if (error instanceof Error) return null;
    throw error;
  }
}

type Reader = (row: unknown[]) => unknown;

/** Builds the SQL of one request bottom-up, and the readers of its JSON arrays alongside. */
class Builder {
  readonly params = new Params();
  private aliases = 0;

  constructor(
    private readonly variables: Record<string, unknown>,
    private readonly maxPageSize: number,
  ) {}

  alias(): string {
    this.aliases += 1;
    return `t${this.aliases}`;
  }

  args(field: FieldSelection): Args {
    return getArgumentValues(field.definition, field.node, this.variables);
  }

  /**
   * The columns of a row of `field.type` read through `alias` (its id first), and the reader of
   * the JSON array they make.
   */
  object(
    field: FieldSelection,
    alias: string,
  ): { columns: string[]; read: (row: unknown[]) => Record<string, unknown> } {
    const type = field.type as GraphQLObjectType;
    const columns = [`${alias}."id"`];
    const readers: { key: string; read: Reader }[] = [];
    for (const child of field.children ?? []) {
      const at = columns.length;
      if (child.name === '__typename') {
        readers.push({ key: child.key, read: () => type.name });
        continue;
      }
      const fieldSpec = child.spec as FieldSpec;
      switch (fieldSpec.kind) {
        case 'id':
          readers.push({ key: child.key, read: (row) => encodeGlobalID(type.name, row[0] as number) });
          break;
        case 'column': {
          columns.push(`${alias}."${fieldSpec.column}"`);
          readers.push({
            key: child.key,
            read: leafReader(child.leaf as GraphQLLeafType, at, fieldSpec.time),
          });
          break;
        }
        case 'one': {
          const inner = this.alias();
          const target = CATALOG[fieldSpec.type] as TypeSpec;
          const object = this.object(child, inner);
          columns.push(
            `(SELECT json_build_array(${object.columns.join(', ')}) FROM "${target.table}" ${inner} WHERE ${inner}."id" = ${alias}."${fieldSpec.foreignKey}")`,
          );
          readers.push({
            key: child.key,
            read: (row) => (row[at] == null ? null : object.read(row[at] as unknown[])),
          });
          break;
        }
        case 'list': {
          const inner = this.alias();
          const target = CATALOG[fieldSpec.type] as TypeSpec;
          const object = this.object(child, inner);
          // At most MAX_PAGE_SIZE items, as the resolver takes; the sort keys ride along for json_agg.
          const keys = fieldSpec.order
            .map(([column], index) => `${inner}."${column}" AS o${index}`)
            .join(', ');
          const page = `${inner}p`;
          const outer = fieldSpec.order
            .map(([, direction], index) => `${page}.o${index} ${direction}`)
            .join(', ');
          columns.push(
            `(SELECT coalesce(json_agg(${page}.j ORDER BY ${outer}), '[]'::json) FROM (SELECT json_build_array(${object.columns.join(', ')}) AS j, ${keys} FROM "${target.table}" ${inner} WHERE ${inner}."${fieldSpec.parentKey}" = ${alias}."id" ORDER BY ${orderSql(inner, fieldSpec.order)} LIMIT ${this.params.add(this.maxPageSize)}) ${page})`,
          );
          readers.push({ key: child.key, read: (row) => (row[at] as unknown[][]).map(object.read) });
          break;
        }
        case 'connection':
          readers.push({ key: child.key, read: this.connection(child, fieldSpec, alias, columns) });
          break;
      }
    }
    return {
      columns,
      read: (row) => {
        const out: Record<string, unknown> = {};
        for (const reader of readers) out[reader.key] = reader.read(row);
        return out;
      },
    };
  }

  /** Adds a connection's columns (its page, then its total when asked) and returns its reader. */
  private connection(
    field: FieldSelection,
    spec: Extract<FieldSpec, { kind: 'connection' }>,
    parent: string,
    columns: string[],
  ): Reader {
    const args = this.args(field);
    if (args.after != null || args.before != null || args.last != null)
      unplannable('paging backwards or after');
    validateConnectionArguments(args as { first?: number | null; last?: number | null });
    const { limit } = getConnectionPageSize({
      args: args as { first?: number | null; last?: number | null },
      defaultSize: DEFAULT_CONNECTION_SIZE,
      maxSize: this.maxPageSize,
    });
    const inner = this.alias();
    const target = CATALOG[spec.type] as TypeSpec;
    const conditions = spec.where ? spec.where(args, inner, this.params) : [];
    if (!conditions) return unplannable('filter');
    const where = [`${inner}."${spec.parentKey}" = ${parent}."id"`, ...conditions].join(' AND ');
    const children = field.children ?? [];
    const wantsRows = children.some((child) => child.name === 'edges' || child.name === 'pageInfo');
    const wantsTotal = children.some((child) => child.name === 'totalCount');
    // Every `node` under every `edges` alias reads the same columns: one selection, or none.
    const nodeFields = children
      .filter((child) => child.name === 'edges')
      .flatMap((edges) => (edges.children ?? []).filter((child) => child.name === 'node'));
    if (nodeFields.length > 1) unplannable('node selected under several aliases');
    const nodeField = nodeFields[0];
    const node = nodeField ? this.object(nodeField, inner) : { columns: [`${inner}."id"`], read: () => ({}) };

    const rowsAt = columns.length;
    if (wantsRows) {
      const order = spec.order(args);
      // json_agg keeps the page's order only when told: the sort keys ride along as o0, o1...
      const keys = order.map(([column], index) => `${inner}."${column}" AS o${index}`).join(', ');
      const page = `${inner}p`;
      const outer = order.map(([, direction], index) => `${page}.o${index} ${direction}`).join(', ');
      columns.push(
        `(SELECT coalesce(json_agg(${page}.j ORDER BY ${outer}), '[]'::json) FROM (SELECT json_build_array(${node.columns.join(', ')}) AS j, ${keys} FROM "${target.table}" ${inner} WHERE ${where} ORDER BY ${orderSql(inner, order)} LIMIT ${this.params.add(limit)}) ${page})`,
      );
    }
    const totalAt = columns.length;
    if (wantsTotal) columns.push(`(SELECT count(*)::int FROM "${target.table}" ${inner} WHERE ${where})`);

    const typename = field.type?.name;
    return (row) => {
      const rows = wantsRows ? (row[rowsAt] as unknown[][]) : [];
      // As Pothos' wrapConnectionResult: one extra row was asked for to know whether more follow.
      const full = rows.length === limit;
      const page = full ? rows.slice(0, -1) : rows;
      const cursors = page.map((item) => encodeBase64(`GPC:${encodeCursorChunk(item[0])}`));
      const out: Record<string, unknown> = {};
      for (const child of children) {
        switch (child.name) {
          case '__typename':
            out[child.key] = typename;
            break;
          case 'totalCount':
            out[child.key] = row[totalAt];
            break;
          case 'pageInfo':
            out[child.key] = pageInfo(child, full, cursors);
            break;
          case 'edges':
            out[child.key] = page.map((item, index) =>
              edge(child, item, cursors[index] as string, node.read),
            );
            break;
        }
      }
      return out;
    };
  }
}

function edge(field: FieldSelection, item: unknown[], cursor: string, read: Reader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const child of field.children ?? []) {
    if (child.name === '__typename') out[child.key] = field.type?.name;
    else if (child.name === 'cursor') out[child.key] = cursor;
    else out[child.key] = read(item);
  }
  return out;
}

function pageInfo(field: FieldSelection, hasNextPage: boolean, cursors: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const child of field.children ?? []) {
    switch (child.name) {
      case '__typename':
        out[child.key] = field.type?.name;
        break;
      case 'hasNextPage':
        out[child.key] = hasNextPage;
        break;
      case 'hasPreviousPage':
        out[child.key] = false;
        break;
      case 'startCursor':
        out[child.key] = cursors[0] ?? null;
        break;
      case 'endCursor':
        out[child.key] = cursors[cursors.length - 1] ?? null;
        break;
    }
  }
  return out;
}

/** Reads a column through the GraphQL scalar or enum, as the resolver's value would be serialized. */
function leafReader(leaf: GraphQLLeafType, at: number, time: true | undefined): Reader {
  if (time) {
    // json renders timestamp(3) as 2026-11-24T09:25:08.123 (UTC without its zone).
    return (row) => (row[at] == null ? null : leaf.serialize(new Date(`${row[at] as string}Z`)));
  }
  return (row) => (row[at] == null ? null : leaf.serialize(row[at]));
}

function orderSql(alias: string, order: OrderBy): string {
  return order.map(([column, direction]) => `${alias}."${column}" ${direction}`).join(', ');
}
