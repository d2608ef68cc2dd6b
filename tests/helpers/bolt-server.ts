import { createServer, type Server, type Socket } from 'node:net';
import { type BoltVersion, SERVER_VERSIONS } from './bolt/handshake.ts';
import { BoltSession, type SessionHost } from './bolt/session.ts';
import { BoltFailure, type RunHandler, type RunLogEntry, type RunResult, type TxInfo } from './bolt/types.ts';

export * from './bolt/types.ts';
export * from './bolt/values.ts';

/**
 * A Bolt 5.x/6.0 server for tests: the real neo4j-driver connects to it over TCP (bolt:// and
 * neo4j://), a handler answers each statement, and every statement and transaction outcome is
 * logged so tests can assert what was committed. No Cypher is interpreted: the handler decides.
 */
export interface BoltTestServerOptions {
  /** Basic-auth credentials the server accepts; null accepts anyone. @default { user: 'neo4j', password: 'test-password' } */
  auth?: { user: string; password: string } | null;
  /** The newest Bolt version to accept, e.g. '5.0' to test the oldest 5.x path. @default '6.0' */
  maxVersion?: string;
  /** The database named in routing tables and summaries when the client names none. @default 'neo4j' */
  homeDatabase?: string;
  /** @default 'Neo4j/5.26.0' */
  serverAgent?: string;
}

/** Where an injected failure strikes. An auto-commit statement commits at the end of its PULL. */
export type FailurePoint = 'run' | 'commit';

export interface FailureSpec {
  /** @default 'Neo.TransientError.General.DatabaseUnavailable' (the driver retries it) */
  code?: string;
  message?: string;
  /** @default 'run' */
  at?: FailurePoint;
}

export interface FailureEvent {
  at: FailurePoint;
  /** The statement, or null at a commit. */
  query: string | null;
  params: Record<string, unknown> | null;
  tx: TxInfo;
}

interface FailureRule {
  matches: (event: FailureEvent) => boolean;
  failure: BoltFailure;
  remaining: number;
}

export class BoltTestServer {
  handler: RunHandler = () => ({ fields: [], records: [] });
  /** Called when a transaction (explicit or the implicit one of an auto-commit RUN) commits; a thrown BoltFailure fails the commit instead. */
  onCommit: (tx: TxInfo) => void | Promise<void> = () => {};
  /** Called when a transaction ends without committing (rollback, failure, RESET, lost connection). */
  onRollback: (tx: TxInfo) => void = () => {};

  /** Every RUN received, in order. */
  readonly runs: RunLogEntry[] = [];
  readonly transactions: TxInfo[] = [];
  /** Every request message by name, and every summary reply as `S: SUCCESS` etc., in order. */
  readonly messages: { connectionId: string; message: string }[] = [];
  readonly connections: { id: string; version: string; userAgent: string }[] = [];

  private readonly options: Required<BoltTestServerOptions>;
  private readonly host: SessionHost;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private rules: FailureRule[] = [];
  private hangMs = 0;
  private nextTxId = 1;
  private nextConnection = 1;
  private bookmarks = 0;
  private portNumber = 0;

  constructor(options: BoltTestServerOptions = {}) {
    this.options = {
      auth: { user: 'neo4j', password: 'test-password' },
      maxVersion: '6.0',
      homeDatabase: 'neo4j',
      serverAgent: 'Neo4j/5.26.0',
      ...options,
    };
    this.host = this.createHost();
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `bolt://127.0.0.1:${this.portNumber}`;
  }

  get routingUrl(): string {
    return `neo4j://127.0.0.1:${this.portNumber}`;
  }

  async start(): Promise<{ port: number; url: string }> {
    await this.listen(0);
    return { port: this.portNumber, url: this.url };
  }

  async stop(): Promise<void> {
    await this.down();
  }

  /** An outage: drops every connection and refuses new ones until up(). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again, on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.listen(this.portNumber);
  }

  /** Delays every reply by `ms` (0 ends the hang). */
  hang(ms: number): void {
    this.hangMs = ms;
  }

  /** The next `count` RUNs (or COMMITs, with `at: 'commit'`) fail. */
  failNext(count = 1, failure: FailureSpec = {}): void {
    const at = failure.at ?? 'run';
    this.rules.push({ matches: (e) => e.at === at, failure: toFailure(failure), remaining: count });
  }

  /** Every RUN or COMMIT the predicate picks fails, until the returned function is called. */
  failWhen(predicate: (event: FailureEvent) => boolean, failure: Omit<FailureSpec, 'at'> = {}): () => void {
    const rule = { matches: predicate, failure: toFailure(failure), remaining: Number.POSITIVE_INFINITY };
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  /** Statements whose transaction committed, optionally only those with this query text. */
  committedRuns(query?: string): RunLogEntry[] {
    return this.runs.filter((r) => r.outcome === 'committed' && (query === undefined || r.query === query));
  }

  clearLog(): void {
    for (const list of [this.runs, this.transactions, this.messages, this.connections]) list.length = 0;
  }

  private listen(port: number): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        const address = server.address();
        if (address && typeof address === 'object') this.portNumber = address.port;
        resolve();
      });
    });
  }

  private accept(socket: Socket) {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    new BoltSession(`bolt-${this.nextConnection++}`, socket, this.host);
  }

  private inject(event: FailureEvent): void {
    const rule = this.rules.find((r) => r.remaining > 0 && r.matches(event));
    if (!rule) return;
    rule.remaining--;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    throw rule.failure;
  }

  private finish(tx: TxInfo, outcome: TxInfo['outcome']) {
    tx.outcome = outcome;
    for (const run of tx.runs) run.outcome = outcome;
  }

  private createHost(): SessionHost {
    return {
      versions: SERVER_VERSIONS.filter((v) => compareVersion(v, parseVersion(this.options.maxVersion)) <= 0),
      serverAgent: this.options.serverAgent,
      authenticate: (token) => {
        const auth = this.options.auth;
        if (auth === null) return true;
        return (
          token.scheme === 'basic' && token.principal === auth.user && token.credentials === auth.password
        );
      },
      begin: (connectionId, extra, autoCommit) => {
        const tx: TxInfo = {
          id: this.nextTxId++,
          autoCommit,
          connectionId,
          database: typeof extra.db === 'string' ? extra.db : null,
          mode: extra.mode === 'r' ? 'read' : 'write',
          metadata: (extra.tx_metadata ?? {}) as Record<string, unknown>,
          bookmarks: (extra.bookmarks ?? []) as string[],
          runs: [],
          outcome: 'open',
          bookmark: null,
          failure: null,
        };
        this.transactions.push(tx);
        return tx;
      },
      run: async (tx, query, params): Promise<RunResult> => {
        const entry: RunLogEntry = {
          query,
          params,
          txId: tx.autoCommit ? null : tx.id,
          transactionId: tx.id,
          connectionId: tx.connectionId,
          database: tx.database,
          outcome: 'open',
        };
        this.runs.push(entry);
        tx.runs.push(entry);
        this.inject({ at: 'run', query, params, tx });
        return this.handler({
          query,
          params,
          tx: tx.autoCommit ? null : tx,
          transaction: tx,
          database: tx.database,
        });
      },
      commit: async (tx) => {
        this.inject({ at: 'commit', query: null, params: null, tx });
        await this.onCommit(tx);
        tx.bookmark = `engram-bolt-test:${++this.bookmarks}`;
        this.finish(tx, 'committed');
        return tx.bookmark;
      },
      end: (tx, outcome, failure) => {
        if (tx.outcome !== 'open') return;
        if (failure) tx.failure = { code: failure.code, message: failure.message };
        this.finish(tx, outcome);
        this.onRollback(tx);
      },
      route: (extra) => {
        const address = `127.0.0.1:${this.portNumber}`;
        return {
          ttl: 300,
          db: typeof extra.db === 'string' ? extra.db : this.options.homeDatabase,
          servers: ['WRITE', 'READ', 'ROUTE'].map((role) => ({ addresses: [address], role })),
        };
      },
      connected: (id, version, userAgent) => {
        this.connections.push({ id, version, userAgent });
      },
      received: (connectionId, message) => {
        this.messages.push({ connectionId, message });
      },
      replied: (connectionId, response) => {
        this.messages.push({ connectionId, message: `S: ${response}` });
      },
      delay: () =>
        this.hangMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.hangMs)) : Promise.resolve(),
    };
  }
}

function toFailure(spec: FailureSpec): BoltFailure {
  return new BoltFailure(
    spec.code ?? 'Neo.TransientError.General.DatabaseUnavailable',
    spec.message ?? 'injected failure: the database is unavailable',
  );
}

function parseVersion(text: string): BoltVersion {
  const [major, minor] = text.split('.').map(Number);
  return { major: major ?? 0, minor: minor ?? 0 };
}

function compareVersion(a: BoltVersion, b: BoltVersion): number {
  return a.major - b.major || a.minor - b.minor;
}
