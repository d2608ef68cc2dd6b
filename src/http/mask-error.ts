import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import type { YogaLogger } from 'graphql-yoga';
import { isDatabaseUnavailable, isRefusedInput } from '../db/errors.ts';
import { EngramError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * A GraphQLError from any copy of graphql-js (its CommonJS and ESM builds are different classes,
 * and bundlers or test runners can load both).
 */
export function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}

/**
 * Who an error is for: `client` errors are the caller's mistakes (logged at info, without a
 * stack); `unavailable` ones are outages the caller should retry (warn); `internal` ones are
 * Engram's bugs (error, with the stack).
 */
export type ErrorKind = 'client' | 'unavailable' | 'internal';

/** EngramError codes that report the server's state, not the caller's mistake. */
const OPERATIONAL_CODES = new Set([
  'INDEX_NOT_READY',
  'INDEX_UNAVAILABLE',
  'EMBEDDING_UNAVAILABLE',
  'EMBEDDING_FAILED',
]);

/** The error a caller sees for any error, and its kind. */
export function classifyError(error: unknown, message: string): { masked: GraphQLError; kind: ErrorKind } {
  const wrapper = isGraphQLError(error) ? error : undefined;
  const original = wrapper?.originalError ?? error;
  const at = wrapper ? { path: wrapper.path, nodes: wrapper.nodes } : {};
  if (original instanceof EngramError) {
    return {
      masked: new GraphQLError(original.message, { ...at, extensions: { code: original.code } }),
      kind: OPERATIONAL_CODES.has(original.code) ? 'unavailable' : 'client',
    };
  }
  if (isDatabaseUnavailable(original)) {
    const masked = new GraphQLError('the database is unavailable right now; retry shortly', {
      ...at,
      extensions: { code: 'DATABASE_UNAVAILABLE', http: { status: 503 } },
    });
    return { masked, kind: 'unavailable' };
  }
  if (isRefusedInput(original)) {
    const masked = new GraphQLError('the input contains characters the database cannot store (NUL)', {
      ...at,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    return { masked, kind: 'client' };
  }
  // Pothos rejects malformed cursors and global ids with a validation error: the caller's fault.
  if (original instanceof PothosValidationError) {
    return {
      masked: new GraphQLError(original.message, { ...at, extensions: { code: 'BAD_USER_INPUT' } }),
      kind: 'client',
    };
  }
  if (isGraphQLError(original)) {
    if (original.extensions?.code) {
      const code = original.extensions.code;
      const kind =
        code === 'INTERNAL_SERVER_ERROR'
          ? 'internal'
          : code === 'DATABASE_UNAVAILABLE'
            ? 'unavailable'
            : 'client';
      return { masked: original, kind };
    }
    // Uncoded GraphQL errors come from variable coercion (a bad enum value, a missing field)
    // or from validation rules such as the depth and alias limits.
    const code = original.message.startsWith('Variable "$') ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED';
    return {
      masked: new GraphQLError(original.message, { ...at, extensions: { ...original.extensions, code } }),
      kind: 'client',
    };
  }
  return {
    masked: new GraphQLError(message, { ...at, extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    kind: 'internal',
  };
}

/** Errors a caller caused keep their message and get a code; everything else is masked. */
export function maskError(error: unknown, message: string): Error {
  return classifyError(error, message).masked;
}

/** Longest message (or other text) a client error puts in the log. */
const MAX_LOGGED_CLIENT_TEXT = 200;
/** Longest message an internal error puts in the log (Prisma's repeat the query's arguments). */
const MAX_LOGGED_INTERNAL_TEXT = 2000;

/** Text cut to `max` characters, saying how much was left out. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The fields of a log line for an error yoga reports. */
function describe(error: unknown): { kind: ErrorKind; fields: Record<string, unknown> } {
  const { masked, kind } = classifyError(error, 'Unexpected error.');
  const path = isGraphQLError(error) && error.path ? error.path.join('.') : undefined;
  if (kind !== 'internal') {
    return {
      kind,
      fields: { code: masked.extensions.code, message: cut(masked.message, MAX_LOGGED_CLIENT_TEXT), path },
    };
  }
  const original = (isGraphQLError(error) ? error.originalError : undefined) ?? error;
  const err = original instanceof Error ? original : new Error(String(original));
  const message = cut(err.message, MAX_LOGGED_INTERNAL_TEXT);
  // The stack repeats the message first: keep only its frames.
  const frames = err.stack?.slice(err.stack.indexOf('\n    at ') >>> 0) ?? '';
  const code = (err as { code?: unknown }).code;
  return {
    kind,
    fields: { err: { type: err.name, message, code, stack: `${err.name}: ${message}${frames}` }, path },
  };
}

const LOG_MESSAGE: Record<ErrorKind, string> = {
  client: 'request refused: the caller’s mistake',
  unavailable: 'request failed: a dependency is unavailable',
  internal: 'request failed: internal error',
};

/**
 * The logger yoga reports through: the errors it reports (every masked one) are logged by kind,
 * at info for the caller's mistakes, warn for outages and error for bugs, with long texts cut, so
 * a 1 MB cursor does not make a 3 MB log line at level error.
 */
export function graphqlLogger(logger: Logger): YogaLogger {
  const forward =
    (level: 'debug' | 'info' | 'warn') =>
    (...args: unknown[]) =>
      (logger[level] as (...values: unknown[]) => void)(...args);
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: (...args: unknown[]) => {
      for (const arg of args) {
        if (typeof arg === 'string') {
          logger.error(cut(arg, MAX_LOGGED_INTERNAL_TEXT));
          continue;
        }
        const { kind, fields } = describe(arg);
        const level = kind === 'client' ? 'info' : kind === 'unavailable' ? 'warn' : 'error';
        logger[level](fields, LOG_MESSAGE[kind]);
      }
    },
  };
}
