/**
 * A model of what Neo4j holds for the mirror, behind the Bolt test server: it answers the mirror's
 * own statements (graph/*.cypher, recognised by their exact text) on an in-memory graph, with the
 * semantics the Cypher states (MERGE by key, the version guard, DETACH DELETE with a LIMIT, the
 * position that never moves back). Each transaction works on its own copy, which replaces the
 * committed graph only when the transaction commits: a failed or rolled-back batch leaves nothing.
 * Any other statement fails as a syntax error, so the mirror cannot send Cypher the model does not know.
 *
 * It also counts what each write did, so tests can tell "applied once" from "applied twice".
 */
import { loadCypher, MIRROR_STATEMENTS, SCHEMA_STATEMENTS } from '../../src/graph/cypher.ts';
import {
  BoltFailure,
  type BoltTestServer,
  type RunRequest,
  type RunResult,
  type TxInfo,
} from './bolt-server.ts';

export interface ModelRelationship {
  id: number;
  entity: string;
  subject: string;
  object: string;
  predicate: string;
  mentionCount: number;
  validFrom: Date | null;
  validTo: Date | null;
  periodsFrom: Date[];
  periodsTo: Date[];
  version: number;
}

interface Graph {
  /** entity + '\u0000' + name → type */
  nodes: Map<string, { entity: string; name: string; type: string | null }>;
  relationships: Map<number, ModelRelationship>;
  positions: Map<string, number>;
  /** Per position node: the Engram database it names (absent: none named yet). */
  databases: Map<string, string>;
}

const key = (entity: string, name: string) => `${entity}\u0000${name}`;

function clone(graph: Graph): Graph {
  return {
    nodes: new Map([...graph.nodes].map(([k, v]) => [k, { ...v }])),
    relationships: new Map([...graph.relationships].map(([k, v]) => [k, { ...v }])),
    positions: new Map(graph.positions),
    databases: new Map(graph.databases),
  };
}

const num = (value: unknown): number => (typeof value === 'bigint' ? Number(value) : Number(value));
const str = (value: unknown): string => String(value);
const date = (value: unknown): Date | null => {
  if (value === null || value === undefined) return null;
  const withDate = value as { toDate?: () => Date };
  if (typeof withDate.toDate === 'function') return withDate.toDate();
  throw new BoltFailure('Neo.ClientError.Statement.TypeError', `expected a DateTime, got ${typeof value}`);
};

export class Neo4jModel {
  private committed: Graph = {
    nodes: new Map(),
    relationships: new Map(),
    positions: new Map(),
    databases: new Map(),
  };
  private readonly working = new Map<number, Graph>();
  /** Per relationship id: every version that was applied (committed). */
  readonly applied = new Map<number, number[]>();
  /** Per version (outbox change id): when its write first committed (Date.now()), for lag figures. */
  readonly appliedAt = new Map<number, number>();
  private readonly pendingApplied = new Map<number, [number, number][]>();
  private readonly statements: Map<
    string,
    (graph: Graph, params: Record<string, unknown>, tx: number) => RunResult
  >;

  constructor() {
    const none = (): RunResult => ({ fields: [], records: [] });
    this.statements = new Map<
      string,
      (graph: Graph, params: Record<string, unknown>, tx: number) => RunResult
    >([
      ...SCHEMA_STATEMENTS.map((name) => [loadCypher(name), none] as const),
      [loadCypher(MIRROR_STATEMENTS.readPosition), (g, p) => this.readPosition(g, p)],
      [loadCypher(MIRROR_STATEMENTS.advancePosition), (g, p) => this.advancePosition(g, p)],
      [loadCypher(MIRROR_STATEMENTS.claimPosition), (g, p) => this.claimPosition(g, p)],
      [loadCypher(MIRROR_STATEMENTS.upsertTriples), (g, p, tx) => this.upsert(g, p, tx)],
      [loadCypher(MIRROR_STATEMENTS.deleteTriples), (g, p) => this.delete(g, p)],
      [loadCypher(MIRROR_STATEMENTS.eraseEntity), (g, p) => this.erase(g, p)],
      [loadCypher(MIRROR_STATEMENTS.listTriples), (g, p) => this.listTriples(g, p)],
      [loadCypher(MIRROR_STATEMENTS.listEntities), (g, p) => this.listEntities(g, p)],
    ]);
  }

  /** Plugs the model into a Bolt test server (its handler and transaction hooks). */
  attach(server: BoltTestServer): this {
    server.handler = (run) => this.run(run);
    server.onCommit = (tx) => this.commit(tx);
    server.onRollback = (tx) => this.discard(tx);
    return this;
  }

  /** The committed relationships, by id. */
  get relationships(): ReadonlyMap<number, ModelRelationship> {
    return this.committed.relationships;
  }

  /** The committed names of an entity. */
  names(entity: string): string[] {
    return [...this.committed.nodes.values()].filter((n) => n.entity === entity).map((n) => n.name);
  }

  position(mirror = 'default'): number | null {
    return this.committed.positions.get(mirror) ?? null;
  }

  private run(request: RunRequest): RunResult {
    const statement = this.statements.get(request.query.trim());
    if (!statement)
      throw new BoltFailure(
        'Neo.ClientError.Statement.SyntaxError',
        `the model does not know: ${request.query.slice(0, 80)}`,
      );
    const txId = request.transaction.id;
    let graph = this.working.get(txId);
    if (!graph) {
      graph = clone(this.committed);
      this.working.set(txId, graph);
    }
    return statement(graph, request.params, txId);
  }

  private commit(tx: TxInfo): void {
    const graph = this.working.get(tx.id);
    this.working.delete(tx.id);
    if (graph) this.committed = graph;
    const now = Date.now();
    for (const [id, version] of this.pendingApplied.get(tx.id) ?? []) {
      if (!this.appliedAt.has(version)) this.appliedAt.set(version, now);
      const list = this.applied.get(id) ?? [];
      list.push(version);
      this.applied.set(id, list);
    }
    this.pendingApplied.delete(tx.id);
  }

  private discard(tx: TxInfo): void {
    this.working.delete(tx.id);
    this.pendingApplied.delete(tx.id);
  }

  /** The Engram database a position node names (null: none yet). */
  database(mirror = 'default'): string | null {
    return this.committed.databases.get(mirror) ?? null;
  }

  private readPosition(graph: Graph, params: Record<string, unknown>): RunResult {
    const mirror = str(params.mirror);
    return {
      fields: ['position', 'database'],
      records: [[graph.positions.get(mirror) ?? null, graph.databases.get(mirror) ?? null]],
    };
  }

  private advancePosition(graph: Graph, params: Record<string, unknown>): RunResult {
    const mirror = str(params.mirror);
    const position = num(params.position);
    const current = graph.positions.get(mirror) ?? position;
    graph.positions.set(mirror, current < position ? position : current);
    if (!graph.databases.has(mirror) && params.database != null)
      graph.databases.set(mirror, str(params.database));
    return {
      fields: ['position', 'database'],
      records: [[graph.positions.get(mirror), graph.databases.get(mirror) ?? null]],
    };
  }

  private claimPosition(graph: Graph, params: Record<string, unknown>): RunResult {
    const mirror = str(params.mirror);
    graph.positions.set(mirror, num(params.position));
    if (params.database == null) graph.databases.delete(mirror);
    else graph.databases.set(mirror, str(params.database));
    return { fields: ['position', 'database'], records: [[num(params.position), params.database ?? null]] };
  }

  private upsert(graph: Graph, params: Record<string, unknown>, tx: number): RunResult {
    for (const row of params.rows as Record<string, unknown>[]) {
      const entity = str(row.entity);
      for (const [name, type] of [
        [row.subject, row.subjectType],
        [row.object, row.objectType],
      ] as const) {
        const k = key(entity, str(name));
        const node = graph.nodes.get(k) ?? { entity, name: str(name), type: null };
        node.type = type === null || type === undefined ? node.type : str(type);
        graph.nodes.set(k, node);
      }
      const id = num(row.id);
      const version = num(row.version);
      const existing = graph.relationships.get(id);
      if (existing && (existing.subject !== str(row.subject) || existing.object !== str(row.object))) {
        // MERGE (s)-[t:TRIPLE {id}]->(o) would make a second relationship: the mirror never should.
        throw new BoltFailure(
          'Neo.ClientError.Statement.ExecutionFailed',
          `triple ${id} moved between names`,
        );
      }
      if (existing && existing.version >= version) continue;
      graph.relationships.set(id, {
        id,
        entity,
        subject: str(row.subject),
        object: str(row.object),
        predicate: str(row.predicate),
        mentionCount: num(row.mentionCount),
        validFrom: date(row.validFrom),
        validTo: date(row.validTo),
        periodsFrom: (row.periodsFrom as unknown[]).map((d) => date(d) as Date),
        periodsTo: (row.periodsTo as unknown[]).map((d) => date(d) as Date),
        version,
      });
      const pending = this.pendingApplied.get(tx) ?? [];
      pending.push([id, version]);
      this.pendingApplied.set(tx, pending);
    }
    return { fields: [], records: [] };
  }

  private delete(graph: Graph, params: Record<string, unknown>): RunResult {
    const touched = new Set<string>();
    for (const row of params.rows as Record<string, unknown>[]) {
      const id = num(row.id);
      const existing = graph.relationships.get(id);
      if (!existing || existing.version > num(row.version)) continue;
      graph.relationships.delete(id);
      touched.add(key(existing.entity, existing.subject));
      touched.add(key(existing.entity, existing.object));
    }
    for (const k of touched) {
      const used = [...graph.relationships.values()].some(
        (r) => key(r.entity, r.subject) === k || key(r.entity, r.object) === k,
      );
      if (!used) graph.nodes.delete(k);
    }
    return { fields: [], records: [] };
  }

  private listTriples(graph: Graph, params: Record<string, unknown>): RunResult {
    const entity = str(params.entity);
    const rows = [...graph.relationships.values()]
      .filter((r) => r.entity === entity && r.id > num(params.afterId))
      .sort((a, b) => a.id - b.id)
      .slice(0, num(params.limit));
    return {
      fields: ['id', 'subject', 'predicate', 'object', 'validFrom', 'validTo', 'version'],
      records: rows.map((r) => [r.id, r.subject, r.predicate, r.object, r.validFrom, r.validTo, r.version]),
    };
  }

  private listEntities(graph: Graph, params: Record<string, unknown>): RunResult {
    const after = str(params.afterEntity);
    const entities = [...new Set([...graph.nodes.values()].map((n) => n.entity))]
      .filter((e) => e > after)
      .sort()
      .slice(0, num(params.limit));
    return { fields: ['entity'], records: entities.map((e) => [e]) };
  }

  /** Test damage: what an operator's stray Cypher or a lost write would leave. */
  /** Names the Engram database a position node belongs to, as another Engram's mirror would. */
  claimFor(database: string, mirror = 'default'): void {
    this.committed.databases.set(mirror, database);
  }

  tamper(change: (relationships: Map<number, ModelRelationship>) => void): void {
    change(this.committed.relationships);
  }

  private erase(graph: Graph, params: Record<string, unknown>): RunResult {
    const entity = str(params.entity);
    const names = [...graph.nodes.values()].filter((n) => n.entity === entity).slice(0, num(params.batch));
    const gone = new Set(names.map((n) => key(entity, n.name)));
    for (const k of gone) graph.nodes.delete(k);
    for (const [id, r] of graph.relationships) {
      if (gone.has(key(r.entity, r.subject)) || gone.has(key(r.entity, r.object)))
        graph.relationships.delete(id);
    }
    return { fields: ['deleted'], records: [[names.length]] };
  }
}
