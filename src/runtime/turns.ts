/**
 * Cooperative turns for work that would otherwise never leave the microtask queue. SQLite
 * statements (better-sqlite3) and already-loaded relations resolve synchronously, so a heavy query
 * awaits only promises that are already settled and runs to its end in one go while every other
 * request (even `{ __typename }`) waits. Callers ask {@link yieldIfLong} at safe points (before a
 * query's resolver); past the budget they wait for the event loop's check phase, after pending I/O
 * has been handled. Never inside a write transaction: on SQLite a transaction that waits for the
 * loop keeps the file locked, and a writer in the same process then blocks the loop in its busy wait.
 */

/** Longest stretch of work between two turns of the event loop, in milliseconds. */
const SLICE_MS = 10;
let sliceStartedAt = 0;
let turnMarked = false;
let turn: Promise<void> | null = null;

/** Resolves once the event loop has turned (pending I/O handled); one shared wait at a time. */
function nextTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = null;
      resolve();
    }),
  );
  return turn;
}

/** Undefined while the current slice has time left; otherwise a wait for the next turn. */
export function yieldIfLong(): Promise<void> | undefined {
  const now = performance.now();
  if (!turnMarked) {
    // The first resolver of this turn starts a slice; the mark clears when the loop turns.
    turnMarked = true;
    sliceStartedAt = now;
    setImmediate(() => {
      turnMarked = false;
    });
    return undefined;
  }
  return now - sliceStartedAt > SLICE_MS ? nextTurn() : undefined;
}
