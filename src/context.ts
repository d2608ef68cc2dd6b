import type { Principal } from './auth/principal.ts';
import type { RelationCounter } from './db/relation-counts.ts';
import type { ServiceDeps } from './services/context.ts';

/** Per-request GraphQL context: the shared services plus who is calling. */
export interface Context extends ServiceDeps {
  principal: Principal;
  /** Largest `first`/`last` of a connection. */
  maxPageSize: number;
  /** Per-request batched counts for connection totals. */
  counts: RelationCounter;
}
