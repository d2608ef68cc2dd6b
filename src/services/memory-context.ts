import type { Principal } from '../auth/principal.ts';
import type { ServiceDeps } from './deps.ts';
import { recall } from './recall.ts';

/** What the LLM proxy puts before a model call: the entity's facts for the question, and triples. */
export interface MemoryContext {
  /** Fact contents, best first. */
  facts: string[];
  /** `subject predicate object` of the current triples learnt from the recalled facts' messages. */
  triples: string[];
}

export interface MemoryContextInput {
  entity: string;
  query: string;
  /** Most facts, and most triples. */
  first: number;
  withTriples: boolean;
}

/**
 * The memory recalled for a question, through the same ranking as the `recall` query. Triples are
 * those mentioned by the messages the recalled facts came from (still holding), so they belong to
 * the same topic rather than being the entity's latest whatever they are about.
 */
export async function memoryContext(
  deps: ServiceDeps,
  principal: Principal,
  input: MemoryContextInput,
  maxFirst: number,
): Promise<MemoryContext> {
  const first = Math.min(input.first, maxFirst);
  const query = input.query.slice(0, deps.limits.maxContentLength);
  const hits = await recall(deps, principal, { entity: input.entity, query, first }, maxFirst);
  // Facts only (recall's default source): the block is the entity's facts and triples.
  const facts = hits.flatMap((hit) => (hit.fact ? [hit.fact.content] : []));
  if (!input.withTriples || hits.length === 0) return { facts, triples: [] };
  const messageIds = [...new Set(hits.flatMap((hit) => hit.sources.map((message) => message.id)))];
  if (messageIds.length === 0) return { facts, triples: [] };
  const triples = await deps.reader.triple.findMany({
    where: {
      entity: { externalId: input.entity },
      validTo: null,
      mentions: { some: { messageId: { in: messageIds } } },
    },
    orderBy: [{ lastMentionedAt: 'desc' }, { id: 'desc' }],
    take: first,
    include: { subject: true, predicate: true, object: true },
  });
  return {
    facts,
    triples: triples.map((triple) => `${triple.subject.name} ${triple.predicate.name} ${triple.object.name}`),
  };
}
