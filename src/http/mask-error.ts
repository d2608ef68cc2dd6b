import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable, isRefusedInput } from '../db/errors.ts';
import { EngramError } from '../services/errors.ts';

/**
 * A GraphQLError from any copy of graphql-js (its CommonJS and ESM builds are different classes,
 * and bundlers or test runners can load both).
 */
export function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}

/** Errors a caller caused keep their message and get a code; everything else is masked. */
export function maskError(error: unknown, message: string): Error {
  const wrapper = isGraphQLError(error) ? error : undefined;
  const original = wrapper?.originalError ?? error;
  const at = wrapper ? { path: wrapper.path, nodes: wrapper.nodes } : {};
  if (original instanceof EngramError) {
    return new GraphQLError(original.message, { ...at, extensions: { code: original.code } });
  }
  if (isDatabaseUnavailable(original)) {
    return new GraphQLError('the database is unavailable right now; retry shortly', {
      ...at,
      extensions: { code: 'DATABASE_UNAVAILABLE', http: { status: 503 } },
    });
  }
  if (isRefusedInput(original)) {
    return new GraphQLError('the input contains characters the database cannot store (NUL)', {
      ...at,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  // Pothos rejects malformed cursors and global ids with a validation error: the caller's fault.
  if (original instanceof PothosValidationError) {
    return new GraphQLError(original.message, { ...at, extensions: { code: 'BAD_USER_INPUT' } });
  }
  if (isGraphQLError(original)) {
    if (original.extensions?.code) return original;
    // Uncoded GraphQL errors come from variable coercion (a bad enum value, a missing field)
    // or from validation rules such as the depth and alias limits.
    const code = original.message.startsWith('Variable "$') ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED';
    return new GraphQLError(original.message, { ...at, extensions: { ...original.extensions, code } });
  }
  return new GraphQLError(message, {
    ...at,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}
