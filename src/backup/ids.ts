import { clientProvider, type Tx } from '../db/client.ts';
import type { RecordKind } from './format.ts';
import type { IdRange } from './reader.ts';
import { delegate, TABLE_NAMES } from './tables.ts';

/**
 * How ids of a file become ids of the target. Rows keep their ids when a whole database moves
 * into an empty one (`preserve`: global ids held by clients and in the audit log stay right);
 * otherwise each kind's ids are shifted past the target's (`shift`), keeping their order and
 * gaps. Either way a row's new id is computed, never looked up, so an import holds no table of
 * ids in memory; only the shared names and processes, found by name in the target, are mapped.
 */
export class IdPlan {
  private readonly offsets = new Map<RecordKind, number>();
  readonly named = new Map<RecordKind, Map<number, number>>();

  constructor(readonly mode: 'preserve' | 'shift') {}

  /** Decides each kind's offset; in `shift` mode, reserves the ids it will use. */
  async plan(tx: Tx, ranges: Partial<Record<RecordKind, IdRange>>, namedKinds: readonly RecordKind[]) {
    for (const [kind, range] of Object.entries(ranges) as [RecordKind, IdRange][]) {
      if (this.mode === 'shift' && namedKinds.includes(kind)) {
        this.named.set(kind, new Map());
        continue;
      }
      const first = this.mode === 'preserve' ? range.min : await reserve(tx, kind, range.max - range.min + 1);
      this.offsets.set(kind, first - range.min);
    }
  }

  /** The target id of a file's id. */
  map(kind: RecordKind, id: number): number {
    const names = this.named.get(kind);
    if (names) {
      const found = names.get(id);
      if (found === undefined) throw new Error(`no ${kind} ${id} was imported`);
      return found;
    }
    return id + (this.offsets.get(kind) ?? 0);
  }
}

/**
 * Reserves `span` consecutive new ids of a kind's table and answers the first. PostgreSQL moves
 * the sequence past them at once (setval is not transactional: concurrent writers never get
 * them, and a rollback leaves a gap). MySQL/MariaDB and SQLite take the next ids after the
 * largest one and move their counters when the rows are inserted; a concurrent writer taking one
 * of them first makes the import fail on a duplicate key (rolled back: run it again).
 */
async function reserve(tx: Tx, kind: RecordKind, span: number): Promise<number> {
  const table = TABLE_NAMES[kind];
  const provider = clientProvider(tx);
  if (provider === 'postgresql') {
    // Table names are constants (TABLE_NAMES), never input.
    const [row] = await tx.$queryRawUnsafe<{ last: bigint }[]>(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'),
         GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}),
                  (SELECT last_value FROM ${sequenceName(table)})) + ${span}) AS last`,
    );
    return Number(row?.last) - span + 1;
  }
  const { _max } = await delegate(tx, kind).aggregate({ _max: { id: true } });
  return (_max.id ?? 0) + 1;
}

/** The sequence behind a PostgreSQL SERIAL column (as Prisma's migrations create them). */
function sequenceName(table: string): string {
  return `"${table}_id_seq"`;
}

/**
 * PostgreSQL: after rows were inserted with their own ids, moves each sequence past the largest,
 * so the next ordinary insert does not collide. Other databases move their counters themselves.
 */
export async function resyncSequences(tx: Tx, kinds: readonly RecordKind[]): Promise<void> {
  if (clientProvider(tx) !== 'postgresql') return;
  for (const kind of kinds) {
    const table = TABLE_NAMES[kind];
    await tx.$queryRawUnsafe(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), MAX(id)) FROM ${table} HAVING MAX(id) IS NOT NULL`,
    );
  }
}
