import { context, propagation, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { PrismaInstrumentation } from '@prisma/instrumentation';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP (JSON) when an endpoint is configured, off
 * otherwise (nothing is registered and the API's no-op tracer costs nothing). Spans: the HTTP
 * request (src/app.ts), the GraphQL phases (@envelop/opentelemetry, src/http/graphql-tracing.ts),
 * Prisma's operations and SQL statements (@prisma/instrumentation), embedding and LLM calls
 * (./instrument.ts). Variables, results and message contents are never put in a span.
 */

/** What {@link startTracing} needs (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME). */
export interface TracingOptions {
  /** The collector's base URL; spans go to `<endpoint>/v1/traces`, as the OTLP specification says. */
  endpoint: string;
  /** Headers sent with every export (a collector's API key). @default none */
  headers: Record<string, string>;
  /** `service.name` of every span. @default engram */
  serviceName: string;
}

export interface Tracing {
  provider: TracerProvider;
  tracer: Tracer;
  /** Sends the spans still buffered (tests, and before exit). */
  flush(): Promise<void>;
  /** Flushes, then unregisters the global provider so another Engram in this process may register. */
  shutdown(): Promise<void>;
}

/** The traces URL of an OTLP base endpoint. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Registers the tracer provider globally (the API's context, propagation and tracer), so every
 * library that traces through @opentelemetry/api (Prisma, envelop) reports to it, and incoming
 * `traceparent` headers continue the caller's trace.
 */
export function startTracing(options: TracingOptions): Tracing {
  const exporter = new OTLPTraceExporter({ url: tracesUrl(options.endpoint), headers: options.headers });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const prisma = new PrismaInstrumentation();
  prisma.setTracerProvider(provider);
  prisma.enable();
  let stopped: Promise<void> | null = null;
  return {
    provider,
    tracer: provider.getTracer('engram'),
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        prisma.disable();
        await provider.shutdown();
        trace.disable();
        context.disable();
        propagation.disable();
      })();
      return stopped;
    },
  };
}
