import {
  astFromValue,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  print,
  type SelectionSetNode,
} from 'graphql';

/**
 * The generator of the entity-isolation leak test (tests/entity-isolation.test.ts): from a schema
 * alone it writes, for every field reachable from `Query`, documents that reach that field from
 * every root with another entity's data as arguments. Nothing here names a field of Engram's
 * schema: which argument gets which value follows from argument names and types, and what those
 * rules cannot fill is a problem the test fails on, so a new field is never skipped silently.
 */

/** One entity's identifiers, as the documents use them for arguments. */
export interface Party {
  /** Short name for reports: `A` (the caller) or `B` (the victim). */
  name: string;
  externalId: string;
  processExternalId: string;
  /** Global ids by GraphQL type name. */
  ids: Record<string, string[]>;
  /** Other values an argument naming a type accepts (a session's uuid), by type name. */
  aliases: Record<string, string[]>;
}

export interface LeakFixtures {
  /** Whose data the documents go after. */
  victim: Party;
  /** The caller: the documents also start from its own data, to find paths from it to the victim's. */
  own: Party;
  /**
   * Values for arguments the rules cannot fill, by coordinate (`Query.recall.query`, or an input
   * field, `AddTriplesInput.source`); a function gets the party the document acts for. Optional
   * arguments named here are filled too (a search without a query finds nothing to leak).
   */
  named: Record<string, unknown | ((party: Party) => unknown)>;
  /** The type an ID or String argument refers to where its name does not say (`RememberFactInput.source`: Message). */
  references: Record<string, string>;
}

export interface GeneratorLimits {
  /** MAX_QUERY_DEPTH of the server. */
  maxDepth: number;
  /** `first` of each list or connection on the way to a target (the cost estimate multiplies them). */
  pathPageSize: number;
  /** Levels of objects selected under a target field (fewer where the limits need it). */
  selectionDepth: number;
  /** The server's estimate of a document's cost (src/http/query-cost.ts), held to `maxCost`. */
  cost?: (query: string) => number;
  /** MAX_QUERY_NODES of the server. */
  maxCost?: number;
}

export const DEFAULT_LIMITS: GeneratorLimits = { maxDepth: 20, pathPageSize: 5, selectionDepth: 2 };

/** A document that reaches one field. */
export interface LeakDocument {
  /** `Type.field` it targets. */
  target: string;
  /** How it reaches the target, for reports: `node(id: B.Fact[0]) > ...on Fact > entity`. */
  path: string;
  query: string;
}

export interface GeneratedDocuments {
  documents: LeakDocument[];
  /** Every `Type.field` reachable from the root type. */
  reachable: string[];
  /** Those some document targets. */
  covered: string[];
  /** Fields the generator could not reach or fill, each with why: the test fails on any. */
  problems: string[];
  /** Paths over the server's depth or cost limit from one root (the field is reached from others). */
  skipped: string[];
}

/** A value for an argument, with how reports name it. */
interface Candidate {
  value: unknown;
  label: string;
  /** Candidates of one group are alike: only the first of each is followed into every field. */
  group: string;
}

/** Node types: the object types with a global id (they implement `Node`). */
function nodeTypes(schema: GraphQLSchema): string[] {
  const node = schema.getType('Node');
  return node && isInterfaceType(node) ? schema.getPossibleTypes(node).map((type) => type.name) : [];
}

/**
 * The type an argument (or input field) named `name` refers to: a named reference, then `id`/`ids`
 * (the field's own type, or a type its name ends with: `forgetFact(id)` names a Fact), then a type
 * of that name (`session`, `process`) or ending with it (`job`: AugmentationJob). `*` is any node.
 */
export function referencedType(
  schema: GraphQLSchema,
  fixtures: Pick<LeakFixtures, 'references'>,
  coordinate: string,
  name: string,
  scalar: string,
  field?: GraphQLField<unknown, unknown>,
): string | null {
  const named = fixtures.references[coordinate];
  if (named) return named;
  const nodes = nodeTypes(schema);
  const lower = name.toLowerCase();
  // `process(externalId:)` names a Process, `entity(externalId:)` and `recall(entity:)` an Entity.
  if (lower === 'externalid' && field && nodes.includes(getNamedType(field.type).name)) {
    return getNamedType(field.type).name;
  }
  if (lower === 'entity' || lower === 'externalid') return 'Entity';
  if ((lower === 'id' || lower === 'ids') && field) {
    const returned = getNamedType(field.type);
    if (returned.name === 'Node') return '*';
    if (nodes.includes(returned.name)) return returned.name;
    const suffix = nodes
      .filter((type) => field.name.toLowerCase().endsWith(type.toLowerCase()))
      .sort((a, b) => b.length - a.length)[0];
    return suffix ?? null;
  }
  const exact = nodes.find((type) => type.toLowerCase() === lower);
  if (exact) return exact;
  // A String that ends a type's name is a name, not a reference (`TripleInput.subject`).
  if (scalar !== 'ID') return null;
  const ending = nodes.filter((type) => type.toLowerCase().endsWith(lower));
  return ending.length === 1 ? (ending[0] as string) : null;
}

/** The values of a party that refer to `type`, for an argument of this scalar (String or ID). */
function referenceValues(party: Party, type: string, scalar: string): Candidate[] {
  const candidates: Candidate[] = [];
  const add = (values: string[] | undefined, form: string, of: string) => {
    for (const [i, value] of (values ?? []).entries()) {
      candidates.push({ value, label: `${party.name}.${of}${form}[${i}]`, group: `${of}${form}` });
    }
  };
  if (type === 'Entity' && scalar !== 'ID') {
    return [{ value: party.externalId, label: `${party.name}.externalId`, group: 'entity' }];
  }
  if (type === 'Process' && scalar !== 'ID') {
    return [{ value: party.processExternalId, label: `${party.name}.process`, group: 'process' }];
  }
  const types = type === '*' ? Object.keys(party.ids).sort() : [type];
  for (const of of types) {
    if (scalar === 'ID') add(party.ids[of], '', of);
    if (type !== '*') add(party.aliases[of], '.alias', of);
  }
  return candidates;
}

/** What a named filler gives for this party, as candidates. */
function namedCandidates(fixtures: LeakFixtures, coordinate: string, party: Party): Candidate[] | null {
  if (!(coordinate in fixtures.named)) return null;
  const filler = fixtures.named[coordinate];
  const value = typeof filler === 'function' ? (filler as (party: Party) => unknown)(party) : filler;
  return [{ value, label: JSON.stringify(value), group: 'named' }];
}

/**
 * The values an argument of a query or subscription field may take for a party: a named filler,
 * else a reference to one of the party's objects; null when it has none (a problem for a
 * required argument), and [] for an optional one that is left out.
 */
export function argumentCandidates(
  schema: GraphQLSchema,
  fixtures: LeakFixtures,
  parent: string,
  field: GraphQLField<unknown, unknown>,
  arg: GraphQLArgument,
  party: Party,
): Candidate[] | null {
  const coordinate = `${parent}.${field.name}.${arg.name}`;
  const named = namedCandidates(fixtures, coordinate, party);
  if (named) return named;
  if (!isNonNullType(arg.type) || arg.defaultValue !== undefined) return [];
  const scalar = getNamedType(arg.type).name;
  if (scalar !== 'String' && scalar !== 'ID') return null;
  const type = referencedType(schema, fixtures, coordinate, arg.name, scalar, field);
  if (!type) return null;
  const values = referenceValues(party, type, scalar);
  if (values.length === 0) return null;
  if (isListType(getNullableType(arg.type))) {
    return [{ value: values.map((v) => v.value), label: `${party.name}.${type}[all]`, group: 'list' }];
  }
  return values;
}

/** An argument list printed as GraphQL literals. */
export function printArguments(
  args: [GraphQLArgument | { name: string; type: GraphQLInputType }, unknown][],
) {
  if (args.length === 0) return '';
  const printed = args.map(([arg, value]) => {
    const ast = astFromValue(value, arg.type);
    if (!ast) throw new Error(`cannot print ${JSON.stringify(value)} for ${arg.name}`);
    return `${arg.name}: ${print(ast)}`;
  });
  return `(${printed.join(', ')})`;
}

/** The fields of an object or interface type, by name (so documents come out the same each run). */
export function fieldsOf(type: GraphQLNamedType): GraphQLField<unknown, unknown>[] {
  if (!isObjectType(type) && !isInterfaceType(type)) return [];
  return Object.values(type.getFields()).sort((a, b) => a.name.localeCompare(b.name));
}

const requiresArguments = (field: GraphQLField<unknown, unknown>) =>
  field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);

/**
 * What to select under a field of this type: its scalars, and its objects (those that need no
 * argument) `depth` levels down; on an abstract type, `__typename` and each member's selection
 * (only the members in `only`, when given). A field that two members type differently
 * (`Message.type: String!`, `TripleObject.type: String`) is aliased per member, or the document
 * would not validate.
 */
export function leafSelection(
  schema: GraphQLSchema,
  type: GraphQLNamedType,
  depth: number,
  only?: ReadonlySet<string> | null,
): string {
  if (isLeafType(type)) return '';
  if (!isAbstractType(type)) return objectSelection(schema, type, depth);
  const members = schema.getPossibleTypes(type).filter((member) => !only || only.has(member.name));
  const typesOf = new Map<string, Set<string>>();
  for (const member of members) {
    for (const field of fieldsOf(member)) {
      typesOf.set(field.name, (typesOf.get(field.name) ?? new Set()).add(String(field.type)));
    }
  }
  const conflicting = new Set([...typesOf].filter(([, types]) => types.size > 1).map(([name]) => name));
  const own = isInterfaceType(type) ? objectSelection(schema, type, depth, conflicting) : '';
  const selections = members.map(
    (member) =>
      `... on ${member.name} { ${objectSelection(schema, member, depth, conflicting, `${member.name[0]?.toLowerCase()}${member.name.slice(1)}_`)} }`,
  );
  return ['__typename', own, ...selections].filter(Boolean).join(' ');
}

function objectSelection(
  schema: GraphQLSchema,
  type: GraphQLNamedType,
  depth: number,
  conflicting: ReadonlySet<string> = new Set(),
  aliasPrefix?: string,
): string {
  const parts: string[] = [];
  for (const field of fieldsOf(type)) {
    if (requiresArguments(field)) continue;
    // On the interface itself a conflicting field is left to the members, which alias it.
    if (conflicting.has(field.name) && !aliasPrefix) continue;
    const name = conflicting.has(field.name) ? `${aliasPrefix}${field.name}: ${field.name}` : field.name;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(name);
    else if (depth > 0) parts.push(`${name} { ${leafSelection(schema, named, depth - 1)} }`);
  }
  return parts.length > 0 ? parts.join(' ') : '__typename';
}

/** How many fields deep a document's selections go (fragments add no level), as depth limits count. */
export function documentDepth(query: string): number {
  const depthOf = (set: SelectionSetNode | undefined): number => {
    if (!set) return 0;
    let deepest = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet));
      else if (selection.kind === Kind.INLINE_FRAGMENT)
        deepest = Math.max(deepest, depthOf(selection.selectionSet));
    }
    return deepest;
  };
  const document = parse(query);
  return Math.max(
    0,
    ...document.definitions.map((definition) =>
      definition.kind === Kind.OPERATION_DEFINITION ? depthOf(definition.selectionSet) : 0,
    ),
  );
}

/** Every `Type.field` reachable from a root type, through objects, interfaces and unions. */
export function reachableFields(schema: GraphQLSchema, root: GraphQLNamedType): string[] {
  const seen = new Set<string>();
  const fields: string[] = [];
  const queue: GraphQLNamedType[] = [root];
  while (queue.length > 0) {
    const type = queue.shift() as GraphQLNamedType;
    if (seen.has(type.name)) continue;
    seen.add(type.name);
    if (isAbstractType(type)) queue.push(...schema.getPossibleTypes(type));
    for (const field of fieldsOf(type)) {
      fields.push(`${type.name}.${field.name}`);
      const named = getNamedType(field.type);
      if (isCompositeType(named)) queue.push(named);
    }
  }
  return fields.sort();
}

/** One step of a path: a field with its arguments, or a type condition. */
interface Step {
  text: string;
  label: string;
}

export interface RootVariant {
  field: GraphQLField<unknown, unknown>;
  args: [GraphQLArgument, unknown][];
  label: string;
  /** Follow it into every reachable field, or only select the root (more ids of a type already followed). */
  deep: boolean;
  /** The member types an abstract root can return for these arguments (from the ids' types). */
  types: Set<string> | null;
}

/** A global id's type name (`base64("Type:n")`), or null when it is not one. */
export function typeOfGlobalId(id: string): string | null {
  const text = Buffer.from(id, 'base64').toString('utf8');
  return /^([A-Za-z][A-Za-z0-9]*):\d+$/.exec(text)?.[1] ?? null;
}

function cartesian<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>(
    (product, list) => product.flatMap((prefix) => list.map((item) => [...prefix, item])),
    [[]],
  );
}

/**
 * The root calls of a root type: each field with every combination of its arguments' values, the
 * victim's; with `fromOwn`, fields that take an entity are also called with the caller's own.
 */
export function rootVariants(
  schema: GraphQLSchema,
  fixtures: LeakFixtures,
  root: GraphQLNamedType,
  problems: string[],
  fromOwn = true,
): RootVariant[] {
  const variants: RootVariant[] = [];
  for (const field of fieldsOf(root)) {
    const parties = [fixtures.victim];
    // Roots about one entity also start from the caller's own, to find paths to the victim from it.
    const takesEntity = field.args.some(
      (arg) =>
        isNonNullType(arg.type) &&
        getNamedType(arg.type).name === 'String' &&
        referencedType(
          schema,
          fixtures,
          `${root.name}.${field.name}.${arg.name}`,
          arg.name,
          'String',
          field,
        ) === 'Entity',
    );
    if (fromOwn && takesEntity) parties.push(fixtures.own);
    for (const party of parties) {
      const perArgument: [GraphQLArgument, Candidate][][] = [];
      let unfillable = false;
      for (const arg of field.args) {
        const candidates = argumentCandidates(schema, fixtures, root.name, field, arg, party);
        if (candidates === null) {
          problems.push(`${root.name}.${field.name}(${arg.name}): no value for this required argument`);
          unfillable = true;
        } else if (candidates.length > 0) perArgument.push(candidates.map((candidate) => [arg, candidate]));
      }
      if (unfillable) continue;
      const seenGroups = new Set<string>();
      for (const combination of cartesian(perArgument)) {
        const groups = combination.map(([, candidate]) => candidate.group).join('|');
        const deep = !seenGroups.has(groups);
        seenGroups.add(groups);
        const ids = combination.flatMap(([, candidate]) =>
          (Array.isArray(candidate.value) ? candidate.value : [candidate.value]).map((value) =>
            typeof value === 'string' ? typeOfGlobalId(value) : null,
          ),
        );
        const typed = isAbstractType(getNamedType(field.type)) && ids.length > 0 && ids.every(Boolean);
        variants.push({
          field,
          args: combination.map(([arg, candidate]) => [arg, candidate.value]),
          label: `${field.name}${combination.length ? `(${combination.map(([arg, c]) => `${arg.name}: ${c.label}`).join(', ')})` : ''}`,
          deep,
          types: typed ? new Set(ids as string[]) : null,
        });
      }
    }
  }
  return variants;
}

/** What a list on a path weighs against a plain field: a path through one list fewer is cheaper. */
const LIST_WEIGHT = 100;

function buildQuery(operation: string, steps: Step[], target: string, selection: string): string {
  const inner = selection ? `${target} { ${selection} }` : target;
  let text = inner;
  for (const step of [...steps].reverse()) text = `${step.text} { ${text} }`;
  return `${operation} { ${text} }`;
}

/** `first: pathPageSize` for a list or connection on the way, so the cost estimate stays small. */
function pathArguments(
  schema: GraphQLSchema,
  fixtures: LeakFixtures,
  parent: string,
  field: GraphQLField<unknown, unknown>,
  limits: GeneratorLimits,
): { args: [GraphQLArgument, unknown][]; labels: string[] } | null {
  const args: [GraphQLArgument, unknown][] = [];
  const labels: string[] = [];
  for (const arg of field.args) {
    if (arg.name === 'first' && getNamedType(arg.type).name === 'Int') {
      args.push([arg, limits.pathPageSize]);
      continue;
    }
    const candidates = argumentCandidates(schema, fixtures, parent, field, arg, fixtures.victim);
    if (candidates === null) return null;
    const first = candidates[0];
    if (first) {
      args.push([arg, first.value]);
      labels.push(`${arg.name}: ${first.label}`);
    }
  }
  return { args, labels };
}

/**
 * The documents for every field reachable from `operation`'s root type (`query`): for each root
 * call, the shortest path to each type it reaches, and one document per field of that type.
 */
export function generateDocuments(
  schema: GraphQLSchema,
  fixtures: LeakFixtures,
  limits: GeneratorLimits = DEFAULT_LIMITS,
): GeneratedDocuments {
  const root = schema.getQueryType();
  if (!root) throw new Error('the schema has no Query type');
  const problems: string[] = [];
  const skipped: string[] = [];
  const documents: LeakDocument[] = [];
  const covered = new Set<string>();
  const reachable = reachableFields(schema, root);
  const emit = (
    steps: Step[],
    parent: string,
    field: GraphQLField<unknown, unknown>,
    targetText: string,
    only: ReadonlySet<string> | null = null,
  ) => {
    const named = getNamedType(field.type);
    let query = '';
    for (let depth = limits.selectionDepth; depth >= 0; depth--) {
      query = buildQuery('query', steps, targetText, leafSelection(schema, named, depth, only));
      const cheap = !limits.cost || limits.cost(query) <= (limits.maxCost ?? Number.POSITIVE_INFINITY);
      if (documentDepth(query) <= limits.maxDepth && cheap) break;
      query = '';
    }
    if (!query) {
      // Other roots reach it more cheaply; a field no root reaches is a problem below.
      skipped.push(`${parent}.${field.name} via ${steps.map((step) => step.label).join(' > ') || '(root)'}`);
      return;
    }
    const path = steps.map((step) => step.label).join(' > ');
    documents.push({ target: `${parent}.${field.name}`, path: path || '(root)', query });
    covered.add(`${parent}.${field.name}`);
  };

  for (const variant of rootVariants(schema, fixtures, root, problems)) {
    const rootText = `${variant.field.name}${printArguments(variant.args)}`;
    emit([], root.name, variant.field, rootText, variant.types);
    if (!variant.deep) continue;
    const start = getNamedType(variant.field.type);
    if (isLeafType(start)) continue;
    const pageArgument = variant.field.args.find(
      (arg) => arg.name === 'first' && !variant.args.some(([a]) => a === arg),
    );
    const rootStep = {
      text: pageArgument
        ? `${variant.field.name}${printArguments([...variant.args, [pageArgument, limits.pathPageSize]])}`
        : rootText,
      label: variant.label,
    };
    // Cheapest first, so each type is reached by its cheapest path from this root call: through
    // the fewest lists (each multiplies the cost estimate), then the fewest fields.
    const queue: { type: GraphQLNamedType; steps: Step[]; weight: number }[] = [
      {
        type: start,
        steps: [rootStep],
        weight: isListType(getNullableType(variant.field.type)) ? LIST_WEIGHT : 0,
      },
    ];
    const visited = new Set<string>();
    while (queue.length > 0) {
      queue.sort((a, b) => a.weight - b.weight);
      const { type, steps, weight } = queue.shift() as (typeof queue)[number];
      if (visited.has(type.name)) continue;
      visited.add(type.name);
      if (isAbstractType(type)) {
        const members = schema
          .getPossibleTypes(type)
          .filter((member) => steps.length > 1 || !variant.types || variant.types.has(member.name));
        for (const member of members) {
          queue.push({
            type: member,
            steps: [...steps, { text: `... on ${member.name}`, label: `...on ${member.name}` }],
            weight: weight + 1,
          });
        }
      }
      for (const field of fieldsOf(type)) {
        const args = pathArguments(schema, fixtures, type.name, field, limits);
        if (!args) {
          problems.push(`${type.name}.${field.name}: a required argument has no value`);
          continue;
        }
        const text = `${field.name}${printArguments(args.args.filter(([arg]) => arg.name !== 'first'))}`;
        emit(steps, type.name, field, text);
        const named = getNamedType(field.type);
        if (!isCompositeType(named) || visited.has(named.name)) continue;
        const label = `${field.name}${args.labels.length ? `(${args.labels.join(', ')})` : ''}`;
        queue.push({
          type: named,
          steps: [...steps, { text: `${field.name}${printArguments(args.args)}`, label }],
          weight: weight + 1 + (isListType(getNullableType(field.type)) ? LIST_WEIGHT : 0),
        });
      }
    }
  }
  for (const field of reachable) {
    if (!covered.has(field)) problems.push(`${field}: no document reaches it within the server's limits`);
  }
  return { documents, reachable, covered: [...covered].sort(), problems: [...new Set(problems)], skipped };
}
