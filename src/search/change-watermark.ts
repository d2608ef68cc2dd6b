/**
 * Where the index stands in the `vector_change` log, as pure bookkeeping (no database, no clock
 * of its own): the caller reads rows, asks which to apply, applies them, then reports them applied.
 *
 * Change ids are handed out when a transaction inserts its row but become visible only when it
 * commits, so a reader can see id 12 before id 11: 11 is a hole. It is either a transaction
 * still open (its row will appear) or one that rolled back (it never will). A hole is looked up
 * again on every pass and skipped once it has been open for `gapGraceMs`.
 */
export class ChangeWatermark {
  private last = 0;
  private top = 0;
  /** Ids above the watermark already applied. */
  private readonly seen = new Set<number>();
  /** When each hole was first noticed. */
  private readonly gapSince = new Map<number, number>();

  /** @param gapGraceMs how long a hole may be an uncommitted transaction before it is skipped */
  constructor(private readonly gapGraceMs: number) {}

  /** The last id applied (or skipped as a hole) together with every lower id. */
  get watermark(): number {
    return this.last;
  }

  /** The highest id applied; the next read asks for ids above it. */
  get highest(): number {
    return this.top;
  }

  /** Starts over from a saved watermark (a snapshot's), knowing nothing above it. */
  reset(watermark: number): void {
    this.last = this.top = watermark;
    this.seen.clear();
    this.gapSince.clear();
  }

  /** The holes to look up again, lowest first, at most `limit` of them. */
  holes(limit: number): number[] {
    const holes: number[] = [];
    for (let id = this.last + 1; id <= this.top && holes.length < limit; id++) {
      if (!this.seen.has(id)) holes.push(id);
    }
    return holes;
  }

  /** Of the rows read, those not applied yet, each once, in id order. */
  select<Row extends { id: number }>(rows: readonly Row[]): Row[] {
    const fresh = new Map<number, Row>();
    for (const row of rows) {
      if (row.id > this.last && !this.seen.has(row.id)) fresh.set(row.id, row);
    }
    return [...fresh.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * What {@link applied} would return for these rows at `now`, without recording anything: the
   * contiguous position a sink may store with the rows' effects (the Neo4j mirror stores it in the
   * batch's own transaction).
   */
  preview(rows: readonly { id: number }[], now: number): number {
    let last = this.last;
    let top = this.top;
    const seen = new Set(this.seen);
    for (const row of rows) {
      if (row.id <= last) continue;
      seen.add(row.id);
      if (row.id > top) top = row.id;
    }
    while (last < top) {
      const next = last + 1;
      if (!seen.has(next) && now - (this.gapSince.get(next) ?? now) < this.gapGraceMs) break;
      last = next;
    }
    return last;
  }

  /**
   * Records rows as applied and moves the watermark up over every id applied, and over every
   * hole older than the grace period. Returns the new watermark.
   * @param now the clock, in milliseconds
   */
  applied(rows: readonly { id: number }[], now: number): number {
    for (const row of rows) {
      if (row.id <= this.last) continue;
      this.seen.add(row.id);
      if (row.id > this.top) this.top = row.id;
    }
    while (this.last < this.top) {
      const next = this.last + 1;
      if (!this.seen.delete(next)) {
        // A hole: a transaction that has not committed yet, or one that rolled back.
        const since = this.gapSince.get(next) ?? now;
        this.gapSince.set(next, since);
        if (now - since < this.gapGraceMs) break;
      }
      this.gapSince.delete(next);
      this.last = next;
    }
    return this.last;
  }
}

/**
 * Whether a snapshot saved at `savedAt` is older than the change retention: the changes after it
 * may have been pruned, so replaying cannot bring it up to date and the index is rebuilt instead.
 */
export function outlivedRetention(savedAt: string, now: number, retentionMs: number): boolean {
  return now - Date.parse(savedAt) > retentionMs;
}

/** Changes created before this instant are pruned: every replica has had time to apply them. */
export function pruneBefore(now: number, retentionMs: number): Date {
  return new Date(now - retentionMs);
}

/**
 * Where following starts after a full scan of the facts. A transaction open during the scan may
 * have committed a change behind it, so replay starts just before the first change recorded
 * since shortly before the scan began (replay is idempotent); with none, after the last change.
 * @param firstSinceScan id of the first change created since `scanStarted - gapGraceMs`, if any
 * @param last id of the last change, if any
 */
export function watermarkAfterScan(firstSinceScan: number | null, last: number | null): number {
  return firstSinceScan !== null ? firstSinceScan - 1 : (last ?? 0);
}
