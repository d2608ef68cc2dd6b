import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';

/** The routes Engram serves, as span names and `http.route`: never the raw URL, whose query may carry anything. */
function routeOf(url: string | undefined): string {
  const path = url?.split('?')[0] ?? '';
  if (path === '/graphql' || path === '/health' || path === '/ready' || path === '/metrics') return path;
  if (path.startsWith('/explorer')) return '/explorer';
  return 'other';
}

/**
 * Runs the request's handling inside a server span (`POST /graphql`), continuing the caller's trace
 * when it sends `traceparent`, so the GraphQL operation's and Prisma's spans become its children.
 * The span ends when the response is closed, finished or not.
 */
export function traceRequest(
  tracer: Tracer,
  req: IncomingMessage,
  res: ServerResponse,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  const parent = propagation.extract(context.active(), req.headers);
  const route = routeOf(req.url);
  const method = req.method ?? 'GET';
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route } },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), () => handle(req, res));
}
