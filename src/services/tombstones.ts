import { createHash } from 'node:crypto';
import type { Tx } from './transactions.ts';

/**
 * Tombstones: what an entity's memory was told to forget, as hashes. forgetFact and forgetTriple
 * record one in their transaction; augmentation skips facts and triples that match one, so
 * re-running it over the messages a memory came from does not bring it back; a caller who
 * remembers the same content again on purpose (rememberFact, addTriples) clears it. Only hashes
 * are kept, so a tombstone does not itself keep what was forgotten.
 */

/** What a tombstone stands for. */
export type TombstoneKind = 'fact' | 'triple';

/** Case, Unicode composition and runs of spaces do not make another statement. */
function normalizePart(value: string): string {
  return value.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * The hash a triple's tombstone is kept under: its subject, predicate and object, normalized as
 * fact contents are (predicates arrive already normalized by the triple services).
 */
export function tripleContentHash(triple: { subject: string; predicate: string; object: string }): string {
  // JSON keeps the parts apart: ("a|b", "c") and ("a", "b|c") are different triples.
  const parts = JSON.stringify([triple.subject, triple.predicate, triple.object].map(normalizePart));
  return createHash('sha256').update(parts).digest('hex');
}

/** Records that the entity forgot this content (idempotent). */
export async function recordTombstone(
  tx: Tx,
  entityId: number,
  kind: TombstoneKind,
  contentHash: string,
): Promise<void> {
  await tx.tombstone.upsert({
    where: { entityId_kind_contentHash: { entityId, kind, contentHash } },
    create: { entityId, kind, contentHash },
    update: {},
  });
}

/** Removes tombstones: the caller remembered that content again on purpose. */
export async function clearTombstones(
  tx: Tx,
  entityId: number,
  kind: TombstoneKind,
  contentHashes: string[],
): Promise<void> {
  if (contentHashes.length === 0) return;
  await tx.tombstone.deleteMany({ where: { entityId, kind, contentHash: { in: contentHashes } } });
}

/** Which of these hashes the entity has forgotten. */
export async function tombstoned(
  tx: Tx,
  entityId: number,
  kind: TombstoneKind,
  contentHashes: string[],
): Promise<Set<string>> {
  if (contentHashes.length === 0) return new Set();
  const rows = await tx.tombstone.findMany({
    where: { entityId, kind, contentHash: { in: [...new Set(contentHashes)] } },
    select: { contentHash: true },
  });
  return new Set(rows.map((row) => row.contentHash));
}
