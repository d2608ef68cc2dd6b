import type { Db } from '../db/client.ts';
import type { Prisma } from '../db/generated/client.ts';
import type { EngramPubSub } from '../events/pubsub.ts';
import type { Limits } from './validation.ts';

/** What every memory service needs: the database, the event bus and the limits. */
export interface ServiceDeps {
  db: Db;
  events: EngramPubSub;
  limits: Limits;
}

/** The Prisma client inside `$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

/** Creates the entity on first use; idempotent on its external id. */
export function upsertEntity(tx: Tx, externalId: string) {
  return tx.entity.upsert({ where: { externalId }, create: { externalId }, update: {} });
}
