import { PothosValidationError } from '@pothos/core';
import { parseCursor } from '../services/global-id.ts';

/**
 * A Relay connection over a list ordered by the database but not keyed by a row id (a graph's
 * names by degree): cursors are positions, in the same `GPC:N:<n>` form as every other cursor
 * Engram issues, so the input guard accepts them and nothing else.
 */

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PositionPage<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  /** The whole list's size, counted when asked (once). */
  totalCount: () => Promise<number>;
}

/** The cursor of the item at `index` (0-based). */
export function positionCursor(index: number): string {
  return Buffer.from(`GPC:N:${index + 1}`).toString('base64');
}

function position(cursor: string): number {
  const value = parseCursor(cursor);
  if (value === null) throw new PothosValidationError('not a cursor of this connection');
  return value;
}

/**
 * One page: `fetch(offset, limit)` reads that slice of the list, `count()` its size (only read
 * for `last` without `before`, or for `totalCount`). Page sizes are capped at `maxSize`.
 */
export async function positionConnection<T>(
  args: PageArgs,
  options: {
    defaultSize: number;
    maxSize: number;
    count: () => Promise<number>;
    fetch: (offset: number, limit: number) => Promise<T[]>;
  },
): Promise<PositionPage<T>> {
  const { first, last, after, before } = args;
  if ((first ?? 0) < 0 || (last ?? 0) < 0) {
    throw new PothosValidationError('Arguments "first" and "last" must be non-negative integers');
  }
  if (after != null && last != null) {
    throw new PothosValidationError('Arguments "after" and "last" are not supported at the same time');
  }
  if (before != null && first != null) {
    throw new PothosValidationError('Arguments "before" and "first" are not supported at the same time');
  }
  let counted: Promise<number> | undefined;
  const totalCount = () => {
    counted ??= options.count();
    return counted;
  };
  const start = after != null ? position(after) : 0;
  const end = before != null ? position(before) - 1 : undefined;
  let offset: number;
  let items: T[];
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  if (last != null) {
    const until = end ?? (await totalCount());
    const size = Math.min(last, options.maxSize);
    offset = Math.max(start, until - size);
    items = until > offset ? await options.fetch(offset, until - offset) : [];
    hasPreviousPage = offset > 0;
    hasNextPage = end !== undefined;
  } else {
    const size = Math.min(first ?? options.defaultSize, options.maxSize);
    const until = end === undefined ? start + size : Math.min(start + size, end);
    offset = start;
    // One more than the page, to tell whether another follows.
    const read = until > start ? await options.fetch(start, until - start + 1) : [];
    items = read.slice(0, Math.max(until - start, 0));
    hasNextPage = read.length > items.length;
    hasPreviousPage = start > 0;
  }
  const edges = items.map((node, i) => ({ cursor: positionCursor(offset + i), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount,
  };
}
