import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';
import {
  fieldsOf,
  type LeakFixtures,
  leafSelection,
  type Party,
  printArguments,
  referencedType,
  rootVariants,
} from './leak-documents.ts';

/**
 * Subscriptions and mutations for the entity-isolation leak test, generated from the schema as
 * the queries are (./leak-documents.ts): every Subscription field subscribed to the victim's
 * events, every Mutation field run against the victim's entity and with the victim's objects as
 * references.
 */

/** A subscription or mutation document. */
export interface LeakOperation {
  /** `Subscription.field` or `Mutation.field`. */
  target: string;
  /** The call with labelled arguments: `rememberFact(input.entity: B, input.source: B.Message[0])`. */
  label: string;
  query: string;
  /** The same call selecting only the result's own scalars (which no failing relation can null). */
  probe: string;
}

/** Levels of objects selected under a subscription's event or a mutation's result. */
const RESULT_DEPTH = 3;

/** Every Subscription field, with the victim's values (one per kind of value: gid and uuid alike). */
export function generateSubscriptions(
  schema: GraphQLSchema,
  fixtures: LeakFixtures,
): { subscriptions: LeakOperation[]; problems: string[] } {
  const root = schema.getSubscriptionType();
  const problems: string[] = [];
  if (!root) return { subscriptions: [], problems };
  const subscriptions = rootVariants(schema, fixtures, root, problems, false)
    .filter((variant) => variant.deep)
    .map((variant) => {
      const call = `${variant.field.name}${printArguments(variant.args)}`;
      const type = getNamedType(variant.field.type);
      return {
        target: `${root.name}.${variant.field.name}`,
        label: variant.label,
        query: `subscription { ${call} { ${leafSelection(schema, type, RESULT_DEPTH)} } }`,
        probe: `subscription { ${call} { ${leafSelection(schema, type, 0)} } }`,
      };
    });
  return { subscriptions, problems };
}

/** Where an input value sits and what it is. */
interface Slot {
  coordinate: string;
  /** Dotted, from the argument: `input.source`. */
  path: string;
  name: string;
  type: GraphQLInputType;
  field: GraphQLField<unknown, unknown>;
}

/** How one mutation call is filled. */
interface Plan {
  /** Whose entity (and process) the call names. */
  party: Party;
  /** The optional reference filled with the victim's object; none when null. */
  reference: string | null;
}

interface Filled {
  value: unknown;
  labels: string[];
}

const isRequired = (type: GraphQLInputType) => isNonNullType(type);

/**
 * The value of one argument or input field, or undefined to leave it out. References to an entity
 * or process name the plan's party; references to other objects are the victim's: required ones
 * always, an optional one when the plan names it. Other required values are plain: probe text,
 * 1, false, an enum's first value.
 */
function fillSlot(
  schema: GraphQLSchema,
  fixtures: LeakFixtures,
  slot: Slot,
  plan: Plan,
  problems: string[],
): Filled | undefined {
  if (slot.coordinate in fixtures.named) {
    const filler = fixtures.named[slot.coordinate];
    const value = typeof filler === 'function' ? (filler as (party: Party) => unknown)(plan.party) : filler;
    return { value, labels: [] };
  }
  const nullable = getNullableType(slot.type) as GraphQLInputType;
  const named = getNamedType(slot.type);
  if (isListType(nullable)) {
    if (!isRequired(slot.type)) return undefined;
    const item = fillSlot(schema, fixtures, { ...slot, type: nullable.ofType }, plan, problems);
    return item && { value: [item.value], labels: item.labels };
  }
  if (isInputObjectType(named)) {
    if (!isRequired(slot.type) && !referencesInside(schema, fixtures, slot).includes(plan.reference ?? '')) {
      return undefined;
    }
    const value: Record<string, unknown> = {};
    const labels: string[] = [];
    for (const field of Object.values(named.getFields())) {
      const filled = fillSlot(
        schema,
        fixtures,
        {
          coordinate: `${named.name}.${field.name}`,
          path: `${slot.path}.${field.name}`,
          name: field.name,
          type: field.type,
          field: slot.field,
        },
        plan,
        problems,
      );
      if (filled === undefined) continue;
      value[field.name] = filled.value;
      labels.push(...filled.labels);
    }
    return { value, labels };
  }
  const reference =
    named.name === 'ID' || named.name === 'String'
      ? referencedType(schema, fixtures, slot.coordinate, slot.name, named.name, slot.field)
      : null;
  if (reference === 'Entity' || reference === 'Process') {
    const value = reference === 'Entity' ? plan.party.externalId : plan.party.processExternalId;
    return {
      value,
      labels: [`${slot.path}: ${plan.party.name}.${reference === 'Entity' ? 'entity' : 'process'}`],
    };
  }
  if (reference) {
    if (!isRequired(slot.type) && plan.reference !== slot.coordinate) return undefined;
    const victim = fixtures.victim;
    const values =
      named.name === 'ID'
        ? [...(victim.ids[reference] ?? []), ...(victim.aliases[reference] ?? [])]
        : (victim.aliases[reference] ?? []);
    if (values.length === 0) {
      problems.push(`${slot.coordinate}: the victim has no ${reference} to name`);
      return undefined;
    }
    return { value: values[0], labels: [`${slot.path}: ${victim.name}.${reference}[0]`] };
  }
  if (!isRequired(slot.type)) return undefined;
  if (isEnumType(named)) return { value: named.getValues()[0]?.name, labels: [] };
  switch (named.name) {
    case 'String':
      return { value: `${plan.party.name} probe ${slot.name}`, labels: [] };
    case 'Int':
      return { value: 1, labels: [] };
    case 'Float':
      return { value: 0.5, labels: [] };
    case 'Boolean':
      return { value: false, labels: [] };
    default:
      problems.push(`${slot.coordinate}: no value for a required ${named.name}`);
      return undefined;
  }
}

/** The optional references to non-entity objects inside a slot (`AddTriplesInput.source`). */
function referencesInside(schema: GraphQLSchema, fixtures: LeakFixtures, slot: Slot): string[] {
  const named = getNamedType(slot.type);
  if (isInputObjectType(named)) {
    return Object.values(named.getFields()).flatMap((field) =>
      referencesInside(schema, fixtures, {
        coordinate: `${named.name}.${field.name}`,
        path: `${slot.path}.${field.name}`,
        name: field.name,
        type: field.type,
        field: slot.field,
      }),
    );
  }
  if (isRequired(slot.type) || (named.name !== 'ID' && named.name !== 'String')) return [];
  const reference = referencedType(schema, fixtures, slot.coordinate, slot.name, named.name, slot.field);
  return reference && reference !== 'Entity' && reference !== 'Process' ? [slot.coordinate] : [];
}

/** Whether any slot names an entity (so the call can also be made as the caller's own entity). */
function namesEntity(schema: GraphQLSchema, fixtures: LeakFixtures, slot: Slot): boolean {
  const named = getNamedType(slot.type);
  if (isInputObjectType(named)) {
    return Object.values(named.getFields()).some((field) =>
      namesEntity(schema, fixtures, {
        coordinate: `${named.name}.${field.name}`,
        path: field.name,
        name: field.name,
        type: field.type,
        field: slot.field,
      }),
    );
  }
  return (
    named.name === 'String' &&
    isRequired(slot.type) &&
    referencedType(schema, fixtures, slot.coordinate, slot.name, 'String', slot.field) === 'Entity'
  );
}

/**
 * Every Mutation field against the victim: as the victim's entity; as the victim's entity with
 * each optional reference to one of the victim's objects; and, where a call names an entity, as
 * the caller's own entity with each of those references (writing into its own memory something
 * that points at the victim's).
 */
export function generateMutations(
  schema: GraphQLSchema,
  fixtures: LeakFixtures,
): { mutations: LeakOperation[]; problems: string[] } {
  const root = schema.getMutationType();
  const problems: string[] = [];
  const mutations: LeakOperation[] = [];
  if (!root) return { mutations, problems };
  for (const field of fieldsOf(root)) {
    const slots: Slot[] = field.args.map((arg) => ({
      coordinate: `${root.name}.${field.name}.${arg.name}`,
      path: arg.name,
      name: arg.name,
      type: arg.type,
      field,
    }));
    const references = slots.flatMap((slot) => referencesInside(schema, fixtures, slot));
    const plans: Plan[] = [
      { party: fixtures.victim, reference: null },
      ...references.map((reference) => ({ party: fixtures.victim, reference })),
    ];
    if (slots.some((slot) => namesEntity(schema, fixtures, slot))) {
      plans.push(...references.map((reference) => ({ party: fixtures.own, reference })));
    }
    for (const plan of plans) {
      const args: [{ name: string; type: GraphQLInputType }, unknown][] = [];
      const labels: string[] = [];
      for (const slot of slots) {
        const filled = fillSlot(schema, fixtures, slot, plan, problems);
        if (filled === undefined) {
          if (isRequired(slot.type)) problems.push(`${slot.coordinate}: no value for this required argument`);
          continue;
        }
        args.push([{ name: slot.name, type: slot.type }, filled.value]);
        labels.push(...filled.labels);
      }
      const selection = leafSelection(schema, getNamedType(field.type), RESULT_DEPTH - 1);
      const call = `${field.name}${printArguments(args)}`;
      const probe = leafSelection(schema, getNamedType(field.type), 0);
      mutations.push({
        target: `${root.name}.${field.name}`,
        label: `${field.name}(${labels.join(', ')})`,
        query: `mutation { ${call}${selection ? ` { ${selection} }` : ''} }`,
        probe: `mutation { ${call}${probe ? ` { ${probe} }` : ''} }`,
      });
    }
  }
  return { mutations, problems: [...new Set(problems)] };
}
