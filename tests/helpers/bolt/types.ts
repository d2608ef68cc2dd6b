/** How a transaction ended; `failed` means the server aborted it after a FAILURE (at RUN or COMMIT). */
export type TxOutcome = 'open' | 'committed' | 'rolled back' | 'failed' | 'connection lost';

export interface RunLogEntry {
  query: string;
  params: Record<string, unknown>;
  /** The explicit transaction's id, or null for an auto-commit statement. */
  txId: number | null;
  /** The transaction the statement ran in: the explicit one or the implicit one of an auto-commit RUN. */
  transactionId: number;
  connectionId: string;
  database: string | null;
  /** Updated when the statement's transaction ends. */
  outcome: TxOutcome;
}

export interface TxInfo {
  id: number;
  /** True for the implicit transaction of an auto-commit RUN. */
  autoCommit: boolean;
  connectionId: string;
  database: string | null;
  mode: 'read' | 'write';
  /** tx_metadata sent by the client. */
  metadata: Record<string, unknown>;
  bookmarks: string[];
  runs: RunLogEntry[];
  outcome: TxOutcome;
  /** The bookmark returned on commit. */
  bookmark: string | null;
  failure: { code: string; message: string } | null;
}

export interface RunRequest {
  query: string;
  params: Record<string, unknown>;
  /** The explicit transaction, or null for an auto-commit statement. */
  tx: TxInfo | null;
  /** Always set: for auto-commit statements the implicit transaction (so a model can stage writes alike). */
  transaction: TxInfo;
  database: string | null;
}

export interface RunResult {
  fields: string[];
  records: unknown[][];
}

export type RunHandler = (run: RunRequest) => RunResult | Promise<RunResult>;

/** A Neo4j error the server answers with a FAILURE message. */
export class BoltFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The GQLSTATUS sent from Bolt 5.7 on. @default '50N42' (general processing exception) */
    readonly gqlStatus = '50N42',
  ) {
    super(message);
    this.name = 'BoltFailure';
  }
}
