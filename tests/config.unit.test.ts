import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { ConfigError } from '../src/config/environment.ts';

/**
 * The configuration by concern (src/config/config.ts): the environment variables of the README's
 * table, each landing in the section of the module it configures, a feature that is off as null.
 */
describe('configuration by concern', () => {
  it('gives every section its defaults, with the features on', () => {
    const config = loadConfig({});
    expect(config.server).toEqual({
      host: undefined,
      port: 4000,
      graphiql: true,
      explorer: true,
      shutdownTimeoutMs: 10_000,
    });
    expect(config.database).toMatchObject({
      url: 'file:./data/engram.db',
      provider: 'sqlite',
      migrateOnStart: true,
    });
    // A pooled statement may run as long as a request may (REQUEST_TIMEOUT_MS) unless told otherwise.
    expect(config.database.pool).toMatchObject({ size: 10, statementTimeoutMs: 10_000 });
    expect(config.embeddings).toMatchObject({ provider: 'local', cacheSize: 10_000 });
    expect(config.searchIndex).toMatchObject({ dir: path.resolve('./data/vector-index'), dimension: 384 });
    expect(config.augmentation).toMatchObject({
      extractor: { kind: 'local' },
      runner: { concurrency: 2, batchSize: 10 },
      queue: { maxAttempts: 5 },
    });
    expect(config.memory).toEqual({
      maxContentLength: 16_000,
      maxItemsPerCall: 500,
      dimension: 384,
      dedupeSimilarity: 0.95,
      messageIndex: 'context',
    });
    expect(config.graphql).toMatchObject({ maxPageSize: 100, maxNodes: 50_000, plannedReads: true });
    expect(config.graph).toEqual({ maxDepth: 3, maxFanOut: 10_000 });
  });

  it('serves the explorer where GraphiQL is served, unless EXPLORER says otherwise', () => {
    const explorer = (env: Record<string, string>) => loadConfig(env).server.explorer;
    expect(explorer({ NODE_ENV: 'production', API_KEYS: 'k' })).toBe(false);
    expect(explorer({ NODE_ENV: 'production', API_KEYS: 'k', GRAPHIQL: 'true' })).toBe(true);
    expect(explorer({ NODE_ENV: 'production', API_KEYS: 'k', EXPLORER: 'true' })).toBe(true);
    expect(explorer({ GRAPHIQL: 'false' })).toBe(false);
    expect(explorer({ EXPLORER: 'false' })).toBe(false);
    expect(() => loadConfig({ EXPLORER: 'maybe' })).toThrow(ConfigError);
  });

  it('turns a disabled feature into null', () => {
    const config = loadConfig({ EMBEDDING_PROVIDER: 'none', VECTOR_INDEX: 'off', AUGMENTATION: 'off' });
    expect(config.embeddings).toBeNull();
    expect(config.searchIndex).toBeNull();
    expect(config.augmentation).toBeNull();
  });

  it('puts each variable in its section', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      API_KEYS: 'a, b',
      DATABASE_URL: 'postgresql://db/engram',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      VECTOR_INDEX_PATH: 'memory',
      VECTOR_DIMENSIONS: '512',
      EMBEDDING_PROVIDER: 'openai-compatible',
      EMBEDDING_API_URL: 'http://127.0.0.1:9/v1',
      EMBEDDING_API_VERSION: '2024-02-01',
      AUGMENTATION_EXTRACTOR: 'llm',
      LLM_PROVIDER: 'anthropic',
      LLM_MODEL: 'claude-haiku-4-5',
      WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '7',
      GRAPH_MAX_DEPTH: '2',
      GRAPH_MAX_FANOUT: '500',
    });
    expect(config.access.apiKeys).toEqual([
      { key: 'a', role: 'admin' },
      { key: 'b', role: 'admin' },
    ]);
    expect(config.server.graphiql).toBe(false);
    expect(config.database).toMatchObject({ provider: 'postgresql', pool: { statementTimeoutMs: 0 } });
    expect(config.searchIndex).toMatchObject({ dir: null, dimension: 512 });
    expect(config.memory.dimension).toBe(512);
    expect(config.embeddings).toMatchObject({
      provider: 'openai-compatible',
      hosted: { model: 'text-embedding-3-small', baseUrl: 'http://127.0.0.1:9/v1', apiVersion: '2024-02-01' },
    });
    expect(config.augmentation?.extractor).toMatchObject({
      kind: 'llm',
      llm: { provider: 'anthropic', model: 'claude-haiku-4-5', maxRetries: 2 },
    });
    expect(config.http.websocket.maxOperationsPerSocket).toBe(7);
    expect(config.graph).toEqual({ maxDepth: 2, maxFanOut: 500 });
  });

  it('reads API keys with roles from API_KEYS and API_KEYS_FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'engram-keys-')), 'keys');
    writeFileSync(file, '# one per line\nservice:from-file\n\nread: spaced \nplain:colon-key\n');
    const problems = (source: Record<string, string>) => {
      try {
        loadConfig(source);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    // A lowercase word before a colon that is not a role is refused: a misspelt role never makes an admin.
    expect(problems({ API_KEYS_FILE: file })).toEqual([
      expect.stringMatching(/^API_KEYS_FILE: unknown role "plain"/),
    ]);
    writeFileSync(file, '# one per line\nservice:from-file\n\nread: spaced \nKey:With-Colon\n');
    const config = loadConfig({ API_KEYS: 'old-style, admin:explicit', API_KEYS_FILE: file });
    expect(config.access.apiKeys).toEqual([
      { key: 'old-style', role: 'admin' },
      { key: 'explicit', role: 'admin' },
      { key: 'from-file', role: 'service' },
      { key: 'spaced', role: 'read' },
      { key: 'Key:With-Colon', role: 'admin' },
    ]);
    expect(problems({ API_KEYS: 'read:' })).toEqual([
      expect.stringMatching(/^API_KEYS: the read entry has no key/),
    ]);
    expect(problems({ API_KEYS_FILE: join(tmpdir(), 'no-such-engram-keys') })).toEqual([
      'API_KEYS_FILE: cannot be read (ENOENT)',
    ]);
    // Production needs a key, from either place.
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^API_KEYS: is required/)]);
    expect(loadConfig({ NODE_ENV: 'production', API_KEYS_FILE: file }).access.apiKeys).toHaveLength(3);
  });

  it('masks nothing unless PII_REDACTION says where, with every kind and US phone formats by default', () => {
    expect(loadConfig({}).redaction).toBeNull();
    expect(loadConfig({ PII_REDACTION: 'storage' }).redaction).toEqual({
      mode: 'storage',
      redactor: { kinds: ['email', 'iban', 'card', 'ssn', 'ip', 'phone'], phoneRegions: ['US'] },
    });
    expect(
      loadConfig({
        PII_REDACTION: 'providers',
        PII_REDACTION_KINDS: 'email, card',
        PII_REDACTION_PHONE_REGIONS: 'gb,DE',
      }).redaction,
    ).toEqual({ mode: 'providers', redactor: { kinds: ['email', 'card'], phoneRegions: ['GB', 'DE'] } });
    expect(() =>
      loadConfig({
        PII_REDACTION: 'everywhere',
        PII_REDACTION_KINDS: 'email,passport',
        PII_REDACTION_PHONE_REGIONS: 'XX',
      }),
    ).toThrow(
      /PII_REDACTION: [\s\S]*PII_REDACTION_KINDS\.1: [\s\S]*PII_REDACTION_PHONE_REGIONS\.0: is not a region code/,
    );
  });

  it('keeps events in the process unless EVENT_BUS names a bus, and refuses a bus that cannot work', () => {
    expect(loadConfig({}).eventBus).toBeNull();
    expect(loadConfig({ EVENT_BUS: 'redis', REDIS_URL: 'redis://cache:6379' }).eventBus).toEqual({
      kind: 'redis',
      url: 'redis://cache:6379',
      channel: 'engram',
    });
    const pg = 'postgresql://engram@db:5432/engram';
    expect(
      loadConfig({ EVENT_BUS: 'postgres', DATABASE_URL: pg, EVENT_BUS_CHANNEL: 'prod_a' }).eventBus,
    ).toEqual({ kind: 'postgres', url: pg, channel: 'prod_a' });
    // Behind PgBouncer in transaction mode, LISTEN needs a direct connection of its own.
    expect(
      loadConfig({
        EVENT_BUS: 'postgres',
        DATABASE_URL: pg,
        EVENT_BUS_DATABASE_URL: 'postgres://db-direct/engram',
      }).eventBus?.url,
    ).toBe('postgres://db-direct/engram');
    expect(() => loadConfig({ EVENT_BUS: 'redis' })).toThrow(/REDIS_URL: is required when EVENT_BUS=redis/);
    expect(() => loadConfig({ EVENT_BUS: 'redis', REDIS_URL: 'http://cache' })).toThrow(
      /REDIS_URL: must start/,
    );
    expect(() => loadConfig({ EVENT_BUS: 'postgres' })).toThrow(/EVENT_BUS: postgres needs .* not sqlite/);
    expect(() =>
      loadConfig({ EVENT_BUS: 'postgres', DATABASE_URL: pg, DATABASE_PROVIDER: 'cockroachdb' }),
    ).toThrow(/not cockroachdb/);
    expect(() => loadConfig({ EVENT_BUS: 'kafka' })).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_BUS_CHANNEL: 'has space' })).toThrow(/EVENT_BUS_CHANNEL/);
  });

  it('serves MCP by default; MCP=off turns it off, MCP_TOKEN names the stdio caller', () => {
    expect(loadConfig({}).mcp).toEqual({ path: '/mcp', stdioToken: null });
    expect(loadConfig({ MCP: 'off' }).mcp).toBeNull();
    expect(loadConfig({ MCP_TOKEN: 'read-key' }).mcp?.stdioToken).toBe('read-key');
    expect(() => loadConfig({ MCP: 'yes' })).toThrow(/MCP/);
  });

  it('measures by default and traces only toward a configured collector', () => {
    const defaults = loadConfig({});
    expect(defaults.metrics).toEqual({ token: null, collectTimeoutMs: 2000, maxOperationNames: 100 });
    expect(defaults.tracing).toBeNull();
    expect(loadConfig({ METRICS: 'off' }).metrics).toBeNull();
    const traced = loadConfig({
      METRICS_TOKEN: 'a-scraper-token-123',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.internal:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D%3D, x-tenant = t1',
    });
    expect(traced.metrics?.token).toBe('a-scraper-token-123');
    expect(traced.tracing).toEqual({
      endpoint: 'http://collector.internal:4318',
      headers: { 'x-api-key': 'abc==', 'x-tenant': 't1' },
      serviceName: 'engram',
    });
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(
      /OTEL_EXPORTER_OTLP_HEADERS: "novalue" is not name=value/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });

  it('refuses an LLM extractor without its provider', () => {
    expect(() => loadConfig({ AUGMENTATION_EXTRACTOR: 'llm' })).toThrow(/LLM_PROVIDER: .*required/);
  });

  it('refuses a bad environment with every problem at once', () => {
    let problems: string[] = [];
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^PORT: /), expect.stringMatching(/^LOG_LEVEL: /)]);
  });
});
