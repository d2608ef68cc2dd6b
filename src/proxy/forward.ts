import type { Readable } from 'node:stream';
import { Agent, errors, request } from 'undici';
import type { ProxyConfig } from '../config/config.ts';
import type { ProxyError } from './types.ts';

/** The upstream's answer: its status, headers and body, still streaming. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** Response headers worth passing back; hop-by-hop and length/encoding ones are Node's to set. */
const PASSED_BACK =
  /^(content-type|cache-control|retry-after|x-request-id|request-id|openai-.*|anthropic-.*|x-ratelimit-.*)$/i;

export function passedBackHeaders(headers: UpstreamResponse['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && PASSED_BACK.test(name)) out[name] = value;
  }
  return out;
}

/**
 * Calls upstreams with the proxy's timeouts: to connect, for the response headers and between two
 * body chunks (`firstByteTimeoutMs`), and for the whole call (`totalTimeoutMs`, streaming included).
 */
export function createForwarder(config: ProxyConfig) {
  const agent = new Agent({
    connect: { timeout: config.connectTimeoutMs },
    headersTimeout: config.firstByteTimeoutMs,
    bodyTimeout: config.firstByteTimeoutMs,
  });
  const forward = async (
    url: string,
    headers: Record<string, string>,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<UpstreamResponse | ProxyError> => {
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: agent,
        // Identity, so the bytes passed back are the upstream's and the reply can be read for recording.
        headers: { ...headers, 'content-type': 'application/json', 'accept-encoding': 'identity' },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(config.totalTimeoutMs)]),
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      return upstreamFailure(error);
    }
  };
  return { forward, close: () => agent.close() };
}

function upstreamFailure(error: unknown): ProxyError {
  const timedOut =
    error instanceof errors.ConnectTimeoutError ||
    error instanceof errors.HeadersTimeoutError ||
    (error instanceof Error && error.name === 'TimeoutError');
  const reason = error instanceof Error ? error.message : String(error);
  return timedOut
    ? { status: 504, type: 'api_error', message: `the upstream LLM API did not answer in time (${reason})` }
    : { status: 502, type: 'api_error', message: `the upstream LLM API could not be reached (${reason})` };
}
