import { useOpenTelemetry } from '@envelop/opentelemetry';
import {
  createCounter,
  createHistogram,
  type FillLabelsFnParams,
  usePrometheus,
} from '@graphql-yoga/plugin-prometheus';
import { SpanKind, type TracerProvider } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { EngramMetrics } from '../observability/metrics.ts';

/**
 * GraphQL's metrics and spans, through graphql-yoga's Prometheus plugin and envelop's
 * OpenTelemetry plugin. Every metric is labelled by operation type and name only: names are
 * chosen by clients, so the first `maxOperationNames` distinct ones get a label and later ones
 * count as `other` (an unauthenticated caller never gets this far when API keys are set). No URL,
 * path, variable or entity reaches a label or a span.
 */

/** Label values for operation names: the first `max` distinct names, then `other`. */
export function boundedNames(max: number): (name: string | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= max || name.length > 100) return 'other';
    seen.add(name);
    return name;
  };
}

/** An error's code as a label: the codes Engram and yoga set, or a bounded fallback. */
function errorCode(error: unknown, phase: string | undefined): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return code;
  if (phase === 'parse') return 'GRAPHQL_PARSE_FAILED';
  if (phase === 'validate') return 'GRAPHQL_VALIDATION_FAILED';
  return 'INTERNAL_SERVER_ERROR';
}

/** Seconds: a cached parse takes microseconds, a heavy query up to REQUEST_TIMEOUT_MS. */
const PHASE_BUCKETS = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function useGraphqlMetrics(metrics: EngramMetrics): Plugin {
  const { registry } = metrics;
  const nameOf = boundedNames(metrics.options.maxOperationNames);
  const operationLabels = (params: FillLabelsFnParams) => ({
    operationType: params.operationType ?? 'unknown',
    operationName: nameOf(params.operationName),
  });
  const labelNames = ['operationType', 'operationName'] as const;
  const phase = <Phase>(name: string, help: string) =>
    createHistogram<Phase, (typeof labelNames)[number]>({
      registry,
      histogram: { name, help, labelNames, buckets: PHASE_BUCKETS },
      fillLabelsFn: operationLabels,
    });
  return usePrometheus({
    registry,
    // Served by src/http/metrics-endpoint.ts, behind the same access rules as /health's details.
    endpoint: false,
    labels: { url: false, path: false, fieldName: false, typeName: false, returnType: false },
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_request',
          help: 'GraphQL operations executed (subscriptions included)',
          labelNames,
        },
        fillLabelsFn: operationLabels,
      }),
      graphql_envelop_request_duration: phase(
        'graphql_envelop_request_duration',
        'Time from parsing to the result of a GraphQL operation',
      ),
      graphql_envelop_phase_parse: phase(
        'graphql_envelop_phase_parse',
        'Time spent parsing (cached documents included)',
      ),
      graphql_envelop_phase_validate: phase('graphql_envelop_phase_validate', 'Time spent validating'),
      graphql_envelop_phase_context: phase(
        'graphql_envelop_phase_context',
        'Time spent building the context (the caller)',
      ),
      graphql_envelop_phase_execute: phase('graphql_envelop_phase_execute', 'Time spent executing'),
      graphql_envelop_phase_subscribe: phase(
        'graphql_envelop_phase_subscribe',
        'Time spent starting a subscription',
      ),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'Errors in GraphQL results, by phase and code',
          labelNames: [...labelNames, 'phase', 'code'],
        },
        fillLabelsFn: (params) => ({
          ...operationLabels(params),
          phase: params.errorPhase ?? 'unknown',
          code: errorCode(params.error, params.errorPhase),
        }),
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'Time to answer a GraphQL request over HTTP, by operation, method and status',
          labelNames: [...labelNames, 'method', 'statusCode'],
          buckets: PHASE_BUCKETS,
        },
        fillLabelsFn: (params, { request, response }: { request: Request; response: Response }) => ({
          ...operationLabels(params),
          method: request.method,
          statusCode: response.status,
        }),
      }),
      // The summary repeats the request histogram at a cost per request; the schema is static and
      // deprecated fields are few (a schema test lists them): these would measure nothing new.
      graphql_envelop_request_time_summary: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_execute_resolver: false,
    },
  });
}

/**
 * One span per operation (`query.EntityPage`, `mutation.rememberFact`...), a child of the HTTP
 * request's span, with Prisma's spans below it. Documents, variables and results stay out: they
 * carry memory.
 */
export function useGraphqlTracing(provider: TracerProvider): Plugin {
  return useOpenTelemetry(
    { document: false, variables: false, result: false, resolvers: false },
    provider,
    SpanKind.INTERNAL,
    {},
    'engram-graphql',
  ) as Plugin;
}
