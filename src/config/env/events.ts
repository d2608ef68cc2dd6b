import { z } from 'zod';

/** The event bus behind every subscription, across processes. (part of the environment schema in ../environment.ts) */
export const eventBusEnv = {
  /**
   * Where subscription events travel: `memory` (this process only), `redis` (REDIS_URL) or
   * `postgres` (LISTEN/NOTIFY on the PostgreSQL DATABASE_URL; not CockroachDB, which has no
   * LISTEN). Replicas, and `engram worker` processes, need one of the last two to hear each
   * other. @default memory
   */
  EVENT_BUS: z.enum(['memory', 'redis', 'postgres']).default('memory'),
  /** The Redis server of EVENT_BUS=redis (`redis://` or `rediss://`, with credentials if any). */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  /**
   * Names the bus's Redis channels (prefix) or PostgreSQL NOTIFY channel, so several deployments
   * can share one Redis or database server. @default engram
   */
  EVENT_BUS_CHANNEL: z
    .string()
    .regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      'must be 1-63 lowercase letters, digits or _ (not starting with a digit)',
    )
    .default('engram'),
  /**
   * EVENT_BUS=postgres: a direct connection to the same database for LISTEN, when DATABASE_URL
   * goes through a transaction-mode pooler (PgBouncer), which LISTEN does not survive.
   * @default DATABASE_URL
   */
  EVENT_BUS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
};
