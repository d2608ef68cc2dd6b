import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isReadOnly, isWriteOnly, mayAccessEntity } from '../auth/principal.ts';
import { ENGRAM_VERSION } from '../backup/version.ts';
import { FactCategory, MessageRole } from '../db/enums.ts';
import type { EntityFact } from '../db/generated/client.ts';
import { EngramError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { classifyError } from '../http/mask-error.ts';
import type { Logger } from '../observability/logger.ts';
import { type Actor, recordAuditNow } from '../services/audit.ts';
import { recordConversation } from '../services/conversations.ts';
import type { ServiceDeps } from '../services/deps.ts';
import { exportEntity } from '../services/entity-export.ts';
import { forgetFact, rememberFact } from '../services/facts.ts';
import { globalId, parseGlobalId } from '../services/global-id.ts';
import {
  type GraphSettings,
  graphChecks,
  graphName,
  graphNeighborhood,
  graphNodesExisting,
} from '../services/graph.ts';
import { recall } from '../services/recall.ts';
import { semanticFacts } from '../services/semantic.ts';
import { addTriples } from '../services/triples.ts';

/** What the tools need: the services as the GraphQL resolvers get them, and the read limits. */
export interface McpToolDeps {
  services: ServiceDeps;
  graph: GraphSettings;
  /** Largest page a tool returns (MAX_PAGE_SIZE). */
  maxPageSize: number;
  /** Record every read an entity token makes (AUDIT_READS), as GraphQL does. */
  auditReads: boolean;
  logger: Logger;
}

/** Whether a tool reads memory or writes it: READ and WRITE token scopes and the read key role apply. */
type Access = 'read' | 'write';

/** A tool's answer: JSON text for any client, the same object as structured content. */
function ok(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** A typed error: `isError` with `{ error: { code, message, issues? } }` as text and structured content. */
export function toolError(
  code: string,
  message: string,
  issues?: readonly { path: string; message: string }[],
): CallToolResult {
  const error = { code, message, ...(issues?.length ? { issues } : {}) };
  return { ...ok({ error }), isError: true };
}

/** A global id of the expected type as its database id; anything else is BAD_USER_INPUT. */
function decode(value: string, typename: string, path: string): number {
  const parsed = parseGlobalId(value);
  if (!parsed || parsed.typename !== typename) {
    throw new ValidationError(
      `${path}: not a ${typename} id`,
      [{ path, message: `not a ${typename} id` }],
      'INVALID_ID',
    );
  }
  return parsed.id;
}

function factJson(fact: EntityFact) {
  return {
    id: globalId('Fact', fact.id),
    content: fact.content,
    category: fact.category,
    mentionCount: fact.mentionCount,
    lastMentionedAt: fact.lastMentionedAt.toISOString(),
    createdAt: fact.createdAt.toISOString(),
  };
}

/** Tool definitions by tool and limits (see `definition` in createMcpServer). */
const definitions = new Map<string, unknown>();

const entityField = z
  .string()
  .describe('External id of the entity (your id for the person or thing the memory is about).');
const sourceField = z
  .string()
  .optional()
  .describe('Global id of the message this came from (provenance), as record_conversation returns it.');

/**
 * An MCP server whose tools call the memory services for one caller. It is built per request
 * (stateless HTTP) or per process (stdio): the actor is fixed, so every write is audited under it
 * and an entity token reaches its own entity only.
 */
export function createMcpServer(deps: McpToolDeps, actor: Actor): McpServer {
  const { services, logger } = deps;
  /**
   * A tool's title, description and schemas, built once per set of limits: the server is built
   * per HTTP request, and building the zod schemas each time cost milliseconds of CPU.
   */
  const definition = <T>(tool: string, build: () => T): T => {
    const key = `${tool}:${deps.maxPageSize}:${deps.graph.maxDepth}`;
    let found = definitions.get(key) as T | undefined;
    if (found === undefined) {
      found = build();
      definitions.set(key, found);
    }
    return found;
  };
  const { principal } = actor;
  const server = new McpServer(
    { name: 'engram', version: ENGRAM_VERSION },
    {
      instructions:
        'Engram is a memory server: record conversations, remember facts and triples about an entity (a user), and recall them by meaning, words or graph traversal. Every tool names the entity by its external id.',
    },
  );
  // The SDK answers arguments its schema refuses (and unknown tools) with an untyped error
  // result; its builder is private, but replacing it keeps every refusal typed like ours. The SDK
  // is pinned, and tests/mcp.test.ts checks the code, so a change in a new version fails there.
  (server as unknown as { createToolError(message: string): CallToolResult }).createToolError = (message) =>
    toolError(
      /Tool \S+ not found/.test(message) ? 'NOT_FOUND' : 'BAD_USER_INPUT',
      message.replace(/^MCP error -?\d+: /, ''),
    );

  /** Runs a tool body for the caller: scope and entity checked, every error typed, none masked wrongly. */
  const run = async (
    tool: string,
    access: Access,
    entity: string | null,
    body: () => Promise<Record<string, unknown>>,
  ): Promise<CallToolResult> => {
    try {
      // A token is checked once per HTTP request, but a stdio session (MCP_TOKEN) outlives it.
      if (principal.kind === 'entity' && principal.expiresAt && principal.expiresAt.getTime() <= Date.now()) {
        throw new EngramError(
          'TOKEN_EXPIRED',
          'the entity token expired: get a new one (MCP_TOKEN) and restart',
        );
      }
      if (access === 'write' && isReadOnly(principal)) {
        throw new ForbiddenError(
          principal.kind === 'key'
            ? `this API key may only read (role read): ${tool} is refused`
            : `this entity token has no WRITE scope: ${tool} is refused`,
        );
      }
      if (access === 'read' && isWriteOnly(principal)) {
        throw new ForbiddenError(`this entity token has no READ scope: ${tool} is refused`);
      }
      if (entity !== null && !mayAccessEntity(principal, entity)) {
        throw new ForbiddenError('this entity token may reach its own entity only');
      }
      const result = await body();
      if (access === 'read' && deps.auditReads && principal.kind === 'entity') {
        await recordAuditNow(services, actor, { action: 'read', entity, target: [tool] });
      }
      return ok(result);
    } catch (error) {
      const { masked, kind } = classifyError(error, 'Unexpected error.');
      const code = String(masked.extensions.code ?? 'INTERNAL_SERVER_ERROR');
      if (kind === 'internal') logger.error({ err: error, tool }, 'MCP tool failed');
      else logger.info({ tool, code }, 'MCP tool refused');
      const issues = error instanceof ValidationError ? error.issues : undefined;
      return toolError(code, masked.message, issues);
    }
  };

  server.registerTool(
    'record_conversation',
    definition('record_conversation', () => ({
      title: 'Record a conversation',
      description:
        'Stores messages of a conversation about an entity, creating the entity, process, session and conversation as needed. Returns the conversation and message ids (a message id can be the `source` of remember_fact and add_triples).',
      inputSchema: {
        entity: entityField.describe('External id of the entity (created on first use).'),
        process: z
          .string()
          .describe('External id of the agent or application speaking (created on first use).'),
        session: z
          .string()
          .optional()
          .describe('Session uuid to continue (or create with this uuid); a new session when absent.'),
        conversation: z
          .string()
          .optional()
          .describe(
            'Global id of a conversation of this entity to append to; a new conversation when absent.',
          ),
        summary: z.string().optional().describe('A summary to store on the conversation.'),
        messages: z
          .array(
            z.object({
              role: z.enum(MessageRole).describe('Who said it: USER, ASSISTANT, SYSTEM or TOOL.'),
              content: z.string().describe('What was said (not empty; at most MAX_CONTENT_LENGTH).'),
              type: z.string().optional().describe('Content type. @default "text"'),
            }),
          )
          .describe('The messages, in order (at least one; at most MAX_ITEMS_PER_CALL).'),
        idempotencyKey: z
          .string()
          .optional()
          .describe(
            'Makes retries safe: a later call for the same entity with this key stores nothing and returns what the first stored (replayed: true).',
          ),
      },
    })),
    (input) =>
      run('record_conversation', 'write', input.entity, async () => {
        const conversationId =
          input.conversation !== undefined
            ? decode(input.conversation, 'Conversation', 'conversation')
            : null;
        const result = await recordConversation(services, actor, { ...input, conversationId });
        const session = await services.db.session.findUnique({
          where: { id: result.conversation.sessionId },
          select: { uuid: true },
        });
        return {
          conversation: globalId('Conversation', result.conversation.id),
          session: session?.uuid ?? null,
          messages: result.messages.map((message) => ({
            id: globalId('Message', message.id),
            role: message.role,
          })),
          replayed: result.replayed,
        };
      }),
  );

  server.registerTool(
    'remember_fact',
    definition('remember_fact', () => ({
      title: 'Remember a fact',
      description:
        'Remembers a fact about an entity. The same content again adds a mention (kind MENTIONED) instead of a second fact.',
      inputSchema: {
        entity: entityField.describe('External id of the entity (created on first use).'),
        content: z.string().describe('The fact, as a sentence (not empty; at most MAX_CONTENT_LENGTH).'),
        category: z
          .enum(FactCategory)
          .optional()
          .describe('What kind of memory: FACT, PREFERENCE, SKILL, RELATIONSHIP or ATTRIBUTE. @default FACT'),
        source: sourceField,
        embedding: z
          .array(z.number())
          .optional()
          .describe(
            'Your own embedding of the content (VECTOR_DIMENSIONS numbers); without it the configured model embeds the content.',
          ),
        embeddingModel: z
          .string()
          .optional()
          .describe('Names the model of your embedding. @default "external"'),
      },
    })),
    (input) =>
      run('remember_fact', 'write', input.entity, async () => {
        const sourceMessageId = input.source !== undefined ? decode(input.source, 'Message', 'source') : null;
        const change = await rememberFact(services, actor, { ...input, sourceMessageId });
        return { kind: change.kind, fact: factJson(change.fact) };
      }),
  );

  server.registerTool(
    'add_triples',
    definition('add_triples', () => ({
      title: 'Add knowledge-graph triples',
      description:
        'Adds subject–predicate–object statements to an entity’s knowledge graph (e.g. Ana works_at Acme). Names and repeated triples are deduplicated; a functional predicate (lives_in...) supersedes the earlier object.',
      inputSchema: {
        entity: entityField.describe('External id of the entity (created on first use).'),
        triples: z
          .array(
            z.object({
              subject: z.string().describe('Subject name (whitespace is collapsed).'),
              predicate: z
                .string()
                .describe('Predicate; normalized to lower snake case ("lives in" is lives_in).'),
              object: z.string().describe('Object name (whitespace is collapsed).'),
              subjectType: z.string().optional().describe('Type of the subject (person, place...).'),
              objectType: z.string().optional().describe('Type of the object (person, place...).'),
            }),
          )
          .describe('The statements; no repeats (at least one; at most MAX_ITEMS_PER_CALL).'),
        source: sourceField,
      },
    })),
    (input) =>
      run('add_triples', 'write', input.entity, async () => {
        const sourceMessageId = input.source !== undefined ? decode(input.source, 'Message', 'source') : null;
        const changes = await addTriples(services, actor, { ...input, sourceMessageId });
        const ids = changes.map((change) => change.triple.id);
        const rows = await services.db.triple.findMany({
          where: { id: { in: ids } },
          include: { subject: true, predicate: true, object: true },
        });
        const byId = new Map(rows.map((row) => [row.id, row]));
        return {
          triples: changes.map((change) => {
            const row = byId.get(change.triple.id);
            return {
              id: globalId('Triple', change.triple.id),
              kind: change.kind,
              subject: row?.subject.name ?? null,
              predicate: row?.predicate.name ?? null,
              object: row?.object.name ?? null,
              mentionCount: change.triple.mentionCount,
            };
          }),
        };
      }),
  );

  const firstField = z
    .number()
    .int()
    .min(1)
    .max(deps.maxPageSize)
    .optional()
    .describe(`How many results, 1 to ${deps.maxPageSize} (MAX_PAGE_SIZE). @default 10`);

  server.registerTool(
    'recall',
    definition('recall', () => ({
      title: 'Recall memories',
      description:
        'An entity’s facts (or messages: `sources`) ranked for a question by meaning, words, mentions, recency and dates, with the score breakdown and the messages each fact came from. Works without an embedding model (words only).',
      annotations: { readOnlyHint: true },
      inputSchema: {
        entity: entityField,
        query: z.string().describe('The question or topic.'),
        first: firstField,
        weights: z
          .object({
            semantic: z.number().min(0).optional().describe('Meaning. @default 0.6'),
            lexical: z.number().min(0).optional().describe('Words (BM25). @default 0.25'),
            mentions: z.number().min(0).optional().describe('How often it was mentioned. @default 0.1'),
            recency: z.number().min(0).optional().describe('How recently it was mentioned. @default 0.05'),
            time: z
              .number()
              .min(0)
              .optional()
              .describe('Said during the periods the question names (only when it names one). @default 0.5'),
            neighbours: z
              .number()
              .min(0)
              .optional()
              .describe('For messages: how much the turns next to it count. @default 0.5'),
          })
          .optional()
          .describe('Relative weights of the signals (normalized to sum to 1).'),
        sources: z
          .array(z.enum(['FACT', 'MESSAGE']))
          .optional()
          .describe(
            'What to search: facts, messages (each with the turn before it) or both. @default ["FACT"]',
          ),
      },
    })),
    (input) =>
      run('recall', 'read', input.entity, async () => {
        const hits = await recall(services, principal, input, deps.maxPageSize);
        const messageJson = (message: { id: number; role: string; content: string; createdAt: Date }) => ({
          id: globalId('Message', message.id),
          role: message.role,
          content: message.content,
          createdAt: message.createdAt.toISOString(),
        });
        return {
          hits: hits.map((hit) => ({
            score: hit.score,
            breakdown: hit.breakdown,
            ...(hit.fact ? { fact: factJson(hit.fact) } : {}),
            ...(hit.message ? { message: messageJson(hit.message) } : {}),
            sources: hit.sources.map(messageJson),
          })),
        };
      }),
  );

  server.registerTool(
    'semantic_search',
    definition('semantic_search', () => ({
      title: 'Search facts by meaning',
      description:
        'An entity’s facts nearest in meaning to a text (embedded with the configured model) or to your own vector, best first. Needs the vector index; text needs an embedding model.',
      annotations: { readOnlyHint: true },
      inputSchema: {
        entity: entityField,
        query: z.string().optional().describe('Text to embed with the configured model (this or `vector`).'),
        vector: z
          .array(z.number())
          .optional()
          .describe('Your own query vector (VECTOR_DIMENSIONS numbers), instead of `query`.'),
        first: firstField,
        threshold: z.number().optional().describe('Lowest cosine similarity returned, -1..1. @default 0.1'),
      },
    })),
    (input) =>
      run('semantic_search', 'read', input.entity, async () => {
        const hits = await semanticFacts(services, principal, input, deps.maxPageSize);
        return { hits: hits.map((hit) => ({ similarity: hit.similarity, fact: factJson(hit.fact) })) };
      }),
  );

  server.registerTool(
    'graph_neighborhood',
    definition('graph_neighborhood', () => ({
      title: 'Explore the knowledge graph',
      description:
        'The names within `depth` hops of a name in an entity’s knowledge graph and the triples between them (nearest first), as they hold now or at `asOf`. `truncated` says a limit cut it.',
      annotations: { readOnlyHint: true },
      inputSchema: {
        entity: entityField,
        of: z.string().max(500).describe('The name at the centre (as stored: spaces collapsed), e.g. "Ana".'),
        depth: z
          .number()
          .int()
          .min(0)
          .max(deps.graph.maxDepth)
          .optional()
          .describe(`Hops from it, 0 to ${deps.graph.maxDepth} (GRAPH_MAX_DEPTH). @default 1`),
        direction: z
          .enum(['OUT', 'IN', 'BOTH'])
          .optional()
          .describe('Which way to follow triples: OUT (subject → object), IN, or BOTH. @default BOTH'),
        predicates: z
          .array(z.string().max(500))
          .optional()
          .describe('Follow only these predicates (lower snake case, e.g. works_at); 1 to 50 of them.'),
        first: z
          .number()
          .int()
          .min(1)
          .max(deps.maxPageSize)
          .optional()
          .describe(`Most names returned, 1 to ${deps.maxPageSize}. @default 50 (capped at MAX_PAGE_SIZE)`),
        asOf: z.iso
          .datetime({ offset: true })
          .optional()
          .describe('The moment to show, ISO 8601 (e.g. 2026-01-01T00:00:00Z); now when absent.'),
      },
    })),
    (input) =>
      run('graph_neighborhood', 'read', input.entity, async () => {
        const problem = graphChecks.predicates(input.predicates);
        if (problem) {
          throw new ValidationError(`predicates: ${problem}`, [{ path: 'predicates', message: problem }]);
        }
        const row = await services.reader.entity.findUnique({
          where: { externalId: input.entity },
          select: { id: true },
        });
        if (!row) throw new NotFoundError('Entity', input.entity);
        const asOf = input.asOf ? new Date(input.asOf) : null;
        const scope = { entityId: row.id, asOf };
        const center = graphName(input.of);
        const found = await graphNeighborhood(services.reader, scope, deps.graph, [center], {
          depth: input.depth ?? 1,
          direction: input.direction ?? 'BOTH',
          predicates: input.predicates,
          first: Math.min(input.first ?? 50, deps.maxPageSize),
        });
        if (
          found.edges.length === 0 &&
          !(await graphNodesExisting(services.reader, scope, [center])).has(center)
        ) {
          throw new NotFoundError('Graph node', center);
        }
        return {
          entity: input.entity,
          asOf: asOf?.toISOString() ?? null,
          center,
          nodes: found.nodes,
          triples: found.edges.map((edge) => ({ ...edge, id: globalId('Triple', edge.id) })),
          truncated: found.truncated,
        };
      }),
  );

  server.registerTool(
    'forget_fact',
    definition('forget_fact', () => ({
      title: 'Forget a fact',
      description:
        'Deletes one fact and its provenance (augmentation will not remember it again from the same messages).',
      annotations: { destructiveHint: true },
      inputSchema: {
        id: z
          .string()
          .describe('Global id of the fact, as remember_fact, recall or semantic_search return it.'),
      },
    })),
    (input) =>
      run('forget_fact', 'write', null, async () => {
        // The service checks the fact's entity against the caller (FORBIDDEN for another's).
        const change = await forgetFact(services, actor, decode(input.id, 'Fact', 'id'));
        return { forgotten: input.id, entity: change.entity };
      }),
  );

  server.registerTool(
    'export_entity',
    definition('export_entity', () => ({
      title: 'Export an entity’s memory',
      description:
        'Everything Engram holds about one entity, as one JSON document (format engram-entity-export, version 1): sessions, conversations and messages, facts with mentions, triples with their periods, jobs. Every export is audited.',
      annotations: { readOnlyHint: true },
      inputSchema: { entity: entityField },
    })),
    (input) =>
      run('export_entity', 'read', input.entity, async () => {
        const document = await exportEntity(services.reader, input.entity);
        // Every export is recorded, whoever asks: it is the whole of someone's memory.
        await recordAuditNow(services, actor, { action: 'exportEntity', entity: input.entity });
        return document as unknown as Record<string, unknown>;
      }),
  );

  return server;
}
