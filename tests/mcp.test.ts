import { type ChildProcess, spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../src/mcp/tools.ts';
import { createTestDatabase, rawQuery, type TestDatabase } from './helpers/database.ts';
import { cliEnv, killSpawned, spawnEngram } from './helpers/engram-process.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * The MCP server through the SDK's own client, over both transports: stdio against a real
 * `engram mcp` process, and stateless Streamable HTTP at /mcp of a real server with API keys and
 * entity tokens (production mode). Every tool is called; bad input, other entities and missing
 * credentials get typed refusals.
 */

const TOOLS = [
  'add_triples',
  'export_entity',
  'forget_fact',
  'graph_neighborhood',
  'recall',
  'record_conversation',
  'remember_fact',
  'semantic_search',
];
const SECRET = 'entity-token-secret-for-the-tests-0123456789';

// biome-ignore lint/suspicious/noExplicitAny: tool answers are JSON of many shapes, read by the assertions
type Json = any;

/** A tool's input schema as the server lists it (JSON Schema), as far as the tests read it. */
interface JsonSchema {
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

/** The structured answer of a call that must succeed. */
function data(result: unknown): Record<string, Json> {
  const call = result as CallToolResult;
  if (call.isError) throw new Error(`tool error: ${JSON.stringify(call.content)}`);
  const text = (call.content[0] as { text: string }).text;
  // Text and structured content say the same thing, for clients that read either.
  expect(JSON.parse(text)).toEqual(call.structuredContent);
  return call.structuredContent as Record<string, Json>;
}

/** The code of a call that must fail as a tool error (not a protocol error, not a crash). */
function errorCode(result: unknown): string {
  const call = result as CallToolResult;
  expect(call.isError).toBe(true);
  const parsed = JSON.parse((call.content[0] as { text: string }).text) as { error: { code: string } };
  return parsed.error.code;
}

/** Every property of a JSON schema, nested ones too, with its path. */
function properties(schema: JsonSchema, path = ''): [string, JsonSchema][] {
  const found: [string, JsonSchema][] = [];
  for (const [name, value] of Object.entries(schema.properties ?? {})) {
    found.push([`${path}${name}`, value]);
    found.push(...properties(value, `${path}${name}.`));
    if (value.items) found.push(...properties(value.items, `${path}${name}[].`));
  }
  return found;
}

describe('MCP over stdio (engram mcp)', () => {
  let database: TestDatabase;
  let client: Client;
  const protocolErrors: Error[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'src/index.ts', 'mcp'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...cliEnv(database.url),
        // Logs at info: were any of them written to stdout, the client would fail to parse them.
        LOG_LEVEL: 'info',
        VECTOR_INDEX: 'on',
        VECTOR_INDEX_PATH: 'memory',
        AUGMENTATION: 'off',
      },
      stderr: 'pipe',
    });
    client = new Client({ name: 'engram-test', version: '1.0.0' });
    client.onerror = (error) => protocolErrors.push(error);
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    await database?.drop();
  });

  it('lists the tools, every field described', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(20);
      const fields = properties(tool.inputSchema as JsonSchema);
      expect(fields.length).toBeGreaterThan(0);
      for (const [path, field] of fields) {
        if (!path.endsWith('[]')) expect(field.description, `${tool.name}.${path}`).toBeTruthy();
      }
    }
  });

  it('records, remembers, recalls, explores, exports and forgets, audited as mcp-stdio', async () => {
    const recorded = data(
      await client.callTool({
        name: 'record_conversation',
        arguments: {
          entity: 'u-1',
          process: 'assistant',
          messages: [
            { role: 'USER', content: 'I moved to Lisbon last year.' },
            { role: 'ASSISTANT', content: 'Nice, Lisbon is lovely.' },
          ],
        },
      }),
    );
    expect(recorded.messages).toHaveLength(2);
    expect(recorded.replayed).toBe(false);

    const remembered = data(
      await client.callTool({
        name: 'remember_fact',
        arguments: { entity: 'u-1', content: 'Lives in Lisbon', source: recorded.messages[0].id },
      }),
    );
    expect(remembered).toMatchObject({
      kind: 'CREATED',
      fact: { content: 'Lives in Lisbon', mentionCount: 1 },
    });

    // The index builds in the background after start: INDEX_NOT_READY until then, which says retry.
    let recall = await client.callTool({ name: 'recall', arguments: { entity: 'u-1', query: 'Lisbon' } });
    for (let tries = 0; recall.isError && errorCode(recall) === 'INDEX_NOT_READY' && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      recall = await client.callTool({ name: 'recall', arguments: { entity: 'u-1', query: 'Lisbon' } });
    }
    const recalled = data(recall);
    expect(recalled.hits[0].fact.id).toBe(remembered.fact.id);
    expect(recalled.hits[0].sources[0].id).toBe(recorded.messages[0].id);

    const added = data(
      await client.callTool({
        name: 'add_triples',
        arguments: { entity: 'u-1', triples: [{ subject: 'Ana', predicate: 'works at', object: 'Acme' }] },
      }),
    );
    expect(added.triples[0]).toMatchObject({ subject: 'Ana', predicate: 'works_at', object: 'Acme' });
    const around = data(
      await client.callTool({ name: 'graph_neighborhood', arguments: { entity: 'u-1', of: 'Acme' } }),
    );
    expect(around.nodes.map((node: { name: string }) => node.name).sort()).toEqual(['Acme', 'Ana']);

    const exported = data(await client.callTool({ name: 'export_entity', arguments: { entity: 'u-1' } }));
    expect(exported).toMatchObject({ format: 'engram-entity-export', entity: { externalId: 'u-1' } });
    expect(exported.facts).toHaveLength(1);

    const forgotten = data(
      await client.callTool({ name: 'forget_fact', arguments: { id: remembered.fact.id } }),
    );
    expect(forgotten).toEqual({ forgotten: remembered.fact.id, entity: 'u-1' });
    expect(
      errorCode(await client.callTool({ name: 'forget_fact', arguments: { id: remembered.fact.id } })),
    ).toBe('NOT_FOUND');

    const audit = await rawQuery<{ actor: string; action: string }>(
      database,
      'SELECT actor, action FROM audit_entry ORDER BY id',
    );
    expect(audit.map((row) => [row.actor, row.action])).toEqual([
      ['mcp-stdio', 'recordConversation'],
      ['mcp-stdio', 'rememberFact'],
      ['mcp-stdio', 'addTriples'],
      ['mcp-stdio', 'exportEntity'],
      ['mcp-stdio', 'forgetFact'],
    ]);
  });

  it('answers bad input with typed errors and keeps serving', async () => {
    // The SDK's own schema check: a number where a string belongs, a missing field.
    expect(errorCode(await client.callTool({ name: 'remember_fact', arguments: { entity: 5 } }))).toBe(
      'BAD_USER_INPUT',
    );
    // The service's rules: empty content, a malformed id, no such node, no such tool.
    expect(
      errorCode(
        await client.callTool({ name: 'remember_fact', arguments: { entity: 'u-1', content: '  ' } }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(errorCode(await client.callTool({ name: 'forget_fact', arguments: { id: 'nope' } }))).toBe(
      'INVALID_ID',
    );
    expect(
      errorCode(
        await client.callTool({ name: 'graph_neighborhood', arguments: { entity: 'u-1', of: 'Nobody' } }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      errorCode(
        await client.callTool({
          name: 'graph_neighborhood',
          arguments: { entity: 'u-1', of: 'Ana', depth: 99 },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(errorCode(await client.callTool({ name: 'no_such_tool', arguments: {} }))).toBe('NOT_FOUND');
    // Without an embedding model, text cannot be searched by meaning: said, not crashed.
    expect(
      errorCode(
        await client.callTool({ name: 'semantic_search', arguments: { entity: 'u-1', query: 'city' } }),
      ),
    ).toMatch(/^EMBEDDING_/);
    expect((await client.listTools()).tools).toHaveLength(TOOLS.length);
    expect(protocolErrors).toEqual([]);
  });
});

describe('engram mcp with MCP_TOKEN', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await killSpawned();
    await database?.drop();
  });
  const env = (token: string) => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...cliEnv(database.url),
    AUGMENTATION: 'off',
    API_KEYS: 'admin-key, read:reader-key',
    MCP_TOKEN: token,
  });

  it('acts as the key it names: a read key writes nothing', async () => {
    const client = new Client({ name: 'engram-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--import', 'tsx', 'src/index.ts', 'mcp'],
        env: env('reader-key'),
        stderr: 'pipe',
      }),
    );
    try {
      expect(
        errorCode(
          await client.callTool({ name: 'remember_fact', arguments: { entity: 'u-1', content: 'x' } }),
        ),
      ).toBe('FORBIDDEN');
      expect(errorCode(await client.callTool({ name: 'export_entity', arguments: { entity: 'u-1' } }))).toBe(
        'NOT_FOUND',
      );
    } finally {
      await client.close();
    }
  });

  it('ends on a message over MAX_REQUEST_BYTES instead of buffering it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts', 'mcp'], {
      env: { ...env('admin-key'), MAX_REQUEST_BYTES: '10000' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // No newline: a line that never ends is what a buffer limit is for.
    child.stdin.write('x'.repeat(20_000));
    expect(await exited).toBe(0);
    expect(stdout).toBe('');
  });

  it('refuses to start with a token that is not accepted', async () => {
    const run = spawnEngram(['mcp'], env('not-a-key'));
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(/MCP_TOKEN is not accepted/);
    expect(run.output().stdout).toBe('');
  });
});

describe('MCP over Streamable HTTP (/mcp)', () => {
  let server: TestServer;
  let base: string;
  const clients: Client[] = [];

  const connect = async (credential?: string): Promise<Client> => {
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: credential ? { headers: { authorization: `Bearer ${credential}` } } : {},
    });
    const client = new Client({ name: 'engram-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  const token = async (entity: string, scopes: ('READ' | 'WRITE')[]) =>
    (await server.engram.tokens.issue(entity, 600, scopes)).token;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        NODE_ENV: 'production',
        API_KEYS: 'admin-key, read:reader-key',
        ENTITY_TOKEN_SECRET: SECRET,
        VECTOR_DIMENSIONS: '4',
        MAX_REQUEST_BYTES: '65536',
      },
    });
    base = server.url.replace(/\/graphql$/, '');
  });

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await server?.close();
  });

  it('refuses callers without valid credentials with 401', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    };
    for (const headers of [{}, { authorization: 'Bearer wrong-key' }] as Record<string, string>[]) {
      const response = await fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(initialize),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    // The SDK's client sees the refusal too (StreamableHTTPError carries the status).
    await expect(connect()).rejects.toMatchObject({ code: 401 });
  });

  it('lists the tools and runs each of them for an admin key, with vectors', async () => {
    const client = await connect('admin-key');
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    const recorded = data(
      await client.callTool({
        name: 'record_conversation',
        arguments: {
          entity: 'h-1',
          process: 'app',
          messages: [{ role: 'USER', content: 'I play the cello.' }],
        },
      }),
    );
    const cello = data(
      await client.callTool({
        name: 'remember_fact',
        arguments: {
          entity: 'h-1',
          content: 'Plays the cello',
          category: 'SKILL',
          embedding: [1, 0, 0, 0],
          source: recorded.messages[0].id,
        },
      }),
    );
    data(
      await client.callTool({
        name: 'remember_fact',
        arguments: {
          entity: 'h-1',
          content: 'Dislikes olives',
          category: 'PREFERENCE',
          embedding: [0, 0, 1, 0],
        },
      }),
    );
    const found = data(
      await client.callTool({
        name: 'semantic_search',
        arguments: { entity: 'h-1', vector: [0.9, 0.1, 0, 0], first: 1 },
      }),
    );
    expect(found.hits).toHaveLength(1);
    expect(found.hits[0].fact.id).toBe(cello.fact.id);
    expect(found.hits[0].similarity).toBeGreaterThan(0.9);
    const recalled = data(
      await client.callTool({ name: 'recall', arguments: { entity: 'h-1', query: 'cello' } }),
    );
    expect(recalled.hits[0].fact.content).toBe('Plays the cello');

    data(
      await client.callTool({
        name: 'add_triples',
        arguments: {
          entity: 'h-1',
          triples: [
            { subject: 'Ana', predicate: 'works_at', object: 'Acme' },
            { subject: 'Acme', predicate: 'based_in', object: 'Lisbon' },
          ],
        },
      }),
    );
    const two = data(
      await client.callTool({
        name: 'graph_neighborhood',
        arguments: { entity: 'h-1', of: 'Ana', depth: 2 },
      }),
    );
    expect(two.nodes).toEqual([
      { name: 'Ana', distance: 0 },
      { name: 'Acme', distance: 1 },
      { name: 'Lisbon', distance: 2 },
    ]);
    expect(two.triples).toHaveLength(2);
    const exported = data(await client.callTool({ name: 'export_entity', arguments: { entity: 'h-1' } }));
    expect(exported.facts).toHaveLength(2);
    data(await client.callTool({ name: 'forget_fact', arguments: { id: cello.fact.id } }));
    expect(errorCode(await client.callTool({ name: 'export_entity', arguments: { entity: 'nobody' } }))).toBe(
      'NOT_FOUND',
    );

    const audit = await server.db.auditEntry.findMany({
      where: { entityExternalId: 'h-1' },
      orderBy: { id: 'asc' },
      select: { actor: true, action: true, address: true },
    });
    expect(audit.map((row) => row.action)).toEqual([
      'recordConversation',
      'rememberFact',
      'rememberFact',
      'addTriples',
      'exportEntity',
      'forgetFact',
    ]);
    expect(new Set(audit.map((row) => row.actor))).toEqual(new Set(['api-key-1']));
    expect(audit[0]?.address).toBeTruthy();
  });

  it('limits an entity token to its entity, and applies READ and WRITE', async () => {
    const admin = await connect('admin-key');
    const other = data(
      await admin.callTool({ name: 'remember_fact', arguments: { entity: 'e-2', content: 'Secret of e-2' } }),
    );
    const own = await connect(await token('e-1', ['READ', 'WRITE']));
    const mine = data(
      await own.callTool({ name: 'remember_fact', arguments: { entity: 'e-1', content: 'Mine' } }),
    );
    expect(mine.kind).toBe('CREATED');
    data(await own.callTool({ name: 'recall', arguments: { entity: 'e-1', query: 'mine' } }));
    const calls: [string, Record<string, unknown>][] = [
      ['record_conversation', { entity: 'e-2', process: 'p', messages: [{ role: 'USER', content: 'hi' }] }],
      ['remember_fact', { entity: 'e-2', content: 'planted' }],
      ['add_triples', { entity: 'e-2', triples: [{ subject: 'a', predicate: 'b', object: 'c' }] }],
      ['recall', { entity: 'e-2', query: 'secret' }],
      ['semantic_search', { entity: 'e-2', vector: [1, 0, 0, 0] }],
      ['graph_neighborhood', { entity: 'e-2', of: 'a' }],
      ['forget_fact', { id: other.fact.id }],
      ['export_entity', { entity: 'e-2' }],
    ];
    expect(calls.map(([name]) => name).sort()).toEqual(TOOLS);
    for (const [name, args] of calls) {
      expect(errorCode(await own.callTool({ name, arguments: args })), name).toBe('FORBIDDEN');
    }
    // Nothing of e-2 was touched.
    expect(await server.db.entityFact.count({ where: { entity: { externalId: 'e-2' } } })).toBe(1);

    const readOnly = await connect(await token('e-1', ['READ']));
    expect(
      errorCode(
        await readOnly.callTool({ name: 'remember_fact', arguments: { entity: 'e-1', content: 'x' } }),
      ),
    ).toBe('FORBIDDEN');
    data(await readOnly.callTool({ name: 'export_entity', arguments: { entity: 'e-1' } }));
    const writeOnly = await connect(await token('e-1', ['WRITE']));
    expect(
      errorCode(await writeOnly.callTool({ name: 'recall', arguments: { entity: 'e-1', query: 'x' } })),
    ).toBe('FORBIDDEN');
    const reader = await connect('reader-key');
    expect(errorCode(await reader.callTool({ name: 'forget_fact', arguments: { id: mine.fact.id } }))).toBe(
      'FORBIDDEN',
    );
    data(await reader.callTool({ name: 'recall', arguments: { entity: 'e-1', query: 'mine' } }));
    const audit = await server.db.auditEntry.findFirst({
      where: { action: 'rememberFact', entityExternalId: 'e-1' },
    });
    expect(audit).toMatchObject({ actorKind: 'ENTITY', actor: 'e-1' });
  });

  it('refuses every tool once an entity token has expired (a stdio session outlives it)', async () => {
    const server2 = createMcpServer(
      {
        services: server.engram.services,
        graph: server.config.graph,
        maxPageSize: server.config.graphql.maxPageSize,
        auditReads: false,
        logger: server.engram.logger,
      },
      {
        principal: {
          kind: 'entity',
          entityExternalId: 'e-1',
          scopes: ['READ', 'WRITE'],
          expiresAt: new Date(Date.now() - 1000),
          issuer: 'engram',
        },
        address: null,
      },
    );
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    await server2.connect(serverSide);
    const client = new Client({ name: 'engram-test', version: '1.0.0' });
    await client.connect(clientSide);
    clients.push(client);
    expect(errorCode(await client.callTool({ name: 'export_entity', arguments: { entity: 'e-1' } }))).toBe(
      'TOKEN_EXPIRED',
    );
  });

  it('keeps the limits of /graphql: body size and method', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'remember_fact', arguments: { entity: 'h-1', content: 'x'.repeat(70_000) } },
    });
    const tooLarge = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer admin-key',
      },
      body: big,
    });
    expect(tooLarge.status).toBe(413);
    const get = await fetch(`${base}/mcp`, { headers: { authorization: 'Bearer admin-key' } });
    expect(get.status).toBe(405);
    const notJson = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer admin-key' },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
  });

  it('counts MCP requests against the key’s rate limit, as /graphql does', async () => {
    const limited = await startTestServer({ env: { API_KEYS: 'admin-key', RATE_LIMIT_PER_KEY: '3' } });
    try {
      const list = () =>
        fetch(limited.url.replace(/\/graphql$/, '/mcp'), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            authorization: 'Bearer admin-key',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
      const first = await list();
      expect(first.status).toBe(200);
      expect(((await first.json()) as { result: { tools: unknown[] } }).result.tools).toHaveLength(
        TOOLS.length,
      );
      // One /graphql request shares the budget with /mcp.
      expect(
        (await limited.request(parse('{ __typename }'), {}, { authorization: 'Bearer admin-key' })).data,
      ).toEqual({
        __typename: 'Query',
      });
      expect((await list()).status).toBe(200);
      expect((await list()).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('is not served with MCP=off', async () => {
    const off = await startTestServer({ env: { MCP: 'off' } });
    try {
      const response = await fetch(off.url.replace(/\/graphql$/, '/mcp'), { method: 'POST', body: '{}' });
      expect(response.status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
