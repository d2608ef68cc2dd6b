import { z } from 'zod';
import { positiveInt } from './fields.ts';

/** Prometheus metrics and OpenTelemetry traces. (part of the environment schema in ../environment.ts) */
export const observabilityEnv = {
  /** `on` serves Prometheus metrics at /metrics; `off` measures nothing and answers 404 there. @default on */
  METRICS: z.enum(['on', 'off']).default('on'),
  /**
   * A bearer token that may read /metrics besides admin API keys (give it to the scraper instead
   * of a key that can read memory), at least 16 characters. Unset: admin keys only.
   */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Longest a scrape waits for a figure read from the database or the index (queue depth, lags). @default 2000 */
  METRICS_COLLECT_TIMEOUT_MS: positiveInt(2000),
  /** GraphQL operation names given a metrics label of their own; later ones count as `other`. @default 100 */
  METRICS_MAX_OPERATION_NAMES: positiveInt(100),
  /**
   * An OpenTelemetry collector's OTLP/HTTP base URL (spans go to `<url>/v1/traces`); unset
   * leaves tracing off.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** Headers sent with every export, `name=value` pairs, comma-separated (values URL-encoded). */
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const headers: Record<string, string> = {};
      for (const pair of (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)) {
        const at = pair.indexOf('=');
        const name = pair.slice(0, at).trim();
        if (at <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
          ctx.addIssue({ code: 'custom', message: `"${pair}" is not name=value` });
          continue;
        }
        try {
          headers[name] = decodeURIComponent(pair.slice(at + 1).trim());
        } catch {
          ctx.addIssue({ code: 'custom', message: `the value of ${name} is not URL-encoded` });
        }
      }
      return headers;
    }),
  /** The `service.name` of Engram's spans. @default engram */
  OTEL_SERVICE_NAME: z.string().min(1).default('engram'),
};
