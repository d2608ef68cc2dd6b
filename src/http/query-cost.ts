import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
  validate,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * The query cost limit: before a document runs, estimate how many nodes its response can hold and
 * refuse it over the limit (QUERY_COST_EXCEEDED), as GitHub's GraphQL API limits nodes per request.
 *
 * The estimate multiplies page sizes along each path: every field counts once per item of the
 * lists above it (at least 1), a connection's `edges` count its page size (`first`/`last`, read
 * from literals or from the request's raw variables; absent, the connection's default page size),
 * a list with a `first` argument (`semanticFacts`, `recall`) counts it, `nodes(ids:)` counts its
 * ids, a list that declares its size in its `extensions` ({@link CostExtensions}: the graph's
 * neighbourhoods and paths) counts that, and any other list counts MAX_PAGE_SIZE. Aliases each count; fragments (named, inline,
 * spread any number of times) are merged by response key exactly as graphql-js executes them, so a
 * spread repeated under one field costs once (it runs once) and under two aliases twice. On an
 * abstract type (`node`, a mutation's result union) the costliest member counts. `@skip`/`@include`
 * are ignored (counted as included).
 *
 * Page sizes come from variables, which graphql-js validation does not see (and yoga caches
 * validation per document), so the rule runs when the operation executes: {@link useQueryCost}
 * validates with {@link queryCostRule} in onExecute/onSubscribe, before any resolver or planned
 * read touches the database, on HTTP, SSE and graphql-ws alike (all go through yoga's envelop).
 */

/** How the estimate counts; every option has the server's value in app.ts. */
export interface QueryCostOptions {
  /** Most nodes a document may return (MAX_QUERY_NODES). @default 20000 */
  maxNodes: number;
  /** Largest `first`/`last` a connection honours (MAX_PAGE_SIZE); also the size of unbounded lists. @default 100 */
  maxPageSize: number;
  /** Page size of a connection (or a list with `first`) called without `first`/`last`. @default 20 */
  defaultPageSize?: number;
  /**
   * Fields visited before the estimate gives up and refuses the document (a fragment bomb that
   * the depth and alias limits let through). @default 100000
   */
  maxWork?: number;
}

/** The estimate of one operation. */
export interface QueryCost {
  /** Most nodes (objects and scalars, once per list item) the response can hold. */
  nodes: number;
  /** The limit it was held to. */
  limit: number;
}

/**
 * What a field may declare in its `extensions` for lists whose size no `first` of their own
 * bounds: the page size its child object's lists follow (`neighborhood(first:)` bounds its
 * `nodes` and `triples`), and how many items a list holds, per item of that page or fixed.
 */
export interface CostExtensions {
  /** This field's argument (`first`, `limit`) that bounds the lists of the object it returns. */
  costPageArgument?: string;
  /** This list holds at most this many items per item of the parent field's page. */
  costItemsPerPage?: number;
  /** This list holds at most this many items. */
  costItems?: number;
}

class TooComplex extends Error {}

/** Raw (uncoerced) request variables, as they arrived in JSON. */
type RawVariables = Readonly<Record<string, unknown>> | null | undefined;

/** The operation a request runs: the named one, or the only one. */
export function selectOperation(
  document: DocumentNode,
  operationName?: string | null,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName) return operations.find((operation) => operation.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

/**
 * Estimates the nodes one operation can return. `fragments` are the document's fragment
 * definitions by name; `variables` the request's raw variables.
 */
export function estimateOperationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: RawVariables,
  options: QueryCostOptions,
): number {
  const defaultPageSize = options.defaultPageSize ?? 20;
  const maxWork = options.maxWork ?? 100_000;
  const variableDefaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue)
      variableDefaults.set(definition.variable.name.value, definition.defaultValue);
  }
  let work = 0;

  /** A literal or a variable's value, as plain JSON. */
  const literalValue = (node: ValueNode): unknown => {
    switch (node.kind) {
      case Kind.VARIABLE: {
        const name = node.name.value;
        if (variables && name in variables) return variables[name];
        const fallback = variableDefaults.get(name);
        return fallback ? literalValue(fallback) : undefined;
      }
      case Kind.INT:
      case Kind.FLOAT:
        return Number(node.value);
      case Kind.LIST:
        return node.values.map(literalValue);
      case Kind.NULL:
        return null;
      default:
        return 'value' in node ? node.value : undefined;
    }
  };

  const argument = (fields: readonly FieldNode[], name: string): unknown => {
    for (const field of fields) {
      const node = field.arguments?.find((arg) => arg.name.value === name);
      if (node) return literalValue(node.value);
    }
    return undefined;
  };

  /** A page size from `first`/`last` (the larger when both), capped at MAX_PAGE_SIZE. */
  const pageSize = (fields: readonly FieldNode[], definition: GraphQLField<unknown, unknown>): number => {
    const sizes: number[] = [];
    for (const name of ['first', 'last']) {
      const arg = definition.args.find((candidate) => candidate.name === name);
      if (!arg) continue;
      const value = argument(fields, name) ?? arg.defaultValue;
      if (value === undefined || value === null) continue;
      // A value that will not coerce fails the request later; until then assume the worst.
      sizes.push(typeof value === 'number' && Number.isFinite(value) ? value : options.maxPageSize);
    }
    const size = sizes.length ? Math.max(...sizes) : defaultPageSize;
    return Math.min(Math.max(size, 0), options.maxPageSize);
  };

  /** The page a field's `costPageArgument` names (its value or default), capped at MAX_PAGE_SIZE. */
  const argumentPage = (
    fields: readonly FieldNode[],
    definition: GraphQLField<unknown, unknown>,
    name: string,
  ): number => {
    const arg = definition.args.find((candidate) => candidate.name === name);
    const value = argument(fields, name) ?? arg?.defaultValue;
    const size = typeof value === 'number' && Number.isFinite(value) ? value : options.maxPageSize;
    return Math.min(Math.max(size, 0), options.maxPageSize);
  };

  const isConnection = (type: GraphQLNamedType): type is GraphQLObjectType =>
    isObjectType(type) && 'edges' in type.getFields() && 'pageInfo' in type.getFields();

  /** Items a field's value holds per parent: 1 unless it is a list. */
  const itemsOf = (
    fields: readonly FieldNode[],
    definition: GraphQLField<unknown, unknown>,
    connectionPage: number | undefined,
  ): number => {
    if (!isListType(getNullableType(definition.type))) return 1;
    const declared = definition.extensions as CostExtensions | undefined;
    if (declared?.costItems !== undefined) return declared.costItems;
    if (declared?.costItemsPerPage !== undefined) {
      return declared.costItemsPerPage * (connectionPage ?? options.maxPageSize);
    }
    if (connectionPage !== undefined) return connectionPage;
    if (definition.args.some((arg) => arg.name === 'first' || arg.name === 'last')) {
      return pageSize(fields, definition);
    }
    if (definition.args.some((arg) => arg.name === 'ids')) {
      const ids = argument(fields, 'ids');
      return Array.isArray(ids) ? Math.min(ids.length, options.maxPageSize) : options.maxPageSize;
    }
    return options.maxPageSize;
  };

  const applies = (condition: string | undefined, type: GraphQLObjectType): boolean => {
    if (!condition || condition === type.name) return true;
    const conditional = schema.getType(condition);
    return conditional !== undefined && isAbstractType(conditional) && schema.isSubType(conditional, type);
  };

  /** graphql-js's collectFields, without @skip/@include: fields by response key. */
  const collect = (
    selectionSets: readonly SelectionSetNode[],
    type: GraphQLObjectType,
    into = new Map<string, FieldNode[]>(),
    visited = new Set<string>(),
  ): Map<string, FieldNode[]> => {
    for (const selectionSet of selectionSets) {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const list = into.get(key);
          if (list) list.push(selection);
          else into.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (applies(selection.typeCondition?.name.value, type)) {
            collect([selection.selectionSet], type, into, visited);
          }
        } else {
          const name = selection.name.value;
          if (visited.has(name)) continue;
          visited.add(name);
          const fragment = fragments.get(name);
          if (fragment && applies(fragment.typeCondition.name.value, type)) {
            collect([fragment.selectionSet], type, into, visited);
          }
        }
      }
    }
    return into;
  };

  /** Nodes below one item of `type`, whose lists directly inside hold `connectionPage` items. */
  const costOf = (
    selectionSets: readonly SelectionSetNode[],
    type: GraphQLNamedType,
    connectionPage: number | undefined,
  ): number => {
    if (isAbstractType(type)) {
      // One member answers at run time: the costliest counts.
      let most = 0;
      for (const member of schema.getPossibleTypes(type)) {
        most = Math.max(most, costOf(selectionSets, member, connectionPage));
      }
      return most;
    }
    if (!isObjectType(type)) return 0;
    let total = 0;
    for (const [, fields] of collect(selectionSets, type)) {
      work += 1;
      if (work > maxWork) throw new TooComplex();
      const first = fields[0] as FieldNode;
      const name = first.name.value;
      if (name === '__typename') {
        total += 1;
        continue;
      }
      const definition = type.getFields()[name];
      // Introspection's __schema/__type count 1 apiece; validation vouches for every other name.
      if (!definition) {
        total += 1;
        continue;
      }
      const items = Math.max(1, itemsOf(fields, definition, connectionPage));
      const child = getNamedType(definition.type);
      const nested = fields.flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
      const pageArgument = (definition.extensions as CostExtensions | undefined)?.costPageArgument;
      const page = isConnection(child)
        ? pageSize(fields, definition)
        : pageArgument
          ? argumentPage(fields, definition, pageArgument)
          : undefined;
      const below = nested.length ? costOf(nested, child, page) : 0;
      total += items * (1 + below);
    }
    return total;
  };

  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return 0;
  try {
    return costOf([operation.selectionSet], root, undefined);
  } catch (error) {
    if (error instanceof TooComplex) return Number.POSITIVE_INFINITY;
    throw error;
  }
}

/** The error a document over the limit is answered with. */
export function queryCostError(cost: QueryCost, nodes?: readonly OperationDefinitionNode[]): GraphQLError {
  const estimate = Number.isFinite(cost.nodes) ? cost.nodes.toLocaleString('en-US') : 'too many';
  return new GraphQLError(
    `Query cost limit of ${cost.limit} nodes exceeded, found ${estimate}: ask for smaller pages (first/last) or fewer nested lists.`,
    {
      nodes,
      extensions: {
        code: 'QUERY_COST_EXCEEDED',
        cost: { nodes: Number.isFinite(cost.nodes) ? cost.nodes : null, limit: cost.limit },
      },
    },
  );
}

/**
 * A validation rule that refuses the request's operation over `options.maxNodes`, reading page
 * sizes from `variables` (the raw request variables) and reporting the estimate to `onCost`.
 */
export function queryCostRule(
  options: QueryCostOptions,
  request: { variables?: RawVariables; operationName?: string | null; onCost?: (cost: QueryCost) => void },
): ValidationRule {
  return (context) => {
    const document = context.getDocument();
    const operation = selectOperation(document, request.operationName);
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    if (operation) {
      const nodes = estimateOperationCost(
        context.getSchema(),
        operation,
        fragments,
        request.variables,
        options,
      );
      const cost = { nodes, limit: options.maxNodes };
      if (nodes > options.maxNodes) context.reportError(queryCostError(cost, [operation]));
      else request.onCost?.(cost);
    }
    // Everything was read from the document above: nothing to visit.
    return { Document: () => false };
  };
}

interface CostArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: RawVariables;
}

/** Runs the rule for one execution; the refusal, or the cost to report. */
/** The cost of one operation with its variables, and the refusal when it is over the limit. */
export function checkQueryCost(
  args: CostArgs,
  options: QueryCostOptions,
): { refused?: GraphQLError; cost?: QueryCost } {
  let cost: QueryCost | undefined;
  const rule = queryCostRule(options, {
    variables: args.variableValues,
    operationName: args.operationName,
    onCost: (estimate) => {
      cost = estimate;
    },
  });
  const [refused] = validate(args.schema, args.document, [rule]);
  return { refused, cost };
}

function withCost<R extends { extensions?: Record<string, unknown> | undefined }>(
  result: R,
  cost: QueryCost,
): R {
  return { ...result, extensions: { ...result.extensions, cost } };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * Refuses operations (subscriptions included) whose estimate exceeds `maxNodes` with
 * QUERY_COST_EXCEEDED (extensions.cost { nodes, limit }) before execution, and reports the
 * estimate as `extensions.cost` of every query and mutation result. List it before plugins that answer in onExecute
 * (planned reads), so it sees every operation first.
 */
export function useQueryCost(options: QueryCostOptions): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const { refused, cost } = checkQueryCost(args, options);
      if (refused) {
        setResultAndStopExecution({ errors: [refused] });
        return;
      }
      if (!cost) return;
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) {
            return { onNext: ({ result: next, setResult: setNext }) => setNext(withCost(next, cost)) };
          }
          setResult(withCost(result, cost));
          return undefined;
        },
      };
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      // Events are left as they are (clients compare them whole); the limit still applies.
      const { refused } = checkQueryCost(args, options);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}
