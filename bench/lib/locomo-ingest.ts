/**
 * bench:locomo's ingest: records every LoCoMo session as a conversation (and, with `--facts turns`,
 * remembers each turn as a fact sourced from its message), mapping message ids to dia_ids; and,
 * with `--facts extracted`, waits for the augmentation queue to drain.
 */
import * as chrono from 'chrono-node';
import type { Db } from '../../src/db/client.ts';
import type { LocomoConversation, LocomoSession } from './locomo-data.ts';
import { gql, RECORD, REMEMBER, type RecordResult, type RememberResult, success } from './locomo-graphql.ts';
import { MAX_PAGE } from './locomo-options.ts';
import { progress } from './stdio.ts';

const since = (start: number) => (performance.now() - start) / 1000;

/**
 * When a session took place, from its header ("1:56 pm on 8 May, 2023"), in UTC milliseconds;
 * null when the data gives none or it cannot be read.
 */
export function sessionTime(session: LocomoSession): number | null {
  if (!session.dateTime) return null;
  const parsed = chrono.parseDate(session.dateTime, { instant: new Date(0), timezone: 'UTC' });
  return parsed ? parsed.getTime() : null;
}

/** The Engram entity of a LoCoMo conversation. */
export const entityOf = (conversation: LocomoConversation) => `locomo-${conversation.id}`;

/** What ingest recorded: turns, and facts created or merged into an existing one. */
export interface IngestStats {
  messages: number;
  factsCreated: number;
  factsMerged: number;
}

/**
 * Records every session of a conversation and, with `rememberTurns`, remembers each turn as a fact
 * sourced from its message; fills `diaIdOf` (message global id -> dia_id).
 */
export async function ingest(
  url: string,
  conversation: LocomoConversation,
  diaIdOf: Map<string, string>,
  stats: IngestStats,
  rememberTurns: boolean,
): Promise<void> {
  const entity = entityOf(conversation);
  for (const session of conversation.sessions) {
    const said = sessionTime(session);
    let conversationId: string | null = null;
    const messageIds: string[] = [];
    // One LoCoMo session is one Engram conversation; pages of MAX_PAGE keep the returned ids exact.
    for (let start = 0; start < session.turns.length; start += MAX_PAGE) {
      const turns = session.turns.slice(start, start + MAX_PAGE);
      const data: { recordConversation: RecordResult } = await gql(url, RECORD, {
        n: turns.length,
        input: {
          entity,
          process: 'locomo-bench',
          ...(conversationId ? { conversation: conversationId } : {}),
          summary: `LoCoMo ${conversation.id} session ${session.index}${session.dateTime ? `, ${session.dateTime}` : ''}`,
          messages: turns.map((turn, i) => ({
            role: turn.speaker === conversation.speakerA ? 'USER' : 'ASSISTANT',
            content: turn.content,
            // Said when the session was, a second apart, so recall can match dates against it.
            ...(said === null ? {} : { createdAt: new Date(said + (start + i) * 1000).toISOString() }),
          })),
        },
      });
      const recorded = success(data.recordConversation, 'RecordConversationSuccess', 'recordConversation');
      const edges = recorded.conversation?.messages.edges ?? [];
      conversationId = recorded.conversation?.id ?? null;
      // The last n messages must be exactly the turns just sent, in order: check rather than trust.
      edges.forEach((edge, i) => {
        if (edge.node.content !== turns[i]?.content) {
          throw new Error(`${conversation.id} session ${session.index}: message ${i} came back different`);
        }
      });
      if (edges.length !== turns.length)
        throw new Error(`${conversation.id}: ${edges.length} messages came back`);
      messageIds.push(...edges.map((edge) => edge.node.id));
    }
    for (const [i, turn] of session.turns.entries()) {
      const messageId = messageIds[i] as string;
      diaIdOf.set(messageId, turn.diaId);
      stats.messages++;
      if (!rememberTurns) continue;
      const data: { rememberFact: RememberResult } = await gql(url, REMEMBER, {
        input: { entity, content: turn.content, source: messageId },
      });
      const remembered = success(data.rememberFact, 'RememberFactSuccess', 'rememberFact');
      if (remembered.kind === 'CREATED') stats.factsCreated++;
      else stats.factsMerged++;
    }
  }
}

/**
 * Polls augmentation_job until every row is DONE; fails, with each parked job's lastError, as soon
 * as one is PARKED (retried to the limit, or not retryable). Returns the job count and the facts the
 * extractor reported (`facts_found`, counting a fact stored as a mention of an existing one too).
 */
export async function drainAugmentation(db: Db): Promise<{ jobs: number; factsFound: number }> {
  let lastLog = performance.now();
  for (;;) {
    const groups = await db.augmentationJob.groupBy({ by: ['status'], _count: { _all: true } });
    const count = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0;
    const total = groups.reduce((n, g) => n + g._count._all, 0);
    if (total === 0) throw new Error('no augmentation jobs were enqueued: is augmentation wired?');
    if (count('PARKED') > 0) {
      const parked = await db.augmentationJob.findMany({
        where: { status: 'PARKED' },
        select: { id: true, conversationId: true, attempts: true, lastError: true },
        orderBy: { id: 'asc' },
      });
      throw new Error(
        `${parked.length} of ${total} augmentation jobs PARKED:\n` +
          parked
            .map(
              (j) =>
                `  job ${j.id} (conversation ${j.conversationId}, ${j.attempts} attempts): ${j.lastError ?? '(no lastError)'}`,
            )
            .join('\n'),
      );
    }
    if (count('DONE') === total) {
      const sum = await db.augmentationJob.aggregate({ _sum: { factsFound: true } });
      return { jobs: total, factsFound: sum._sum.factsFound ?? 0 };
    }
    if (since(lastLog) >= 5) {
      lastLog = performance.now();
      progress(
        `  augmentation: ${count('DONE')}/${total} jobs done, ${count('RUNNING')} running, ${count('PENDING')} pending`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
