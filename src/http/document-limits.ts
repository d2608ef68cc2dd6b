import { GraphQLError, parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Limits on what a request may ask the parser and the variable coercion to do. */
export interface DocumentLimits {
  /** Longest document, in characters. @default 100000 */
  maxLength: number;
  /** Most tokens the parser reads (graphql-js `maxTokens`). @default 5000 */
  maxTokens: number;
  /** Longest list anywhere in the variables. @default 10000 */
  maxListLength: number;
}

/** Deepest nesting of objects and lists in variables (inputs here are a few levels deep). */
const MAX_VARIABLE_DEPTH = 32;

function tooLarge(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_LARGE', http: { status: 400 } } });
}

/**
 * Parses with limits: the length is checked before the parser starts, the parser stops at
 * `maxTokens`, and a document nested deeper than the stack allows is refused instead of crashing
 * into a masked internal error. Used for HTTP, SSE and graphql-ws alike (through envelop).
 */
export function limitedParse(source: string, limits: Pick<DocumentLimits, 'maxLength' | 'maxTokens'>) {
  if (source.length > limits.maxLength) {
    throw tooLarge(`the document is longer than ${limits.maxLength} characters (MAX_QUERY_LENGTH)`);
  }
  try {
    return parse(source, { maxTokens: limits.maxTokens });
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge('the document is nested too deeply to parse');
    if (error instanceof Error && /more tha[nt] \d+ tokens/.test(error.message)) {
      throw tooLarge(`the document has more than ${limits.maxTokens} tokens (MAX_QUERY_TOKENS)`);
    }
    throw error;
  }
}

/** The envelop plugin that puts {@link limitedParse} in place of graphql-js's parser. */
export function useDocumentLimits(limits: DocumentLimits): Plugin {
  return {
    onParse({ setParseFn }) {
      setParseFn((source) => limitedParse(typeof source === 'string' ? source : source.body, limits));
    },
  };
}

/**
 * Refuses variables with a list (or an object) longer than `maxListLength`, or nested deeper than 32 levels,
 * before graphql-js coerces them (coercion walks every element before any field's own limit runs).
 * Returns null when they are fine.
 */
export function checkVariables(variables: unknown, maxListLength: number): GraphQLError | null {
  const refuse = (message: string) =>
    new GraphQLError(message, { extensions: { code: 'VARIABLES_TOO_LARGE', http: { status: 400 } } });
  const stack: Array<{ value: unknown; depth: number }> = [{ value: variables, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_VARIABLE_DEPTH)
      return refuse(`variables are nested deeper than ${MAX_VARIABLE_DEPTH} levels`);
    if (Array.isArray(value)) {
      if (value.length > maxListLength) {
        return refuse(
          `a list in the variables has more than ${maxListLength} items (MAX_VARIABLE_LIST_LENGTH)`,
        );
      }
      for (const item of value)
        if (item !== null && typeof item === 'object') stack.push({ value: item, depth: depth + 1 });
    } else {
      const keys = Object.keys(value);
      if (keys.length > maxListLength) {
        return refuse(
          `an object in the variables has more than ${maxListLength} keys (MAX_VARIABLE_LIST_LENGTH)`,
        );
      }
      for (const item of Object.values(value)) {
        if (item !== null && typeof item === 'object') stack.push({ value: item, depth: depth + 1 });
      }
    }
  }
  return null;
}

/**
 * A GET request's `variables` and `extensions` must be JSON objects. yoga would throw a plain error
 * from `JSON.parse` for anything else, which surfaces as a masked internal error.
 */
export function checkSearchParams(url: string | undefined): GraphQLError | null {
  const query = url?.indexOf('?') ?? -1;
  if (!url || query < 0) return null;
  const search = url.slice(query + 1);
  for (const part of search.split(/[&=]/)) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return new GraphQLError('the query string is not valid percent-encoding', {
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      });
    }
  }
  const params = new URLSearchParams(search);
  for (const name of ['variables', 'extensions']) {
    const value = params.get(name);
    if (value === null || value === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return new GraphQLError(`the ${name} parameter must be a JSON object`, {
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      });
    }
  }
  return null;
}
