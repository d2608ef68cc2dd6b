/**
 * Checks every argument of an operation before any resolver reads or writes: strings with NUL or
 * unpaired surrogates, strings over an argument's `maxLength`, and connection cursors Engram did
 * not issue. It runs once per root field, over the root field's whole selection, so a bad cursor
 * deep in a mutation's selection stops the mutation before it writes, and a bad nested argument
 * never reaches the Prisma query built for the root field. Planned reads run the same check.
 */
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import {
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { ValidationError } from '../errors.ts';
import { parseCursor } from '../services/global-id.ts';
import { FORBIDDEN_CHARACTERS_MESSAGE, hasForbiddenCharacters } from '../services/validation.ts';

/** One problem with one argument. */
export interface InputProblem {
  /** The argument, dotted: `entity.facts.contains`, or `content` for a mutation's `input.content`. */
  path: string;
  message: string;
}

/** Arguments that declare `extensions: { maxLength }` are refused above it. */
export const maxLength = (characters: number) => ({ maxLength: characters });

/** The server's limits an argument check may compare with. */
export interface ArgumentLimits {
  /** MAX_PAGE_SIZE. */
  maxPageSize: number;
  /** GRAPH_MAX_DEPTH. */
  graphMaxDepth: number;
}

/** Why a value is refused (the message after the argument's path), or null when it is fine. */
export type ArgumentCheck = (value: unknown, limits: ArgumentLimits) => string | null;

/**
 * Arguments that declare `extensions: { check }` are refused when it answers a message, before
 * any resolver of the operation runs (so before any SQL, the parent's included).
 */
export const checked = (check: ArgumentCheck) => ({ check });

const CURSOR_ARGUMENTS = new Set(['after', 'before']);

/** The first problem in a value (depth first), or null. */
function checkValue(value: unknown, path: string): InputProblem | null {
  if (typeof value === 'string') {
    return hasForbiddenCharacters(value) ? { path, message: FORBIDDEN_CHARACTERS_MESSAGE } : null;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = checkValue(item, `${path}.${index}`);
      if (problem) return problem;
    }
    return null;
  }
  // Input objects (graphql-js makes them without a prototype), not Dates or other scalars' values.
  const prototype = value && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (prototype === null || prototype === Object.prototype) {
    for (const [key, item] of Object.entries(value as object)) {
      const problem = checkValue(item, `${path}.${key}`);
      if (problem) return problem;
    }
  }
  // Numbers, booleans, Dates (the DateTime scalar): nothing to check.
  return null;
}

function checkArgument(
  argument: GraphQLArgument,
  value: unknown,
  path: string,
  connection: boolean,
  limits: ArgumentLimits | undefined,
) {
  const problem = checkValue(value, path);
  if (problem) return problem;
  const check = (argument.extensions as { check?: ArgumentCheck } | undefined)?.check;
  const refused = check && limits && value !== null && value !== undefined ? check(value, limits) : null;
  if (refused) return { path, message: refused };
  if (typeof value !== 'string') return null;
  const limit = (argument.extensions as { maxLength?: number } | undefined)?.maxLength;
  if (limit !== undefined && value.length > limit) {
    return { path, message: `must be at most ${limit} characters` };
  }
  if (connection && CURSOR_ARGUMENTS.has(argument.name) && parseCursor(value) === null) {
    return { path, message: 'not a cursor of this connection' };
  }
  return null;
}

/**
 * The first problem in the arguments of a selection on `type` and below it, or null. Each
 * fragment is checked once (its arguments do not depend on where it is spread).
 */
export function findInputProblem(
  schema: GraphQLSchema,
  type: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  limits?: ArgumentLimits,
  prefix = '',
  seen = new Set<string>(),
): InputProblem | null {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const definition = isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
      if (!definition) continue;
      const path = `${prefix}${name}`;
      let args: Record<string, unknown>;
      try {
        args = getArgumentValues(definition, selection, variables);
      } catch {
        // Arguments that do not coerce: the executor reports them with its own code.
        continue;
      }
      const named = getNamedType(definition.type);
      const connection = named.name.endsWith('Connection');
      for (const argument of definition.args) {
        if (!(argument.name in args)) continue;
        const problem = checkArgument(
          argument,
          args[argument.name],
          `${path}.${argument.name}`,
          connection,
          limits,
        );
        if (problem) return problem;
      }
      if (selection.selectionSet && isCompositeType(named)) {
        const problem = findInputProblem(
          schema,
          named,
          selection.selectionSet,
          fragments,
          variables,
          limits,
          `${path}.`,
          seen,
        );
        if (problem) return problem;
      }
      continue;
    }
    let set: SelectionSetNode;
    let condition = type;
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = fragments[selection.name.value];
      if (!fragment || seen.has(fragment.name.value)) continue;
      seen.add(fragment.name.value);
      set = fragment.selectionSet;
      const named = schema.getType(fragment.typeCondition.name.value);
      if (named && isCompositeType(named)) condition = named;
    } else {
      set = selection.selectionSet;
      const named = selection.typeCondition && schema.getType(selection.typeCondition.name.value);
      if (named && isCompositeType(named)) condition = named;
    }
    const problem = findInputProblem(schema, condition, set, fragments, variables, limits, prefix, seen);
    if (problem) return problem;
  }
  return null;
}

/** The limits argument checks compare with, from the request's context. */
export function argumentLimits(context: unknown): ArgumentLimits | undefined {
  const ctx = context as { maxPageSize?: number; graph?: { maxDepth?: number } } | null;
  if (typeof ctx?.maxPageSize !== 'number' || typeof ctx.graph?.maxDepth !== 'number') return undefined;
  return { maxPageSize: ctx.maxPageSize, graphMaxDepth: ctx.graph.maxDepth };
}

/** The first problem in a root field's arguments and selection, as the resolver sees it. */
function rootFieldProblem(info: GraphQLResolveInfo, context: unknown): InputProblem | null {
  const selectionSet: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: info.fieldNodes };
  return findInputProblem(
    info.schema,
    info.parentType,
    selectionSet,
    info.fragments,
    info.variableValues,
    argumentLimits(context),
  );
}

/**
 * The error for a problem: a mutation answers with its ValidationError result (the path relative
 * to its `input`, as the services' own issues are); queries and subscriptions with BAD_USER_INPUT.
 */
function refuse(problem: InputProblem, kind: string): never {
  if (kind === 'Mutation') {
    const path = problem.path
      .split('.')
      .slice(1)
      .join('.')
      .replace(/^input\./, '');
    throw new ValidationError(`${path}: ${problem.message}`, [{ path, message: problem.message }]);
  }
  throw new GraphQLError(`${problem.path}: ${problem.message}`, { extensions: { code: 'BAD_USER_INPUT' } });
}

const ROOT_KINDS = new Set(['Query', 'Mutation', 'Subscription']);

/** Runs {@link findInputProblem} before every root field's resolver and subscriber. */
export class InputGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (!ROOT_KINDS.has(fieldConfig.kind)) return resolver;
    return (parent, args, context, info) => {
      const problem = rootFieldProblem(info, context);
      if (problem) refuse(problem, fieldConfig.kind);
      return resolver(parent, args, context, info);
    };
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (!subscribe) return subscribe;
    return (parent, args, context, info) => {
      const problem = rootFieldProblem(info, context);
      if (problem) refuse(problem, fieldConfig.kind);
      return subscribe(parent, args, context, info);
    };
  }
}

const pluginName = 'inputGuard';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputGuard: InputGuardPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(pluginName, InputGuardPlugin);

export default pluginName;
