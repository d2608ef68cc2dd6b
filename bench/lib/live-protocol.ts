/**
 * The messages between bench/live.ts (through lib/live-clients.ts) and its subscriber processes
 * (lib/live-client.ts), and what they subscribe to. Kept apart from live-client.ts, which runs as
 * a process when imported.
 */

/** One socket to open: which server it talks to and which entity it follows. */
export interface Slot {
  id: number;
  server: number;
  entity: string;
}

export type LiveRequest =
  | { type: 'init'; urls: string[]; authorization: string; concurrency: number }
  | { type: 'connect'; slots: Slot[] }
  /** Moves each listed socket's subscription to another entity (unsubscribe, subscribe). */
  | { type: 'resubscribe'; slots: Slot[] }
  /** The parent is about to write these events: reply `got` once each has reached all its subscribers here. */
  | { type: 'expect'; events: { seq: number; entity: string }[] }
  /** Reply `got` now for these events, with whatever arrived (the parent gave up waiting). */
  | { type: 'collect'; seqs: number[] }
  | { type: 'cpu' }
  | { type: 'close' };

export type LiveReply =
  | { type: 'progress'; connected: number; failed: number }
  | { type: 'connected'; connected: number; failed: number; firstError: string | null }
  | { type: 'resubscribed'; count: number }
  /** `servers[i]`: which server the socket of `times[i]` talks to. */
  | { type: 'got'; seq: number; expected: number; times: number[]; servers: number[] }
  | { type: 'cpu'; micros: number; dropped: number }
  | { type: 'closed' };

/** The subscription every socket runs; bench/live.ts writes facts whose content ends with their sequence number. */
export const LIVE_SUBSCRIPTION =
  'subscription Live($e: String!) { factChanged(entity: $e) { kind fact { id content } } }';

/** The content of the fact written for event `seq` (the subscriber reads `seq` back from it). */
export const liveContent = (run: string, seq: number) => `live bench ${run} event ${seq}`;
