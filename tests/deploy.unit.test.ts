import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Context,
  checkCompose,
  checkDockerfile,
  checkDockerignore,
  checkKustomization,
  checkManifests,
  DEPLOY,
  newContext,
  readDeployFiles,
  SERVER_ROUTES,
} from './helpers/deploy-checks.ts';
import { startTestServer } from './helpers/server.ts';

/**
 * The deployment files (deploy/, .dockerignore) checked offline against the code they run: no
 * container engine or cluster is available here. Every command must be one the CLI has, every
 * variable one Engram reads with a value it accepts, every probe a route the server answers, and
 * the proxy must pass WebSocket upgrades. The last block breaks copies of the files to show each
 * check can fail.
 */
let context: Context;
const files = readDeployFiles();

beforeAll(() => {
  context = newContext();
});

afterAll(() => {
  if (context) rmSync(context.scratch, { recursive: true, force: true });
});

describe('deployment files', () => {
  it('reads the CLI commands from the real CLI', () => {
    expect([...context.commands]).toEqual(expect.arrayContaining(['serve', 'migrate', 'worker', 'graph']));
    expect(context.commands.has('help')).toBe(false);
  });

  it('Dockerfile: build and runtime stages, non-root, HEALTHCHECK on /health, a CLI command', () => {
    expect(checkDockerfile(files.dockerfile, files.dockerignore, context)).toEqual([]);
  });

  it('.dockerignore keeps node_modules, data, models and secrets out, and the sources in', () => {
    expect(checkDockerignore(files.dockerignore)).toEqual([]);
  });

  it('compose: services, commands, variables, healthchecks and the WebSocket-aware proxy', () => {
    expect(checkCompose(files.compose, files.dotenv, files.nginx, context)).toEqual([]);
  });

  it('Kubernetes: objects, selectors, probes, resources, configuration and migrations', () => {
    expect(checkManifests(files.k8s, context)).toEqual([]);
    const listed = readdirSync(join(DEPLOY, 'k8s')).filter((file) => file.endsWith('.yaml'));
    expect(checkKustomization(files.k8s['kustomization.yaml'] ?? '', listed)).toEqual([]);
  });

  it('the probe paths answer without a key on a production server, and /graphql asks for one', async () => {
    const key = 'deploy-test-admin-key-0123456789';
    const server = await startTestServer({ env: { NODE_ENV: 'production', API_KEYS: `admin:${key}` } });
    try {
      const base = server.url.replace(/\/graphql$/, '');
      for (const path of ['/health', '/ready']) {
        expect(SERVER_ROUTES).toContain(path);
        const response = await fetch(`${base}${path}`);
        expect(response.status, path).toBe(200);
      }
      const query = { query: '{ __typename }' };
      const post = (headers: Record<string, string>) =>
        fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(query),
        });
      expect((await post({})).status).toBe(401);
      const answered = await post({ authorization: `Bearer ${key}` });
      expect(answered.status).toBe(200);
      expect(await answered.json()).toMatchObject({ data: { __typename: 'Query' } });
      expect((await fetch(`${base}/healthz`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('a broken deployment file fails its check', () => {
  const replace = (text: string, from: string | RegExp, to: string) => {
    const changed = text.replace(from, to);
    if (changed === text) throw new Error(`the mutation ${from} changed nothing`);
    return changed;
  };
  const compose = (from: string | RegExp, to: string) =>
    checkCompose(replace(files.compose, from, to), files.dotenv, files.nginx, context);
  const nginx = (from: string | RegExp, to: string) =>
    checkCompose(files.compose, files.dotenv, replace(files.nginx, from, to), context);
  const dockerfile = (from: string | RegExp, to: string) =>
    checkDockerfile(replace(files.dockerfile, from, to), files.dockerignore, context);
  const k8s = (file: string, from: string | RegExp, to: string) =>
    checkManifests({ ...files.k8s, [file]: replace(files.k8s[file] ?? '', from, to) }, context);

  it.each([
    [
      'a command the CLI lacks',
      () => compose('command: ["worker"]', 'command: ["wokrer"]'),
      /"wokrer", which is not an engram command/,
    ],
    [
      'a misspelt variable',
      () => compose('DATABASE_POOL_SIZE:', 'DATABASE_POOL_SIZ:'),
      /DATABASE_POOL_SIZ is not an Engram variable/,
    ],
    [
      'a value Engram refuses',
      () => compose('AUGMENTATION_CONCURRENCY: "4"', 'AUGMENTATION_CONCURRENCY: "-4"'),
      /AUGMENTATION_CONCURRENCY/,
    ],
    [
      'a required setting missing from .env',
      () => checkCompose(files.compose, '', files.nginx, context),
      /ENGRAM_POSTGRES_PASSWORD is required/,
    ],
    ['an unquoted ": " in a healthcheck', () => compose(/"(fetch\([^\n]*)"\n/, '$1\n'), /holds a non-string/],
    [
      'a healthcheck on the wrong path',
      () => compose("127.0.0.1:4000/health'", "127.0.0.1:4000/healthz'"),
      /healthcheck does not ask \/health/,
    ],
    [
      'a replica left out of the upstream',
      () => nginx(/\s*server engram-b:4000[^;]*;/, ''),
      /upstream lacks engram-b:4000/,
    ],
    [
      'no Upgrade header',
      () => nginx(/proxy_set_header Upgrade[^;]*;/, ''),
      /Upgrade header is not passed on/,
    ],
    [
      'Connection without upgrade',
      () => nginx('default upgrade;', 'default close;'),
      /Connection header does not carry "upgrade"/,
    ],
    ['HTTP/1.0 to the upstream', () => nginx('proxy_http_version 1.1;', ''), /proxy_http_version 1.1/],
    ['the default read timeout', () => nginx('proxy_read_timeout 3600s;', ''), /proxy_read_timeout 60s/],
    [
      'the default connection limit',
      () => nginx('worker_connections 16384;', ''),
      /worker_connections 1024 caps/,
    ],
    ['a root container', () => dockerfile(/^USER engram$/m, 'USER root'), /runs as root/],
    ['no HEALTHCHECK', () => dockerfile(/^HEALTHCHECK[\s\S]*?\n(?=#)/m, ''), /no HEALTHCHECK/],
    [
      'a CMD the CLI lacks',
      () => dockerfile('CMD ["serve"]', 'CMD ["server"]'),
      /"server", which is not an engram command/,
    ],
    [
      'one stage',
      () => dockerfile(/^FROM [^\n]* AS runtime$/m, ''),
      /needs a build stage and a runtime stage/,
    ],
    [
      'migrations left out',
      () => dockerfile(/^COPY prisma\/migrations[^\n]*$/m, ''),
      /does not copy prisma\/migrations/,
    ],
    [
      'a model fetched at build time',
      () =>
        dockerfile(
          'npm cache clean --force',
          'npm cache clean --force && node --import tsx src/index.ts models',
        ),
      /downloads something/,
    ],
    [
      'a model download allowed at run time',
      () => dockerfile('EMBEDDING_ALLOW_DOWNLOAD=false', 'EMBEDDING_ALLOW_DOWNLOAD=true'),
      /EMBEDDING_ALLOW_DOWNLOAD must be false/,
    ],
    [
      '.dockerignore without node_modules',
      () => checkDockerignore(files.dockerignore.replace(/^node_modules$/m, '')),
      /does not exclude node_modules/,
    ],
    [
      'a probe on a route the server lacks',
      () => k8s('server.yaml', 'path: /ready', 'path: /readyz'),
      /readinessProbe asks \/readyz/,
    ],
    [
      'a misspelt ConfigMap key',
      () => k8s('configmap.yaml', 'VECTOR_INDEX_PATH:', 'VECTOR_INDEX_PAHT:'),
      /VECTOR_INDEX_PAHT is not an Engram variable/,
    ],
    [
      'a number in a ConfigMap',
      () => k8s('configmap.yaml', 'PORT: "4000"', 'PORT: 4000'),
      /PORT is not a string/,
    ],
    [
      'PORT off the container port',
      () => k8s('configmap.yaml', 'PORT: "4000"', 'PORT: "5000"'),
      /PORT is 5000/,
    ],
    [
      'a secret file nobody mounts',
      () => k8s('configmap.yaml', '/etc/engram/secrets/api-keys', '/etc/engram/keys'),
      /API_KEYS_FILE=\/etc\/engram\/keys is in no mounted Secret/,
    ],
    [
      'an entity-token secret too short',
      () => k8s('secret.example.yaml', /entity-token-secret: \S+/, 'entity-token-secret: short'),
      /ENTITY_TOKEN_SECRET_FILE: must hold at least 32 characters/,
    ],
    [
      'a Service that selects nothing',
      () => k8s('server.yaml', /(kind: Service[\s\S]*?component: )server(\n {2}ports)/, '$1api$2'),
      /Service engram: selects no Deployment's pods/,
    ],
    [
      'no migrations before MIGRATE_ON_START=false',
      () => k8s('worker.yaml', / {6}initContainers:[\s\S]*?(?= {6}containers:)/, ''),
      /no init container runs migrate/,
    ],
    [
      'a memory limit below the request',
      () =>
        k8s(
          'worker.yaml',
          /limits:\n {14}cpu: "2"\n {14}memory: 2Gi/,
          'limits:\n              cpu: "2"\n              memory: 512Mi',
        ),
      /memory limit below the request/,
    ],
  ] as const)('%s', (_name, check, expected) => {
    const problems = check();
    expect(problems.join('\n')).toMatch(expected);
  });
});
