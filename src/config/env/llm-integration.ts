import { z } from 'zod';
import { booleanish, positiveInt } from './fields.ts';

/** The LLM proxy (`/v1/chat/completions`, `/v1/messages`) and the MCP server. (part of the environment schema in ../environment.ts) */
export const llmIntegrationEnv = {
  /**
   * `on` serves the MCP server (Model Context Protocol, stateless Streamable HTTP) at /mcp, with
   * the same credentials and limits as /graphql, and allows `engram mcp` (stdio); `off` answers
   * 404 at /mcp and `engram mcp` refuses to start. @default on
   */
  MCP: z.enum(['on', 'off']).default('on'),
  /**
   * The credential `engram mcp` (stdio) acts with: an API key of API_KEYS or an entity token, as
   * an Authorization header would carry it (without `Bearer`). Unset: the stdio server is trusted
   * as the other CLI commands are (an administrator, audited as `mcp-stdio`).
   */
  MCP_TOKEN: z.string().min(1).optional(),
  /**
   * Base URL of the OpenAI-compatible upstream the proxy forwards `POST /v1/chat/completions` to,
   * with its version path, as the `openai` client's `baseURL` (`<base>/chat/completions` is
   * called). Unset: that route answers 404. @default unset
   */
  PROXY_OPENAI_BASE_URL: z.url().optional(),
  /** The key the proxy sends upstream as `Authorization: Bearer`. @default unset (none sent) */
  PROXY_OPENAI_API_KEY: z.string().min(1).optional(),
  /**
   * Base URL of the Anthropic upstream, without `/v1`, as the `@anthropic-ai/sdk` client's
   * `baseURL` (`<base>/v1/messages` is called). Unset: `POST /v1/messages` answers 404. @default unset
   */
  PROXY_ANTHROPIC_BASE_URL: z.url().optional(),
  /** The key the proxy sends upstream as `x-api-key`. @default unset (none sent) */
  PROXY_ANTHROPIC_API_KEY: z.string().min(1).optional(),
  /**
   * Callers may bring their own provider key (`X-Provider-Authorization: Bearer <key>` for
   * OpenAI, `x-api-key` for Anthropic), used instead of the configured one. @default false
   */
  PROXY_PASS_THROUGH_KEYS: booleanish.default(false),
  /** What the proxy adds to a request: nothing, recalled facts, or facts and their triples. @default facts */
  PROXY_MEMORY: z.enum(['off', 'facts', 'facts_and_triples']).default('facts'),
  /** Most facts (and triples) recalled into one request. @default 8 */
  PROXY_MEMORY_TOP_K: positiveInt(8),
  /** Budget of the injected memory block, in tokens (counted as characters / 4). @default 1000 */
  PROXY_MEMORY_MAX_TOKENS: positiveInt(1000),
  /** Longest wait for the upstream's TCP/TLS connection. @default 10000 */
  PROXY_CONNECT_TIMEOUT_MS: positiveInt(10_000),
  /** Longest wait for the upstream's response headers, and between two chunks of its body. @default 120000 */
  PROXY_FIRST_BYTE_TIMEOUT_MS: positiveInt(120_000),
  /** Longest a whole upstream call may take, streaming included. @default 600000 */
  PROXY_TOTAL_TIMEOUT_MS: positiveInt(600_000),
  /** The process a proxied call is recorded under when no `X-Engram-Process` is sent. @default proxy */
  PROXY_DEFAULT_PROCESS: z.string().trim().min(1).max(256).default('proxy'),
};
