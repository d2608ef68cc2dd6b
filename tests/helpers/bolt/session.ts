import type { Socket } from 'node:net';
import { Dechunker, frame } from './framing.ts';
import {
  type BoltVersion,
  choose,
  HANDSHAKE_LENGTH,
  manifestOffer,
  parseProposals,
  readVarInt,
  versionName,
  versionReply,
} from './handshake.ts';
import { packMessage, Unpacker } from './packstream.ts';
import { BoltFailure, type RunResult, type TxInfo } from './types.ts';

const REQUEST: Record<number, string> = {
  1: 'HELLO',
  2: 'GOODBYE',
  15: 'RESET',
  16: 'RUN',
  17: 'BEGIN',
  18: 'COMMIT',
  19: 'ROLLBACK',
  47: 'DISCARD',
  63: 'PULL',
  84: 'TELEMETRY',
  102: 'ROUTE',
  106: 'LOGON',
  107: 'LOGOFF',
};
const RESPONSE: Record<number, string> = { 112: 'SUCCESS', 126: 'IGNORED', 127: 'FAILURE' };
const SUCCESS = 0x70;
const RECORD = 0x71;
const IGNORED = 0x7e;
const FAILURE = 0x7f;

/** What a session needs from the server: authentication, statements, transactions, the log. */
export interface SessionHost {
  versions: BoltVersion[];
  serverAgent: string;
  authenticate(token: Record<string, unknown>): boolean;
  begin(connectionId: string, extra: Record<string, unknown>, autoCommit: boolean): TxInfo;
  run(tx: TxInfo, query: string, params: Record<string, unknown>): Promise<RunResult>;
  /** Resolves with the bookmark; throws a BoltFailure when the commit is made to fail. */
  commit(tx: TxInfo): Promise<string>;
  end(tx: TxInfo, outcome: 'rolled back' | 'failed' | 'connection lost', failure?: BoltFailure): void;
  route(extra: Record<string, unknown>): Record<string, unknown>;
  connected(connectionId: string, version: string, userAgent: string): void;
  received(connectionId: string, request: string): void;
  /** Every summary sent (SUCCESS, IGNORED, FAILURE); records are not logged. */
  replied(connectionId: string, response: string): void;
  /** Waits while the server is told to hang. */
  delay(): Promise<void>;
}

interface Stream {
  fields: string[];
  records: unknown[][];
  next: number;
}

type State =
  | 'handshake'
  | 'manifest'
  | 'connected'
  | 'authentication'
  | 'ready'
  | 'streaming'
  | 'tx'
  | 'failed';

/** One client connection: handshake, then Bolt messages handled one at a time, in order. */
export class BoltSession {
  private state: State = 'handshake';
  private bytes: Buffer = Buffer.alloc(0);
  private readonly dechunker = new Dechunker();
  private queue: Promise<void> = Promise.resolve();
  private version: BoltVersion = { major: 0, minor: 0 };
  private tx: TxInfo | null = null;
  private streams = new Map<number, Stream>();
  private lastQid = -1;
  private closed = false;
  private authenticated = false;

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    socket.on('data', (data) => this.onData(data));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      if (this.tx) this.host.end(this.tx, 'connection lost');
      this.tx = null;
    });
  }

  private onData(data: Buffer) {
    if (this.state !== 'handshake' && this.state !== 'manifest') {
      for (const message of this.dechunker.push(data)) this.enqueue(message);
      return;
    }
    this.bytes = Buffer.concat([this.bytes, data]);
    if (this.state === 'handshake') {
      if (this.bytes.length < HANDSHAKE_LENGTH) return;
      const proposals = parseProposals(this.bytes);
      this.bytes = this.bytes.subarray(HANDSHAKE_LENGTH);
      if (proposals.manifest) {
        this.state = 'manifest';
        this.socket.write(manifestOffer(this.host.versions));
      } else {
        const chosen = choose(proposals.versions, this.host.versions);
        this.socket.write(versionReply(chosen));
        if (!chosen) return void this.socket.end();
        this.version = chosen;
        this.state = 'connected';
      }
    }
    if (this.state === 'manifest') {
      const capabilities = this.bytes.length >= 4 ? readVarInt(this.bytes, 4) : null;
      if (!capabilities) return;
      const chosen = { major: this.bytes.readUInt8(3), minor: this.bytes.readUInt8(2) };
      if (!choose([chosen], this.host.versions)) return void this.socket.end();
      this.version = chosen;
      this.bytes = this.bytes.subarray(4 + capabilities.length);
      this.state = 'connected';
    }
    const rest = this.bytes;
    this.bytes = Buffer.alloc(0);
    if (rest.length > 0) this.onData(rest);
  }

  private enqueue(message: Buffer) {
    this.queue = this.queue
      .then(() => this.handle(message))
      .catch((error: unknown) => {
        // A bug here, not a client error: make it visible and drop the connection.
        console.error('bolt test server:', error);
        this.socket.destroy();
      });
  }

  private send(tag: number, fields: unknown[]) {
    if (this.closed) return;
    if (tag !== RECORD) this.host.replied(this.id, RESPONSE[tag] ?? String(tag));
    this.socket.write(frame(packMessage(tag, fields)));
  }

  private success(metadata: Record<string, unknown> = {}) {
    this.send(SUCCESS, [metadata]);
  }

  private failure(error: BoltFailure) {
    // Bolt 5.7+ drivers read neo4j_code and the GQL fields; older ones read code.
    this.send(FAILURE, [
      {
        code: error.code,
        neo4j_code: error.code,
        message: error.message,
        gql_status: error.gqlStatus,
        description: `error: ${error.message}`,
        diagnostic_record: { OPERATION: '', OPERATION_CODE: '0', CURRENT_SCHEMA: '/' },
      },
    ]);
  }

  private async handle(message: Buffer) {
    const { tag, fields } = new Unpacker(message).message();
    const name = REQUEST[tag] ?? `0x${tag.toString(16)}`;
    this.host.received(this.id, name);
    await this.host.delay();
    if (this.closed) return;
    if (this.state === 'failed' && name !== 'RESET' && name !== 'GOODBYE') return this.send(IGNORED, []);
    try {
      await this.dispatch(name, fields);
    } catch (error) {
      const failure =
        error instanceof BoltFailure
          ? error
          : new BoltFailure('Neo.DatabaseError.General.UnknownError', String(error));
      if (this.tx) this.host.end(this.tx, 'failed', failure);
      this.tx = null;
      this.streams.clear();
      this.failure(failure);
      this.state = 'failed';
      if (failure.code === 'Neo.ClientError.Security.Unauthorized') this.socket.end();
    }
  }

  private expect(name: string, ...states: State[]) {
    if (!states.includes(this.state)) {
      throw new BoltFailure(
        'Neo.ClientError.Request.Invalid',
        `${name} is not allowed in state ${this.state}`,
      );
    }
  }

  private authenticate(token: Record<string, unknown>) {
    if (!this.host.authenticate(token)) {
      throw new BoltFailure(
        'Neo.ClientError.Security.Unauthorized',
        'The client is unauthorized due to authentication failure.',
        '42NFF',
      );
    }
    this.authenticated = true;
  }

  private async dispatch(name: string, fields: unknown[]) {
    const extra = (fields.at(-1) ?? {}) as Record<string, unknown>;
    switch (name) {
      case 'HELLO': {
        this.expect(name, 'connected');
        this.host.connected(this.id, versionName(this.version), String(extra.user_agent ?? ''));
        // Bolt 5.0 carries the credentials in HELLO; from 5.1 they come in LOGON.
        if (this.version.major === 5 && this.version.minor === 0) this.authenticate(extra);
        this.state = this.version.major === 5 && this.version.minor === 0 ? 'ready' : 'authentication';
        return this.success({ server: this.host.serverAgent, connection_id: this.id, hints: {} });
      }
      case 'LOGON':
        this.expect(name, 'authentication');
        this.authenticate(extra);
        this.state = 'ready';
        return this.success();
      case 'LOGOFF':
        this.expect(name, 'ready');
        this.authenticated = false;
        this.state = 'authentication';
        return this.success();
      case 'TELEMETRY':
        return this.success();
      case 'GOODBYE':
        if (this.tx) this.host.end(this.tx, 'rolled back');
        this.tx = null;
        this.socket.end();
        return;
      case 'RESET':
        if (this.tx) this.host.end(this.tx, 'rolled back');
        this.tx = null;
        this.streams.clear();
        if (this.authenticated) this.state = 'ready';
        else if (this.state === 'failed') this.state = 'authentication';
        return this.success();
      case 'ROUTE':
        this.expect(name, 'ready');
        return this.success({ rt: this.host.route(extra) });
      case 'BEGIN':
        this.expect(name, 'ready');
        this.tx = this.host.begin(this.id, extra, false);
        this.state = 'tx';
        this.lastQid = -1;
        return this.success();
      case 'RUN':
        return this.runStatement(fields);
      case 'PULL':
      case 'DISCARD':
        return this.stream(name, extra);
      case 'COMMIT': {
        this.expect(name, 'tx');
        const tx = this.tx as TxInfo;
        const bookmark = await this.host.commit(tx);
        this.tx = null;
        this.state = 'ready';
        return this.success({ bookmark });
      }
      case 'ROLLBACK':
        this.expect(name, 'tx');
        this.host.end(this.tx as TxInfo, 'rolled back');
        this.tx = null;
        this.state = 'ready';
        return this.success();
      default:
        throw new BoltFailure('Neo.ClientError.Request.Invalid', `unsupported message ${name}`);
    }
  }

  private async runStatement(fields: unknown[]) {
    this.expect('RUN', 'ready', 'tx');
    const [query, params, extra] = fields as [string, Record<string, unknown>, Record<string, unknown>];
    const autoCommit = this.state === 'ready';
    if (autoCommit) {
      this.tx = this.host.begin(this.id, extra ?? {}, true);
      this.streams.clear();
      this.lastQid = -1;
    }
    const result = await this.host.run(this.tx as TxInfo, query, params ?? {});
    const qid = ++this.lastQid;
    this.streams.set(qid, { fields: result.fields, records: result.records, next: 0 });
    if (autoCommit) this.state = 'streaming';
    // A RUN inside an explicit transaction must name its qid, or the driver cannot PULL it.
    return this.success(
      autoCommit ? { fields: result.fields, t_first: 0 } : { fields: result.fields, t_first: 0, qid },
    );
  }

  private async stream(name: 'PULL' | 'DISCARD', extra: Record<string, unknown>) {
    this.expect(name, 'streaming', 'tx');
    const requested = Number(extra.qid ?? -1);
    const qid = requested === -1 ? this.lastQid : requested;
    const stream = this.streams.get(qid);
    if (!stream)
      throw new BoltFailure('Neo.ClientError.Request.Invalid', `no open result with qid ${requested}`);
    const n = Number(extra.n ?? -1);
    const end =
      name === 'DISCARD' || n < 0 ? stream.records.length : Math.min(stream.next + n, stream.records.length);
    if (name === 'PULL') for (let i = stream.next; i < end; i++) this.send(RECORD, [stream.records[i]]);
    stream.next = end;
    if (stream.next < stream.records.length) return this.success({ has_more: true });
    this.streams.delete(qid);
    const tx = this.tx as TxInfo;
    const summary = { has_more: false, type: 'rw', t_last: 0, db: tx.database ?? 'neo4j' };
    if (this.state === 'streaming') {
      // The end of an auto-commit result is its commit.
      const bookmark = await this.host.commit(tx);
      this.tx = null;
      this.state = 'ready';
      return this.success({ ...summary, bookmark });
    }
    return this.success(summary);
  }
}
