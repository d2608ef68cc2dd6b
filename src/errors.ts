/**
 * Errors a caller can cause. Each carries a stable machine-readable code; the GraphQL
 * layer turns them into typed results, and anything else is masked as an internal error.
 *
 * The bottom layer: services and stores alike (auth, embedding, the vector index) throw these,
 * so this file imports nothing.
 */
export class EngramError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngramError';
  }
}

export interface FieldIssue {
  /** Dotted path of the offending input field, e.g. `messages.2.content`. */
  path: string;
  message: string;
}

/** The input was well-formed GraphQL but breaks a rule (empty, too long, duplicated...). */
export class ValidationError extends EngramError {
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
    code = 'VALIDATION_FAILED',
  ) {
    super(code, message);
    this.name = 'ValidationError';
  }
}

/** Something the input refers to does not exist (or is not visible to the caller). */
export class NotFoundError extends EngramError {
  constructor(
    readonly resource: string,
    readonly ref: string,
  ) {
    super('NOT_FOUND', `${resource} ${ref} was not found`);
    this.name = 'NotFoundError';
  }
}

/** The caller may not touch this entity. */
export class ForbiddenError extends EngramError {
  constructor(message = 'not allowed for this principal') {
    super('FORBIDDEN', message);
    this.name = 'ForbiddenError';
  }
}
