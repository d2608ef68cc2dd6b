import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { parseGlobalId } from '../services/global-id.ts';
import { builder } from './builder.ts';

/** Fields every user-caused error has. */
export const UserErrorInterface = builder.interfaceRef<Error & { code: string }>('UserError').implement({
  description: 'An error the caller can fix. Returned as a member of a mutation’s result union.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, for people.' }),
    code: t.exposeString('code', { description: 'What went wrong, for programs (e.g. VALIDATION_FAILED).' }),
  }),
});

const FieldIssueType = builder.objectRef<{ path: string; message: string }>('FieldIssue').implement({
  description: 'One problem with one input field.',
  fields: (t) => ({
    path: t.exposeString('path', {
      description: 'Dotted path of the input field, e.g. `messages.2.content`.',
    }),
    message: t.exposeString('message', { description: 'What is wrong with it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description:
    'The input broke a rule: empty or oversized content (INPUT_TOO_LARGE), a duplicate inside one call (DUPLICATE_INPUT), a malformed id (INVALID_ID), a mismatched session or source.',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    issues: t.field({
      type: [FieldIssueType],
      description: 'Every problem found, one per field.',
      resolve: (error) => error.issues,
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'Something the input refers to does not exist (code NOT_FOUND).',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    resource: t.exposeString('resource', { description: 'The kind of thing that was not found.' }),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'The caller may not touch this entity’s memory (code FORBIDDEN).',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof ForbiddenError,
});

/** Error types every mutation can return. */
export const MUTATION_ERRORS = [ValidationError, NotFoundError, ForbiddenError];

/**
 * Decodes a global id of the expected type into its database id, strictly (see parseGlobalId).
 * A malformed id or one of another type is a ValidationError (INVALID_ID), not a crash.
 */
export function decodeId(value: string, typename: string, path: string): number {
  const parsed = parseGlobalId(value);
  if (!parsed) {
    throw new ValidationError(`${path}: not a valid id`, [{ path, message: 'not a valid id' }], 'INVALID_ID');
  }
  if (parsed.typename !== typename) {
    throw new ValidationError(
      `${path}: not a ${typename} id`,
      [{ path, message: `not a ${typename} id` }],
      'INVALID_ID',
    );
  }
  return parsed.id;
}
