import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  getArgumentValues,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { AUDITED_READ, type AuditedRead } from '../schema/audited-read.ts';
import type { Context } from '../schema/context.ts';
import { type AuditRecord, recordAuditNow } from '../services/audit.ts';
import { selectOperation } from './query-cost.ts';

/** What {@link useAuditReads} records; from configuration. */
export interface AuditReadsOptions {
  /** Record every query an entity token runs (AUDIT_READS). @default false */
  entityReads: boolean;
}

/** A root field of the operation as it will run: its response key, definition and node. */
interface RootField {
  key: string;
  definition: GraphQLField<unknown, unknown>;
  node: FieldNode;
}

/** The root fields of a query, through fragments (introspection fields are not memory reads). */
function rootFields(
  schema: GraphQLSchema,
  document: DocumentNode,
  selections: SelectionSetNode,
): RootField[] {
  const query = schema.getQueryType();
  if (!query) return [];
  const fields = query.getFields();
  const found: RootField[] = [];
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const definition = fields[selection.name.value];
        if (definition)
          found.push({ key: selection.alias?.value ?? selection.name.value, definition, node: selection });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value)) {
        const fragment = document.definitions.find(
          (definition) =>
            definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
        );
        if (fragment?.kind === Kind.FRAGMENT_DEFINITION) {
          visit(fragment.selectionSet, new Set(seen).add(selection.name.value));
        }
      }
    }
  };
  visit(selections, new Set());
  return found;
}

/** The value of the argument an audited read names as its target, as text. */
function targetOf(
  field: RootField,
  read: AuditedRead,
  variables: Record<string, unknown> | null | undefined,
): string[] {
  if (!read.target) return [];
  try {
    const value = getArgumentValues(field.definition, field.node, variables ?? undefined)[read.target];
    return typeof value === 'string' ? [value] : [];
  } catch {
    return [];
  }
}

/** Whether the result answers this root field: it has a value there and no error at it. */
function answered(result: ExecutionResult, key: string): boolean {
  if (!result.data || !(key in result.data)) return false;
  return !(result.errors ?? []).some((error) => error.path?.[0] === key);
}

/**
 * Records reads in the audit log, after they are answered and before the answer is sent (an entry
 * that cannot be stored fails the request instead of leaving the read unrecorded):
 * - every root field declared an administrative read (`auditedRead`, src/schema/audited-read.ts)
 *   that was answered, one entry per field, whoever the caller (fields refused to a caller are not
 *   answered, so they record nothing);
 * - with {@link AuditReadsOptions.entityReads}, every query an entity token runs, one entry per
 *   operation: action `read`, the token's entity, and the root fields as the target.
 * It works on whole operations, so planned reads, HTTP, SSE and graphql-ws are all covered.
 * List it after the deadline, so an operation stopped by it records no administrative read.
 */
export function useAuditReads(options: AuditReadsOptions): Plugin<Context> {
  return {
    onExecute({ args }) {
      const operation = selectOperation(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      const ctx = args.contextValue as Context;
      const fields = rootFields(args.schema, args.document, operation.selectionSet);
      const adminReads = fields.flatMap((field) => {
        const read = field.definition.extensions?.[AUDITED_READ] as AuditedRead | undefined;
        return read ? [{ field, read }] : [];
      });
      const entityRead =
        options.entityReads && ctx.principal.kind === 'entity' && fields.length > 0
          ? ctx.principal.entityExternalId
          : null;
      if (adminReads.length === 0 && entityRead === null) return;
      return {
        async onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return;
          const records: AuditRecord[] = adminReads
            .filter(({ field }) => answered(result, field.key))
            .map(({ field, read }) => ({
              action: field.definition.name,
              target: targetOf(field, read, args.variableValues),
              ...(read.entity
                ? { entity: targetOf(field, { target: read.entity }, args.variableValues)[0] ?? null }
                : {}),
            }));
          if (entityRead !== null && result.data) {
            records.push({
              action: 'read',
              entity: entityRead,
              target: fields.map((field) => field.definition.name),
            });
          }
          for (const record of records) await recordAuditNow(ctx, ctx.actor, record);
        },
      };
    },
  };
}
