import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { positiveInt } from './fields.ts';

/** Graph traversal limits and the Neo4j mirror. (part of the environment schema in ../environment.ts) */
export const graphEnv = {
  /**
   * Deepest neighbourhood or subgraph of an entity's knowledge graph (`depth`, in hops); deeper
   * ones are refused with BAD_USER_INPUT before the database is asked. @default 3
   */
  GRAPH_MAX_DEPTH: positiveInt(3),
  /**
   * Most triples one level of a graph search reads per direction: a hub's neighbours beyond it
   * are left out and the answer says `truncated`. @default 10000
   */
  GRAPH_MAX_FANOUT: positiveInt(10_000),
  /**
   * The Neo4j server the knowledge graph is mirrored into (bolt://, bolt+s://, bolt+ssc://,
   * neo4j://, neo4j+s:// or neo4j+ssc://); unset leaves the mirror off and writes no outbox rows.
   */
  NEO4J_URL: z
    .url()
    .refine((value) => /^(bolt|neo4j)(\+s|\+ssc)?:\/\//.test(value), {
      message: 'must start with bolt://, bolt+s://, bolt+ssc://, neo4j://, neo4j+s:// or neo4j+ssc://',
    })
    .optional(),
  /** The Neo4j user. @default neo4j */
  NEO4J_USER: z.string().min(1).default('neo4j'),
  /** The Neo4j password (required with NEO4J_URL, or NEO4J_PASSWORD_FILE). */
  NEO4J_PASSWORD: z.string().min(1).optional(),
  /** A file holding the Neo4j password (a mounted secret). */
  NEO4J_PASSWORD_FILE: z.string().min(1).optional(),
  /** The Neo4j database; unset uses the server's default database. */
  NEO4J_DATABASE: z.string().min(1).optional(),
  /** Most outbox changes the mirror sends in one Neo4j transaction. @default 500 */
  NEO4J_MIRROR_BATCH_SIZE: positiveInt(500),
  /** How often the mirror looks for new changes when it has caught up, in milliseconds. @default 500 */
  NEO4J_MIRROR_POLL_MS: positiveInt(500),
  /** Longest wait between two attempts while Neo4j is unreachable (backoff doubles up to it), in milliseconds. @default 30000 */
  NEO4J_MIRROR_MAX_BACKOFF_MS: positiveInt(30_000),
  /**
   * How long a replica's claim to send the mirror lasts without renewal, in milliseconds: after a
   * crash, another replica (or the restarted one) takes over once it lapses. @default 30000
   */
  NEO4J_MIRROR_LEASE_MS: positiveInt(30_000),
  /** Applied outbox changes are deleted after this many hours. @default 24 */
  GRAPH_CHANGE_RETENTION_HOURS: positiveInt(24),
};

/** NEO4J_PASSWORD or the content of NEO4J_PASSWORD_FILE; required with NEO4J_URL. */
export function neo4jPassword(
  env: {
    NEO4J_URL?: string | undefined;
    NEO4J_PASSWORD?: string | undefined;
    NEO4J_PASSWORD_FILE?: string | undefined;
  },
  report: (path: string, message: string) => void,
): string | undefined {
  if (env.NEO4J_PASSWORD && env.NEO4J_PASSWORD_FILE)
    report('NEO4J_PASSWORD_FILE', 'set this or NEO4J_PASSWORD, not both');
  let password = env.NEO4J_PASSWORD;
  if (env.NEO4J_PASSWORD_FILE) {
    try {
      password = readFileSync(env.NEO4J_PASSWORD_FILE, 'utf8').trim();
    } catch (error) {
      report(
        'NEO4J_PASSWORD_FILE',
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
  }
  if (env.NEO4J_URL && !password)
    report('NEO4J_PASSWORD', 'is required with NEO4J_URL (or NEO4J_PASSWORD_FILE)');
  return password;
}
