import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { pino } from 'pino';
import { createPrincipalResolver } from '../auth/api-keys.ts';
import { createEntityTokens } from '../auth/entity-tokens.ts';
import type { Principal } from '../auth/principal.ts';
import { createEngram } from '../engram.ts';
import { createMcpServer } from '../mcp/tools.ts';
import { loadConfigOrExit, onShutdownSignal } from './load-config.ts';

/** The stdio server's caller without MCP_TOKEN: whoever may start the process, like any CLI command. */
const STDIO_ADMIN: Principal = { kind: 'key', role: 'admin', name: 'mcp-stdio' };

/**
 * `engram mcp`: the MCP server over stdio, for a client that starts it as a child process (Claude
 * Desktop, an IDE). Stdout carries the protocol and nothing else: logs go to stderr. The process
 * serves as `engram serve` does (index, model, augmentation) without HTTP, and ends when the
 * client closes stdin or on SIGINT/SIGTERM.
 */
export async function mcp(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.mcp) {
    process.stderr.write('MCP=off: the MCP server is turned off\n');
    process.exit(1);
  }
  const logger = pino(
    { level: config.log.level, base: { service: 'engram', component: 'mcp-stdio' } },
    pino.destination({ fd: 2, sync: true }),
  );
  let principal = STDIO_ADMIN;
  if (config.mcp.stdioToken) {
    // Checked before the database opens, so a wrong token fails at once.
    const tokens = createEntityTokens(config.access.entityTokens, config.access.identityProvider);
    const resolve = createPrincipalResolver({ apiKeys: config.access.apiKeys, tokens });
    try {
      principal = await resolve(`Bearer ${config.mcp.stdioToken}`);
    } catch (error) {
      process.stderr.write(`MCP_TOKEN is not accepted: ${error instanceof Error ? error.message : error}\n`);
      process.exit(1);
    }
  }
  const engram = await createEngram(config, { role: 'serve', logger });
  const server = createMcpServer(
    {
      services: engram.services,
      graph: config.graph,
      maxPageSize: config.graphql.maxPageSize,
      auditReads: config.access.auditReads,
      logger,
    },
    { principal, address: null },
  );
  await engram.start();
  // One message may be as large as an HTTP request body may be.
  const transport = new StdioServerTransport(process.stdin, process.stdout, {
    maxBufferSize: config.http.maxRequestBytes,
  });
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await server.close();
      await engram.stop();
    })();
    return stopping;
  };
  await server.connect(transport);
  logger.info(
    { principal: principal.kind === 'key' ? principal.name : 'entity token' },
    'MCP server on stdio',
  );
  const exit = () =>
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  // The client closing stdin ends the session, and so does the transport giving up (a message
  // over MAX_REQUEST_BYTES closes it): the process does not linger without a client.
  process.stdin.once('end', () => void exit());
  server.server.onclose = () => void exit();
  onShutdownSignal(stop);
}
