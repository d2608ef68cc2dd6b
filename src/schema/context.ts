import type { EntityTokens } from '../auth/entity-tokens.ts';
import type { Principal } from '../auth/principal.ts';
import type { Db } from '../db/client.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { GraphMirror } from '../mirror/neo4j-mirror.ts';
import type { Actor } from '../services/audit.ts';
import type { ServiceDeps } from '../services/deps.ts';
import type { GraphSettings } from '../services/graph.ts';

/** Per-request GraphQL context: the shared services plus who is calling. */
export interface Context extends ServiceDeps {
  principal: Principal;
  /** The principal with the client's address: what services take, and the audit log records. */
  actor: Actor;
  /** Largest `first`/`last` of a connection. */
  maxPageSize: number;
  /** The knowledge graph's limits (GRAPH_MAX_DEPTH, GRAPH_MAX_FANOUT). */
  graph: GraphSettings;
  /**
   * Where queries read. On SQLite a second, read-only connection: the writer's single connection
   * would let a read see another request's uncommitted transaction. Elsewhere the same pool as `db`.
   */
  reader: Db;
  /** The augmentation job queue; null when augmentation is off. */
  jobs: JobQueue | null;
  /** Issues entity tokens (`issueEntityToken`). */
  tokens: EntityTokens;
  /** The Neo4j mirror; null when NEO4J_URL is unset. */
  mirror: GraphMirror | null;
}
