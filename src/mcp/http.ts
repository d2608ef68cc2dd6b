import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Principal } from '../auth/principal.ts';
import { clientAddress } from '../http/client-address.ts';
import { createMcpServer, type McpToolDeps } from './tools.ts';

/** What {@link createMcpHandler} needs. */
export interface McpHandlerOptions extends McpToolDeps {
  resolvePrincipal: (authorization: string | undefined) => Promise<Principal>;
  /** Believe X-Forwarded-For for the audited address (TRUST_PROXY). @default false */
  trustProxy: boolean;
}

/** A JSON-RPC error with no request id, as the transport itself answers. */
function rpcError(res: ServerResponse, status: number, code: number, message: string, headers = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * POST /mcp: the MCP server over stateless Streamable HTTP. The request has been admitted already
 * (src/http/admission.ts: path, Host and Origin, rate limits, the API key or entity token when keys
 * are configured, the body read whole up to MAX_REQUEST_BYTES), so this builds a server and a
 * transport for this one request and its caller, and answers in JSON. Stateless: no session, so
 * no GET stream and no DELETE (405), and any replica can answer any request.
 */
export function createMcpHandler(options: McpHandlerOptions) {
  return async (req: IncomingMessage & { body?: Buffer }, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      rpcError(res, 405, -32000, 'Method not allowed: this MCP server is stateless; POST JSON-RPC messages', {
        allow: 'POST',
      });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8'));
    } catch {
      rpcError(res, 400, -32700, 'Parse error: the body is not JSON');
      return;
    }
    let principal: Principal;
    try {
      principal = await options.resolvePrincipal(req.headers.authorization);
    } catch (error) {
      // Development mode admits callers without a key; a token that fails is still refused.
      rpcError(res, 401, -32001, error instanceof Error ? error.message : 'unauthenticated', {
        'www-authenticate': 'Bearer',
      });
      return;
    }
    const server = createMcpServer(options, { principal, address: clientAddress(req, options.trustProxy) });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.once('close', () => {
      void transport.close();
      void server.close();
    });
    // The admission read the body: the SDK's HTTP adapter takes it from `rawBody` instead of the spent stream.
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = req.body;
    await server.connect(transport);
    await transport.handleRequest(req, res, message);
  };
}
