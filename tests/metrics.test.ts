import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AugmentationJobsDocument,
  EntityPageDocument,
  FactChangedForDocument,
  RecordConversationDocument,
  RememberFactDocument,
} from '../client-codegen/generated/graphql.ts';
import { uniqueId } from './helpers/seed.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';
import { wordHashEmbedder } from './helpers/vectors.ts';

/**
 * /metrics and OpenTelemetry traces against a real server: traffic of every kind moves the
 * counters it should, the figures name no entity, and only an admin key or METRICS_TOKEN reads
 * them in production. Traces go to a real OTLP/HTTP receiver on localhost.
 */

const ADMIN = 'metrics-admin-key';
const SERVICE = 'metrics-service-key';
const TOKEN = 'metrics-token-0123456789';
const as = (key: string) => ({ authorization: `Bearer ${key}` });

/** One sample line of the text format: name{labels} value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (what a scraper reads). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name as string] = (value as string).replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with this name whose labels include `labels` (0 when absent). */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

async function scrape(server: TestServer, headers: Record<string, string> = as(TOKEN)) {
  const response = await fetch(server.url.replace('/graphql', '/metrics'), { headers });
  return { response, text: response.status === 200 ? await response.text() : '' };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('metrics', () => {
  let server: TestServer;
  const entity = uniqueId('metrics-entity');

  beforeAll(async () => {
    server = await startTestServer({
      embedder: wordHashEmbedder(),
      env: {
        NODE_ENV: 'production',
        API_KEYS: `${ADMIN}, service:${SERVICE}`,
        METRICS_TOKEN: TOKEN,
        AUGMENTATION: 'on',
        AUGMENTATION_EXTRACTOR: 'local',
      },
    });
  });
  afterAll(() => server?.close());

  it('refuses a scrape without an admin key or the metrics token in production', async () => {
    const anonymous = await scrape(server, {});
    expect(anonymous.response.status).toBe(401);
    expect(await anonymous.response.json()).toMatchObject({
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect((await scrape(server, as('not-the-token-at-all'))).response.status).toBe(401);
    const service = await scrape(server, as(SERVICE));
    expect(service.response.status).toBe(403);
    expect(await service.response.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    const admin = await scrape(server, as(ADMIN));
    expect(admin.response.status).toBe(200);
    expect(admin.response.headers.get('content-type')).toContain('text/plain');
    expect((await scrape(server, as(TOKEN))).response.status).toBe(200);
  });

  it('counts queries, mutations, errors, subscriptions, SQL, embeddings and augmentation', async () => {
    const before = parseMetrics((await scrape(server)).text);

    // A subscriber, so the mutation's event is delivered.
    const client = server.wsClient(as(SERVICE));
    const live = collect(server, client, FactChangedForDocument, { entity }, 1);
    await live.ready;
    // The gauge moves as the server subscribes, which can come just after the client hears `ready`.
    let subscribed = parseMetrics((await scrape(server)).text);
    await waitFor(async () => {
      subscribed = parseMetrics((await scrape(server)).text);
      return sampleValue(subscribed, 'engram_subscribers', { topic: 'fact-changed' }) === 1;
    });
    expect(sampleValue(subscribed, 'engram_subscribers', { topic: 'fact-changed' })).toBe(1);

    const remembered = await server.request(
      RememberFactDocument,
      { input: { entity, content: 'Lives in Lisbon', category: 'FACT' } },
      as(SERVICE),
    );
    expect(remembered.errors).toBeUndefined();
    expect((await live.results).length).toBe(1);
    for (let i = 0; i < 2; i++) {
      const page = await server.request(EntityPageDocument, { externalId: entity }, as(SERVICE));
      expect(page.errors).toBeUndefined();
    }
    // An administrative field a service key may not read: FORBIDDEN.
    const refused = await server.request(AugmentationJobsDocument, {}, as(SERVICE));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // A document that does not validate.
    const invalid = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as(SERVICE) },
      body: JSON.stringify({ query: 'query Broken { noSuchField }' }),
    });
    expect(((await invalid.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    // A turn the local extractor augments in the background.
    const recorded = await server.request(
      RecordConversationDocument,
      {
        input: {
          entity,
          process: 'metrics-bot',
          messages: [{ role: 'USER', content: 'I work at Acme and I love hiking.' }],
        },
      },
      as(SERVICE),
    );
    expect(recorded.errors).toBeUndefined();
    await waitFor(async () => (await server.db.augmentationJob.count({ where: { status: 'DONE' } })) === 1);

    // A job's extraction figures and its event follow its commit, and the subscriber's socket closes
    // in the background: scrape until they are in (the checks below then say how much moved).
    let text = (await scrape(server)).text;
    let after = parseMetrics(text);
    const moved = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    await waitFor(async () => {
      text = (await scrape(server)).text;
      after = parseMetrics(text);
      return (
        moved('engram_extraction_duration_seconds_count', { extractor: 'local', outcome: 'ok' }) >= 1 &&
        moved('engram_events_published_total', { topic: 'augmentation-completed' }) >= 1 &&
        sampleValue(after, 'engram_subscribers', { topic: 'fact-changed' }) === 0
      );
    });

    const query = { operationType: 'query', operationName: 'EntityPage' };
    expect(moved('graphql_envelop_request', query)).toBe(2);
    expect(moved('graphql_envelop_phase_execute_count', query)).toBe(2);
    expect(moved('graphql_envelop_phase_parse_count', query)).toBe(2);
    expect(moved('graphql_envelop_phase_validate_count', query)).toBe(2);
    expect(moved('graphql_yoga_http_duration_count', { ...query, method: 'POST', statusCode: '200' })).toBe(
      2,
    );
    expect(
      moved('graphql_envelop_request', { operationType: 'mutation', operationName: 'RememberFact' }),
    ).toBe(1);
    expect(
      moved('graphql_envelop_request', { operationType: 'subscription', operationName: 'FactChangedFor' }),
    ).toBe(1);
    expect(
      moved('graphql_envelop_error_result', { operationName: 'AugmentationJobs', code: 'FORBIDDEN' }),
    ).toBe(1);
    expect(
      moved('graphql_envelop_error_result', { phase: 'validate', code: 'GRAPHQL_VALIDATION_FAILED' }),
    ).toBe(1);

    expect(moved('engram_db_query_duration_seconds_count', { statement: 'select' })).toBeGreaterThan(2);
    expect(moved('engram_db_query_duration_seconds_count', { statement: 'insert' })).toBeGreaterThan(0);
    expect(moved('engram_events_published_total', { topic: 'fact-changed' })).toBeGreaterThanOrEqual(1);
    expect(moved('engram_events_delivered_total', { topic: 'fact-changed' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, 'engram_subscribers', { topic: 'fact-changed' })).toBe(0);
    expect(moved('engram_embedding_texts_total', { model: 'test:word-hash' })).toBeGreaterThanOrEqual(1);
    expect(moved('engram_embedding_call_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(moved('engram_extraction_duration_seconds_count', { extractor: 'local', outcome: 'ok' })).toBe(1);
    expect(moved('engram_events_published_total', { topic: 'augmentation-completed' })).toBe(1);

    // Gauges read on scrape.
    expect(sampleValue(after, 'engram_augmentation_jobs', { status: 'pending' })).toBe(0);
    expect(sampleValue(after, 'engram_augmentation_queue_lag_seconds')).toBe(0);
    expect(sampleValue(after, 'engram_vector_index_size', { kind: 'facts' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, 'engram_vector_index_ready')).toBe(1);
    expect(after.some((sample) => sample.name === 'engram_vector_index_lag')).toBe(true);
    expect(sampleValue(after, 'engram_embedding_model_ready')).toBe(1);
    expect(sampleValue(after, 'engram_metrics_collect_failures_total')).toBe(0);
    expect(sampleValue(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    // No entity, session, fact or conversation id anywhere in the figures.
    const success = remembered.data?.rememberFact;
    const factId = success?.__typename === 'RememberFactSuccess' ? success.fact.id : null;
    expect(factId).toBeTruthy();
    expect(text).not.toContain(entity);
    expect(text).not.toContain(factId as string);
    expect(text).not.toContain('Lisbon');
    expect(text).not.toContain('metrics-bot');
  });

  it('labels operation names up to a bound', async () => {
    // Many distinct names: the label set stays bounded (METRICS_MAX_OPERATION_NAMES, 100).
    for (let i = 0; i < 120; i++) {
      await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as(SERVICE) },
        body: JSON.stringify({ query: `query Name${i} { __typename }` }),
      });
    }
    const samples = parseMetrics((await scrape(server)).text).filter(
      (s) => s.name === 'graphql_envelop_request',
    );
    const names = new Set(samples.map((sample) => sample.labels.operationName));
    expect(names.size).toBeLessThanOrEqual(100 + 1);
    expect(names.has('other')).toBe(true);
  });
});

describe('METRICS=off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { METRICS: 'off' } });
  });
  afterAll(() => server?.close());

  it('serves no /metrics and measures nothing', async () => {
    const { response } = await scrape(server, {});
    expect(response.status).toBe(404);
    expect(server.engram.metrics).toBeNull();
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A tiny OTLP/HTTP (JSON) trace receiver, as a collector would listen. */
function otlpReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; paths: string[] }> {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resource of body.resourceSpans)
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}`, spans, paths });
    });
  });
}

describe('OpenTelemetry traces', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  const entity = uniqueId('traced-entity');

  beforeAll(async () => {
    receiver = await otlpReceiver();
    server = await startTestServer({
      embedder: wordHashEmbedder(),
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=abc%20def',
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it('exports the HTTP, GraphQL, database and embedding spans of a request', async () => {
    const written = await server.request(RememberFactDocument, {
      input: { entity, content: 'Traced fact', category: 'FACT' },
    });
    expect(written.errors).toBeUndefined();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const page = await server.request(
      EntityPageDocument,
      { externalId: entity },
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    );
    expect(page.errors).toBeUndefined();
    await server.engram.tracing?.flush();

    expect(receiver.paths[0]).toBe('POST /v1/traces application/json');
    const names = receiver.spans.map((span) => span.name);
    expect(names).toContain('POST /graphql');
    expect(names).toContain('mutation.RememberFact');
    expect(names).toContain('query.EntityPage');
    expect(names).toContain('embedding test:word-hash');
    const isDatabase = (name: string) => name.startsWith('prisma:') || name === 'planned-read';
    expect(names.some((name) => name.startsWith('prisma:'))).toBe(true);

    // The page's spans continue the caller's trace: HTTP span → operation span → Prisma spans.
    const inTrace = receiver.spans.filter((span) => span.traceId === traceId);
    const http = inTrace.find((span) => span.name === 'POST /graphql');
    const operation = inTrace.find((span) => span.name === 'query.EntityPage');
    expect(http?.parentSpanId).toBe('00f067aa0ba902b7');
    expect(operation?.parentSpanId).toBe(http?.spanId);
    // Prisma's spans, or on PostgreSQL the planned read's statement (sent without Prisma).
    const database = inTrace.filter((span) => isDatabase(span.name));
    expect(database.length).toBeGreaterThan(0);
    // No span carries the entity in its name.
    expect(names.some((name) => name.includes(entity))).toBe(false);
  });
});
