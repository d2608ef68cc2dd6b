import { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** Limits every write path enforces; all come from configuration. */
export interface Limits {
  /** Longest message or fact content, in characters. */
  maxContentLength: number;
  /** Most messages or triples in one call. */
  maxItemsPerCall: number;
}

const schemas = new Map<string, unknown>();

/**
 * A schema built once per key (the limits it depends on): building a zod schema costs more than
 * using it, and the limits only change with the configuration.
 */
export function memoSchema<T>(key: string, build: () => T): T {
  let schema = schemas.get(key) as T | undefined;
  if (!schema) {
    schema = build();
    schemas.set(key, schema);
  }
  return schema;
}

/** Parses input with a zod schema, turning every problem into one ValidationError. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const tooLong = result.error.issues.some((issue) => issue.code === 'too_big');
  throw new ValidationError(
    issues.map((issue) => `${issue.path || 'input'}: ${issue.message}`).join('; '),
    issues,
    tooLong ? 'INPUT_TOO_LARGE' : 'VALIDATION_FAILED',
  );
}

/**
 * NUL (PostgreSQL cannot store it in text) and unpaired UTF-16 surrogates (no database can store
 * them: drivers turn them into U+FFFD, so what was stored is not what was sent). Engram refuses
 * both in every string it is given, stored or used as a filter, on every database alike: the
 * GraphQL layer checks every argument before any resolver runs (src/schema/input-guard.ts), and
 * the services' own schemas refuse them again for callers outside GraphQL.
 */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string holds a NUL or an unpaired surrogate (see above). */
export function hasForbiddenCharacters(value: string): boolean {
  return value.includes('\u0000') || UNPAIRED_SURROGATE.test(value);
}

/** The message for a string with forbidden characters. */
export const FORBIDDEN_CHARACTERS_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

const noNul = (value: string) => !hasForbiddenCharacters(value);
const NUL_MESSAGE = FORBIDDEN_CHARACTERS_MESSAGE;

/** A short optional label (a message type, a name's type, a model id): trimmed, 1..max characters. */
export function labelSchema(max: number) {
  return z.string().trim().min(1).max(max).refine(noNul, NUL_MESSAGE).nullish();
}

/** An external id: the caller's own stable name for an entity or process. */
export const externalIdSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine(noNul, NUL_MESSAGE);

/** Free text (a message, a fact), trimmed, non-empty, at most `limit` characters. */
export function contentSchema(limit: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(limit, `must be at most ${limit} characters`)
    .refine(noNul, NUL_MESSAGE);
}

/** A knowledge-graph name as it is stored: runs of whitespace collapsed to one space, trimmed. */
export function normalizeGraphName(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** A name in the knowledge graph, whitespace collapsed. */
export const graphNameSchema = z
  .string()
  .transform(normalizeGraphName)
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(500, 'must be at most 500 characters')
      .refine(noNul, NUL_MESSAGE),
  );
