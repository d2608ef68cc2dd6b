import type { IncomingMessage } from 'node:http';

/**
 * The address a request came from: the socket's peer, or behind a trusted reverse proxy the last
 * `X-Forwarded-For` hop (the one the proxy itself added; earlier hops are the client's to forge).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const value = Array.isArray(forwarded) ? forwarded.at(-1) : forwarded;
    const last = value?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
