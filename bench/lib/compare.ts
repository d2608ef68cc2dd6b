/**
 * The "entity memory page" in PostGraphile's schema, and the check that it answers exactly what
 * Engram answers before either is measured.
 *
 * Aliases give the PostGraphile answer the same JSON shape as Engram's (`entity`, `facts`,
 * `triples`, `messages`), so one response check serves both servers. The orders are Engram's:
 * facts and triples by last mention then id, newest first; sessions and conversations by
 * creation then id, newest first. `entityByExternalId` exists because the PostGraphile server
 * declares the unique index on entity.external_id with a `@unique` smart tag (Prisma creates
 * unique indexes, not unique constraints, and PostGraphile only builds lookups for constraints).
 */
import { isDeepStrictEqual } from 'node:util';

export const POSTGRAPHILE_PAGE_QUERY = /* GraphQL */ `
  query Page($id: String!) {
    entity: entityByExternalId(externalId: $id) {
      id
      externalId
      createdAt
      facts: entityFacts(first: 20, orderBy: [LAST_MENTIONED_AT_DESC, PRIMARY_KEY_DESC]) {
        totalCount
        edges { node { id content category mentionCount lastMentionedAt } }
      }
      triples: knowledgeGraphs(first: 20, orderBy: [LAST_MENTIONED_AT_DESC, PRIMARY_KEY_DESC]) {
        totalCount
        edges { node { id subject { name } predicate { name } object { name } mentionCount } }
      }
      sessions(first: 5, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) {
        totalCount
        edges {
          node {
            id
            createdAt
            conversations(first: 3, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) {
              totalCount
              edges { node { id messages: conversationMessages(first: 1) { totalCount } } }
            }
          }
        }
      }
    }
  }
`;

interface Edges<T> {
  totalCount: number;
  edges: { node: T }[];
}

/** What both page queries return (field names aligned by the aliases above). */
export interface ComparablePage {
  entity: {
    id: string;
    externalId: string;
    createdAt: string;
    facts: Edges<{
      id: string;
      content: string;
      category: string;
      mentionCount: number;
      lastMentionedAt: string;
    }>;
    triples: Edges<{
      id: string;
      subject: { name: string };
      predicate: { name: string };
      object: { name: string };
      mentionCount: number;
    }>;
    sessions: Edges<{
      id: string;
      createdAt: string;
      conversations: Edges<{ id: string; messages: { totalCount: number } }>;
    }>;
  } | null;
}

/**
 * The row id inside a global id. Engram (Pothos) encodes base64("Type:id"); PostGraphile v5
 * encodes base64(JSON ["type", id]).
 */
export function rowIdOf(globalId: string): number {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  if (decoded.startsWith('[')) {
    const parts = JSON.parse(decoded) as unknown[];
    return Number(parts[parts.length - 1]);
  }
  return Number(decoded.slice(decoded.lastIndexOf(':') + 1));
}

/**
 * Epoch milliseconds of a DateTime. Engram answers with a UTC offset; PostGraphile answers a
 * `timestamp without time zone` without one, and the columns hold UTC (as Prisma writes them).
 */
export function epochMs(value: string): number {
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`);
}

/** The page with server-specific encodings (ids, time zones) turned into plain values. */
export function normalizePage(page: ComparablePage): unknown {
  const entity = page.entity;
  if (!entity) return null;
  return {
    id: rowIdOf(entity.id),
    externalId: entity.externalId,
    createdAt: epochMs(entity.createdAt),
    facts: {
      totalCount: entity.facts.totalCount,
      nodes: entity.facts.edges.map(({ node }) => ({
        id: rowIdOf(node.id),
        content: node.content,
        category: node.category,
        mentionCount: node.mentionCount,
        lastMentionedAt: epochMs(node.lastMentionedAt),
      })),
    },
    triples: {
      totalCount: entity.triples.totalCount,
      nodes: entity.triples.edges.map(({ node }) => ({
        id: rowIdOf(node.id),
        subject: node.subject.name,
        predicate: node.predicate.name,
        object: node.object.name,
        mentionCount: node.mentionCount,
      })),
    },
    sessions: {
      totalCount: entity.sessions.totalCount,
      nodes: entity.sessions.edges.map(({ node }) => ({
        id: rowIdOf(node.id),
        createdAt: epochMs(node.createdAt),
        conversations: {
          totalCount: node.conversations.totalCount,
          nodes: node.conversations.edges.map((edge) => ({
            id: rowIdOf(edge.node.id),
            messages: edge.node.messages.totalCount,
          })),
        },
      })),
    },
  };
}

/** Where two normalized pages first differ, as a path and both values, or null when equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const difference = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (difference) return difference;
    }
  }
  return `${path || '.'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}
