import { describe, expect, it } from 'vitest';
import {
  ChangeWatermark,
  outlivedRetention,
  pruneBefore,
  watermarkAfterScan,
} from '../src/search/change-watermark.ts';

const GRACE = 60_000;
const T0 = Date.UTC(2025, 0, 1);
const rows = (...ids: number[]) => ids.map((id) => ({ id, entityId: 1, factId: id }));
const ids = (list: { id: number }[]) => list.map((row) => row.id);

/** One pass of the follower, as ChangeFollower runs it: select, apply, record. */
function pass(position: ChangeWatermark, read: { id: number }[], now: number): number[] {
  const toApply = position.select(read);
  position.applied(toApply, now);
  return ids(toApply);
}

// Pure bookkeeping with no database: run it once, in the SQLite project.
describe('change watermark (the change follower without a database)', () => {
  it('applies ids in order and moves the watermark over each', () => {
    const position = new ChangeWatermark(GRACE);
    expect(pass(position, rows(1, 2, 3), T0)).toEqual([1, 2, 3]);
    expect(position.watermark).toBe(3);
    expect(position.highest).toBe(3);
    expect(position.holes(100)).toEqual([]);
    expect(pass(position, rows(4), T0 + 1)).toEqual([4]);
    expect(position.watermark).toBe(4);
  });

  it('holds the watermark below a hole, looks the hole up again, and moves on once it fills', () => {
    const position = new ChangeWatermark(GRACE);
    expect(pass(position, rows(1, 2, 4, 6), T0)).toEqual([1, 2, 4, 6]);
    expect(position.watermark).toBe(2);
    expect(position.highest).toBe(6);
    expect(position.holes(100)).toEqual([3, 5]);
    expect(position.holes(1)).toEqual([3]);
    // Id 3's transaction commits: the next pass finds it among the holes.
    expect(pass(position, rows(3), T0 + 1000)).toEqual([3]);
    expect(position.watermark).toBe(4);
    expect(position.holes(100)).toEqual([5]);
    expect(pass(position, rows(5, 7), T0 + 2000)).toEqual([5, 7]);
    expect(position.watermark).toBe(7);
    expect(position.holes(100)).toEqual([]);
  });

  it('previews the watermark a batch would reach without recording it (what the Neo4j mirror stores)', () => {
    const position = new ChangeWatermark(GRACE);
    pass(position, rows(1, 2, 4), T0);
    expect(position.watermark).toBe(2);
    // 3 is a hole younger than the grace period: the preview stops below it, and changes nothing.
    expect(position.preview(rows(5, 6), T0 + 1000)).toBe(2);
    expect(position.preview(rows(3, 5), T0 + 1000)).toBe(5);
    expect(position.watermark).toBe(2);
    expect(position.holes(100)).toEqual([3]);
    // Past the grace period the preview skips the hole, as applied() would.
    expect(position.preview(rows(5), T0 + GRACE + 1)).toBe(5);
    expect(pass(position, rows(5), T0 + GRACE + 1)).toEqual([5]);
    expect(position.watermark).toBe(5);
  });

  it('skips a hole that never fills once it has been open for the grace period, counted from when it was first seen', () => {
    const position = new ChangeWatermark(GRACE);
    pass(position, rows(1, 3), T0);
    expect(position.watermark).toBe(1);
    // Passes that find nothing new do not restart the hole's clock.
    pass(position, [], T0 + GRACE / 2);
    pass(position, [], T0 + GRACE - 1);
    expect(position.watermark).toBe(1);
    expect(position.holes(100)).toEqual([2]);
    pass(position, [], T0 + GRACE);
    expect(position.watermark).toBe(3);
    expect(position.holes(100)).toEqual([]);
    // A transaction that commits after its id was skipped is not applied again.
    expect(pass(position, rows(2), T0 + GRACE + 1)).toEqual([]);
    expect(position.watermark).toBe(3);
  });

  it('starts the grace period of a hole above another when the watermark reaches it', () => {
    const position = new ChangeWatermark(GRACE);
    pass(position, rows(1, 3), T0);
    pass(position, rows(5), T0 + 10_000);
    expect(position.holes(100)).toEqual([2, 4]);
    pass(position, [], T0 + GRACE);
    // Hole 2 has expired; hole 4's clock started only now, as the watermark came up to it.
    expect(position.watermark).toBe(3);
    pass(position, [], T0 + 2 * GRACE - 1);
    expect(position.watermark).toBe(3);
    pass(position, [], T0 + 2 * GRACE);
    expect(position.watermark).toBe(5);
  });

  it('applies duplicated and out-of-order rows once each, in id order, and never a row already applied', () => {
    const position = new ChangeWatermark(GRACE);
    expect(pass(position, rows(3, 1, 2, 1, 3), T0)).toEqual([1, 2, 3]);
    expect(position.watermark).toBe(3);
    expect(pass(position, rows(2, 3), T0 + 1)).toEqual([]);
    // New rows and a filled hole read in one pass, the hole after them and one row twice.
    pass(position, rows(4, 6), T0 + 2);
    expect(pass(position, [...rows(7, 8, 7), ...rows(5)], T0 + 3)).toEqual([5, 7, 8]);
    expect(position.watermark).toBe(8);
    expect(pass(position, rows(6, 8), T0 + 4)).toEqual([]);
  });

  it('restarts from a saved watermark, knowing nothing above it', () => {
    const position = new ChangeWatermark(GRACE);
    pass(position, rows(1, 3), T0);
    expect(position.holes(100)).toEqual([2]);
    position.reset(10);
    expect(position.watermark).toBe(10);
    expect(position.highest).toBe(10);
    expect(position.holes(100)).toEqual([]);
    expect(pass(position, rows(9, 10, 11, 13), T0 + 1)).toEqual([11, 13]);
    expect(position.watermark).toBe(11);
    expect(position.holes(100)).toEqual([12]);
    // The hole's clock starts with this run, not with the one before the reset.
    position.reset(11);
    pass(position, rows(13), T0 + 2);
    pass(position, [], T0 + GRACE + 1);
    expect(position.watermark).toBe(11);
    pass(position, [], T0 + GRACE + 2);
    expect(position.watermark).toBe(13);
  });

  it('rebuilds a snapshot older than the retention instead of replaying, and prunes at the same horizon', () => {
    const day = 86_400_000;
    const savedAt = new Date(T0).toISOString();
    expect(outlivedRetention(savedAt, T0 + 7 * day, 7 * day)).toBe(false);
    expect(outlivedRetention(savedAt, T0 + 7 * day + 1, 7 * day)).toBe(true);
    expect(outlivedRetention(savedAt, T0 + 1000, 7 * day)).toBe(false);
    expect(pruneBefore(T0 + 7 * day, 7 * day)).toEqual(new Date(T0));
  });

  it('follows on from a full scan just before the first change since it began, or after the last change', () => {
    expect(watermarkAfterScan(42, 50)).toBe(41);
    expect(watermarkAfterScan(null, 50)).toBe(50);
    expect(watermarkAfterScan(null, null)).toBe(0);
    expect(watermarkAfterScan(1, 1)).toBe(0);
  });
});
