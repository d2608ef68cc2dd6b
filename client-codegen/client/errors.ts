/** One problem of a ValidationError: the input field and what is wrong with it. */
export interface EngramIssue {
  path: string;
  message: string;
}

/** A GraphQL error as the server sent it (message, path, extensions). */
export interface EngramGraphQLError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/**
 * Codes the client itself gives, besides the server's (`UNAUTHENTICATED`, `FORBIDDEN`,
 * `VALIDATION_FAILED`, `NOT_FOUND`, `TOKEN_EXPIRED`, `RATE_LIMITED`...).
 */
export const CLIENT_ERROR_CODES = {
  /** The server could not be reached, or the connection broke. */
  network: 'NETWORK_ERROR',
  /** The server answered something that is not a GraphQL response. */
  badResponse: 'BAD_RESPONSE',
  /** A GraphQL error without a code. */
  graphql: 'GRAPHQL_ERROR',
  /** The subscription socket closed (the close code is in `closeCode`). */
  socketClosed: 'SOCKET_CLOSED',
} as const;

export interface EngramErrorOptions {
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The problems of a ValidationError, one per field. */
  issues?: EngramIssue[];
  /** Every GraphQL error of the answer. */
  errors?: EngramGraphQLError[];
  /** The typed result's `__typename` (ForbiddenError, NotFoundError, ValidationError...). */
  typename?: string;
  /** The WebSocket close code that ended a subscription. */
  closeCode?: number;
  cause?: unknown;
}

/**
 * Every failure of an Engram call: a GraphQL error, an error result of a mutation (ForbiddenError,
 * ValidationError...) or a transport problem, all with the server's `code` so callers branch on
 * one field whatever the path the error took.
 */
export class EngramError extends Error {
  override readonly name = 'EngramError';
  readonly code: string;
  readonly status: number | undefined;
  readonly issues: EngramIssue[];
  readonly errors: EngramGraphQLError[];
  readonly typename: string | undefined;
  readonly closeCode: number | undefined;

  constructor(code: string, message: string, options: EngramErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.issues = options.issues ?? [];
    this.errors = options.errors ?? [];
    this.typename = options.typename;
    this.closeCode = options.closeCode;
  }
}

/** True for an EngramError, optionally of one code. */
export function isEngramError(error: unknown, code?: string): error is EngramError {
  return error instanceof EngramError && (code === undefined || error.code === code);
}

/** The EngramError for a response's GraphQL errors (the first one's code names it). */
export function fromGraphQLErrors(errors: readonly EngramGraphQLError[], status?: number): EngramError {
  const first = errors[0];
  const code =
    typeof first?.extensions?.code === 'string' ? first.extensions.code : CLIENT_ERROR_CODES.graphql;
  const message = errors.map((error) => error.message).join('; ') || 'the server answered with an error';
  return new EngramError(code, message, { status, errors: [...errors] });
}

/** A mutation's result union after its error members were taken out: the success type. */
export type Success<T> = T extends { __typename: infer N } ? (N extends `${string}Error` ? never : T) : T;

/**
 * The success member of a typed result union, or the EngramError its error member describes
 * (`code`, `message`, and `issues` for a ValidationError).
 */
export function unwrapResult<T extends { __typename: string }>(result: T): Success<T> {
  if (!result.__typename.endsWith('Error')) return result as Success<T>;
  const error = result as { __typename: string; code?: string; message?: string; issues?: EngramIssue[] };
  return throwTyped(error);
}

function throwTyped(error: {
  __typename: string;
  code?: string;
  message?: string;
  issues?: EngramIssue[];
}): never {
  throw new EngramError(error.code ?? error.__typename, error.message ?? error.__typename, {
    typename: error.__typename,
    issues: error.issues ?? [],
  });
}
