import type { Db } from '../../src/db/client.ts';

/** Row counts of every table a client can write, to prove a refused call wrote nothing. */
export async function rowCounts(db: Db) {
  return {
    entities: await db.entity.count(),
    processes: await db.process.count(),
    sessions: await db.session.count(),
    conversations: await db.conversation.count(),
    messages: await db.conversationMessage.count(),
    facts: await db.entityFact.count(),
    mentions: await db.factMention.count(),
    subjects: await db.tripleSubject.count(),
    predicates: await db.triplePredicate.count(),
    objects: await db.tripleObject.count(),
    triples: await db.triple.count(),
  };
}
