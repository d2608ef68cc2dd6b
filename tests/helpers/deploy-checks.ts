import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, ENVIRONMENT_VARIABLES, parseEnv } from '../../src/config/environment.ts';

/**
 * Offline checks of the deployment files (deploy/): no container engine or cluster runs here, so
 * the files are read as data and held against the code they start. Each check returns the problems
 * it found (an empty list when the file is right), so a test can also show it catches a broken copy.
 */

export const ROOT = new URL('../../', import.meta.url).pathname;
export const DEPLOY = join(ROOT, 'deploy');

/**
 * Variables the deployment sets before Engram reads them: the cross-process event bus is being
 * built in parallel (EVENT_BUS=memory|redis|postgres, REDIS_URL). Once environment.ts knows a name
 * it is checked like any other (see `knownVariables`), so this list only loosens what is missing.
 */
export const PENDING_VARIABLES = ['EVENT_BUS', 'REDIS_URL'];

/** The paths the server answers (src/app.ts: /health, /ready; yoga: /graphql). */
export const SERVER_ROUTES = ['/health', '/ready', '/graphql'];

const KNOWN = new Set(ENVIRONMENT_VARIABLES);
const pending = () => PENDING_VARIABLES.filter((name) => !KNOWN.has(name));

export interface Context {
  /** The CLI's commands, from `engram --help`. */
  commands: Set<string>;
  /** Where *_FILE secrets are written for parsing. */
  scratch: string;
}

/** The commands of the real CLI, read from its help (so a command removed from src/index.ts counts). */
export function cliCommands(): Set<string> {
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'src/index.ts', '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  const section = help.split(/^Commands:\s*$/m)[1] ?? '';
  const names = [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((match) => match[1] as string);
  return new Set(names.filter((name) => name !== 'help'));
}

export function newContext(): Context {
  return { commands: cliCommands(), scratch: mkdtempSync(join(tmpdir(), 'engram-deploy-')) };
}

/**
 * Names Engram does not know, then the problems its own parser finds in the values: what the
 * server would print before exiting 1. Pending variables are dropped before parsing.
 */
function checkEnvironment(where: string, env: Record<string, string>): string[] {
  const problems: string[] = [];
  const loose = new Set(pending());
  for (const name of Object.keys(env)) {
    if (!KNOWN.has(name) && !loose.has(name)) problems.push(`${where}: ${name} is not an Engram variable`);
  }
  const parsed = Object.fromEntries(Object.entries(env).filter(([name]) => KNOWN.has(name)));
  try {
    parseEnv(parsed);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.push(`${where}: ${problem}`);
  }
  if (env.EVENT_BUS === 'redis' && !env.REDIS_URL)
    problems.push(`${where}: EVENT_BUS=redis without REDIS_URL`);
  return problems;
}

/** The first word of a command Engram runs must be one of its CLI's commands. */
function checkCommand(where: string, args: unknown, context: Context): string[] {
  const list = Array.isArray(args) ? args : typeof args === 'string' ? args.split(/\s+/) : [];
  const command = String(list[0] ?? '');
  return context.commands.has(command)
    ? []
    : [`${where}: runs "${command}", which is not an engram command (${[...context.commands].join(', ')})`];
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Stages and their instructions: comments dropped, continuation lines joined. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(raw);
    if (!match) continue;
    const keyword = (match[1] as string).toUpperCase();
    const args = (match[2] as string).trim();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ name: from?.[2] ?? String(stages.length), base: from?.[1] ?? '', instructions: [] });
    }
    const stage = stages.at(-1);
    stage?.instructions.push({ keyword, args, stage: stages.length - 1 });
  }
  return stages;
}

/** `ENV A=1 B="2"` → { A: '1', B: '2' } */
function envAssignments(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
    out[match[1] as string] = (match[2] as string).replace(/^"|"$/g, '');
  }
  return out;
}

function jsonArray(where: string, args: string, problems: string[]): string[] {
  try {
    const value = JSON.parse(args) as unknown;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  } catch {}
  problems.push(`${where} must be a JSON array (exec form: signals reach Node, not a shell)`);
  return [];
}

/** A .dockerignore pattern list as a predicate (enough for the plain patterns used here). */
function ignoredBy(dockerignore: string): (path: string) => boolean {
  const patterns = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((pattern) => {
      const source = pattern
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*');
      return new RegExp(`^${source}(/.*)?$`);
    });
  return (path) => patterns.some((pattern) => pattern.test(path.replace(/^\.\//, '').replace(/\/$/, '')));
}

export function checkDockerfile(text: string, dockerignore: string, context: Context): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  const runtime = stages.at(-1);
  if (stages.length < 2 || !runtime) return ['Dockerfile: needs a build stage and a runtime stage'];
  const names = stages.map((stage) => stage.name);
  const all = stages.flatMap((stage) => stage.instructions);
  const run = (stage: Stage) =>
    stage.instructions
      .filter((item) => item.keyword === 'RUN')
      .map((item) => item.args)
      .join('\n');
  if (!stages.slice(0, -1).some((stage) => /\bg\+\+/.test(run(stage)) && /\bmake\b/.test(run(stage)))) {
    problems.push('Dockerfile: no build stage installs g++ and make (better-sqlite3 compiles from source)');
  }
  if (/\b(g\+\+|build-essential)\b/.test(run(runtime))) {
    problems.push('Dockerfile: the runtime stage installs a compiler');
  }
  for (const item of all.filter((entry) => entry.keyword === 'COPY')) {
    const from = /--from=(\S+)/.exec(item.args)?.[1];
    if (from !== undefined) {
      if (names.indexOf(from) < 0 || names.indexOf(from) >= item.stage) {
        problems.push(`Dockerfile: COPY --from=${from} names no earlier stage`);
      }
      continue;
    }
    const words = item.args.split(/\s+/).filter((word) => !word.startsWith('--'));
    const ignored = ignoredBy(dockerignore);
    for (const source of words.slice(0, -1)) {
      if (!existsSync(join(ROOT, source)))
        problems.push(`Dockerfile: COPY ${source}: no such file in the repository`);
      else if (ignored(source)) problems.push(`Dockerfile: COPY ${source}: excluded by .dockerignore`);
    }
  }
  // What the runtime reads from disk: the sources (run by tsx), the generated Prisma clients, the
  // migrations (src/db/migrate.ts), the Cypher files (src/graph/cypher.ts) and the dependencies.
  const copied = runtime.instructions
    .filter((item) => item.keyword === 'COPY')
    .map((item) => item.args)
    .join('\n');
  for (const needed of [
    'node_modules',
    'src/db/generated',
    'src',
    'prisma/migrations',
    'graph',
    'package.json',
  ]) {
    if (!new RegExp(`(^|\\s|/)${needed.replace('/', '\\/')}(\\s|$)`, 'm').test(copied)) {
      problems.push(`Dockerfile: the runtime stage does not copy ${needed}`);
    }
  }
  const users = runtime.instructions.filter((item) => item.keyword === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (!user) problems.push('Dockerfile: the runtime stage runs as root (no USER)');
  else if (user === 'root' || user === '0') problems.push(`Dockerfile: the runtime stage runs as ${user}`);
  const env: Record<string, string> = {};
  for (const item of runtime.instructions.filter((entry) => entry.keyword === 'ENV')) {
    Object.assign(env, envAssignments(item.args));
  }
  // The image runs in production mode, which needs API keys: they come with the deployment.
  problems.push(...checkEnvironment('Dockerfile ENV', { API_KEYS: 'admin:supplied-at-run-time', ...env }));
  if (env.EMBEDDING_ALLOW_DOWNLOAD !== 'false') {
    problems.push('Dockerfile: EMBEDDING_ALLOW_DOWNLOAD must be false (the model comes from a volume)');
  }
  if (
    all.some(
      (item) => item.keyword === 'RUN' && /\b(curl|wget)\b|index\.ts\s+models|run\s+models/.test(item.args),
    )
  ) {
    problems.push('Dockerfile: the build downloads something (a model?) outside npm');
  }
  const port = env.PORT ?? '4000';
  if (
    !runtime.instructions.some((item) => item.keyword === 'EXPOSE' && item.args.split(/\s+/).includes(port))
  ) {
    problems.push(`Dockerfile: does not EXPOSE ${port} (PORT)`);
  }
  const health = runtime.instructions.find((item) => item.keyword === 'HEALTHCHECK');
  if (!health) problems.push('Dockerfile: no HEALTHCHECK');
  else if (!/\/health\b/.test(health.args) || !new RegExp(`PORT|:${port}\\b`).test(health.args)) {
    problems.push(`Dockerfile: the HEALTHCHECK does not ask /health on port ${port}`);
  }
  const entrypoint = runtime.instructions.find((item) => item.keyword === 'ENTRYPOINT');
  const cmd = runtime.instructions.find((item) => item.keyword === 'CMD');
  const entry = entrypoint ? jsonArray('Dockerfile ENTRYPOINT', entrypoint.args, problems) : [];
  if (!entry.includes('src/index.ts')) problems.push('Dockerfile: the ENTRYPOINT does not run src/index.ts');
  if (!cmd) problems.push('Dockerfile: no CMD');
  else
    problems.push(
      ...checkCommand('Dockerfile CMD', jsonArray('Dockerfile CMD', cmd.args, problems), context),
    );
  return problems;
}

export function checkDockerignore(text: string): string[] {
  const ignored = ignoredBy(text);
  const problems: string[] = [];
  // Built inside the image (a host's node_modules may hold binaries for another platform), or
  // local data, weights and secrets that must not end up in a layer.
  for (const path of ['node_modules', '.git', 'data', 'models', '.env', 'src/db/generated']) {
    if (!ignored(path)) problems.push(`.dockerignore: does not exclude ${path}`);
  }
  for (const path of ['src', 'prisma/migrations', 'prisma/schema.prisma', 'graph', 'package-lock.json']) {
    if (ignored(path)) problems.push(`.dockerignore: excludes ${path}, which the image needs`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// compose

/** `KEY=value` lines. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) out[match[1] as string] = (match[2] as string).trim();
  }
  return out;
}

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, and $$ for a literal $. */
export function interpolate(text: string, vars: Record<string, string>, problems: string[]): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const value = vars[name as string];
    const unset = value === undefined || (op?.startsWith(':') && value === '');
    if (op?.endsWith('-')) return unset ? (arg as string) : (value as string);
    if (op?.endsWith('?') && unset) problems.push(`compose: ${name} is required (${arg})`);
    return value ?? '';
  });
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringMap = (value: unknown): Record<string, string> =>
  isObject(value)
    ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item == null ? '' : String(item)]))
    : Array.isArray(value)
      ? Object.fromEntries(
          value.map((item) => {
            const [key, ...rest] = String(item).split('=');
            return [key as string, rest.join('=')];
          }),
        )
      : {};

/** Whether a compose service runs the Engram image. */
const isEngram = (service: Json) =>
  String(service.image ?? '').startsWith('engram:') ||
  String((service.build as Json | undefined)?.dockerfile ?? '').endsWith('deploy/Dockerfile');

function commandOf(service: Json): string[] {
  const command = service.command;
  return Array.isArray(command)
    ? command.map(String)
    : typeof command === 'string'
      ? command.split(/\s+/)
      : [];
}

/** The host and port of a URL-valued variable, when it parses. */
function urlHost(value: string | undefined): { host: string; port: string } | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return { host: url.hostname, port: url.port };
  } catch {
    return null;
  }
}

export function checkCompose(text: string, dotenv: string, nginx: string, context: Context): string[] {
  const problems: string[] = [];
  const resolved = interpolate(text, parseDotenv(dotenv), problems);
  const doc = parse(resolved, { merge: true }) as Json;
  const services = (doc.services ?? {}) as Record<string, Json>;
  const volumes = Object.keys((doc.volumes ?? {}) as Json);
  const names = Object.keys(services);
  for (const needed of ['postgres', 'redis', 'migrate', 'worker', 'proxy', 'neo4j']) {
    if (!services[needed]) problems.push(`compose: no ${needed} service`);
  }
  const servers: { name: string; port: string }[] = [];
  for (const [name, service] of Object.entries(services)) {
    const where = `compose ${name}`;
    const depends = service.depends_on;
    const dependencies = Array.isArray(depends) ? depends.map(String) : Object.keys((depends ?? {}) as Json);
    for (const target of dependencies) {
      const other = services[target];
      if (!other) problems.push(`${where}: depends on ${target}, which is not a service`);
      const condition = isObject(depends) ? (depends[target] as Json | undefined)?.condition : undefined;
      const check = other?.healthcheck as Json | undefined;
      if (condition === 'service_healthy' && (!check || check.disable === true)) {
        problems.push(`${where}: waits for ${target} to be healthy, which has no healthcheck`);
      }
      if (other?.profiles) problems.push(`${where}: depends on ${target}, which only runs in a profile`);
    }
    for (const volume of (service.volumes ?? []) as unknown[]) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : String((volume as Json).source);
      if (source && !/^[./~]/.test(source) && !volumes.includes(source)) {
        problems.push(`${where}: volume ${source} is not declared`);
      }
    }
    if (!isEngram(service)) {
      if (!service.healthcheck && !service.profiles) problems.push(`${where}: no healthcheck`);
      continue;
    }
    const command = commandOf(service);
    problems.push(...checkCommand(where, command, context));
    const env = stringMap(service.environment);
    problems.push(...checkEnvironment(where, env));
    for (const variable of ['DATABASE_URL', 'REDIS_URL']) {
      const target = urlHost(env[variable]);
      if (target && !names.includes(target.host)) {
        problems.push(`${where}: ${variable} names host ${target.host}, which is not a service`);
      }
    }
    if (env.DATABASE_URL?.startsWith('file:')) {
      problems.push(`${where}: replicas need a shared database, not SQLite`);
    }
    const healthcheck = (service.healthcheck ?? {}) as Json;
    if (command[0] === 'serve') {
      const port = env.PORT ?? '4000';
      servers.push({ name, port });
      const parts = ([] as unknown[]).concat(healthcheck.test ?? []);
      if (!parts.every((part) => typeof part === 'string')) {
        problems.push(`${where}: the healthcheck command holds a non-string (an unquoted ": "?)`);
      }
      const test = parts.join(' ');
      if (healthcheck.disable === true || !new RegExp(`:${port}/health\\b`).test(test)) {
        problems.push(`${where}: the healthcheck does not ask /health on port ${port}`);
      }
      if (env.TRUST_PROXY !== 'true') problems.push(`${where}: behind the proxy it needs TRUST_PROXY=true`);
    } else if (healthcheck.disable !== true) {
      // The image's HEALTHCHECK asks /health, which only `serve` answers.
      problems.push(`${where}: "${command[0]}" serves no HTTP; turn the image's healthcheck off`);
    }
    if (command[0] === 'serve' || command[0] === 'worker') {
      const dependsOnMigrate = (services[name]?.depends_on as Json | undefined)?.migrate as Json | undefined;
      if (
        env.MIGRATE_ON_START === 'false' &&
        dependsOnMigrate?.condition !== 'service_completed_successfully'
      ) {
        problems.push(`${where}: MIGRATE_ON_START=false, so it must wait for migrate to complete`);
      }
    }
  }
  if (servers.length < 2) problems.push(`compose: ${servers.length} serving replica(s), expected at least 2`);
  if (
    servers.length > 1 &&
    new Set(servers.map(({ name }) => stringMap(services[name]?.environment).EVENT_BUS)).has(undefined)
  ) {
    problems.push('compose: several replicas need a shared event bus (EVENT_BUS)');
  }
  const proxy = services.proxy;
  const mountsNginx = ((proxy?.volumes ?? []) as unknown[]).some((volume) =>
    String(volume).startsWith('./nginx.conf:'),
  );
  if (proxy && !mountsNginx) problems.push('compose proxy: does not mount ./nginx.conf');
  problems.push(...checkNginx(nginx, servers));
  return problems;
}

/** The proxy must reach every replica and pass WebSocket upgrades (graphql-ws) and SSE through. */
export function checkNginx(text: string, servers: { name: string; port: string }[]): string[] {
  const problems: string[] = [];
  const code = text.replace(/#.*$/gm, '');
  const upstream = /upstream\s+(\S+)\s*\{([^}]*)\}/.exec(code);
  if (!upstream) return ['nginx: no upstream block'];
  const members = [...(upstream[2] as string).matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]);
  for (const { name, port } of servers) {
    if (!members.includes(`${name}:${port}`)) problems.push(`nginx: upstream lacks ${name}:${port}`);
  }
  for (const member of members) {
    if (!servers.some(({ name, port }) => member === `${name}:${port}`)) {
      problems.push(`nginx: upstream ${member} is not a serving replica`);
    }
  }
  if (!new RegExp(`proxy_pass\\s+http://${upstream[1]}\\s*;`).test(code)) {
    problems.push(`nginx: nothing is passed to upstream ${upstream[1]}`);
  }
  const directive = (pattern: string, why: string) => {
    if (!new RegExp(pattern).test(code)) problems.push(`nginx: ${why}`);
  };
  directive('proxy_http_version\\s+1\\.1\\s*;', 'WebSocket upgrades need proxy_http_version 1.1');
  directive('proxy_set_header\\s+Upgrade\\s+\\$http_upgrade\\s*;', 'the Upgrade header is not passed on');
  // Connection must be `upgrade` on a handshake: literally, or through a map of $http_upgrade.
  const connection = /proxy_set_header\s+Connection\s+("?)([^;\s"]+)\1\s*;/.exec(code)?.[2];
  const mapped = connection?.startsWith('$')
    ? new RegExp(`map\\s+\\$http_upgrade\\s+\\${connection}\\s*\\{[^}]*default\\s+upgrade\\s*;`).test(code)
    : connection?.toLowerCase() === 'upgrade';
  if (!mapped)
    problems.push('nginx: the Connection header does not carry "upgrade" for WebSocket handshakes');
  directive(
    'proxy_set_header\\s+Host\\s+\\$http_host\\s*;',
    'Host must keep its port ($http_host) for the Origin check',
  );
  directive(
    'proxy_set_header\\s+X-Forwarded-For\\s+\\$proxy_add_x_forwarded_for\\s*;',
    'no X-Forwarded-For for TRUST_PROXY',
  );
  directive('proxy_buffering\\s+off\\s*;', 'server-sent events need proxy_buffering off');
  const timeout = /proxy_read_timeout\s+(\d+)(s|m|h)?\s*;/.exec(code);
  const seconds = timeout ? Number(timeout[1]) * ({ s: 1, m: 60, h: 3600 }[timeout[2] ?? 's'] ?? 1) : 60;
  if (seconds < 300) problems.push(`nginx: proxy_read_timeout ${seconds}s closes idle subscriptions`);
  // nginx's default of 1,024 per worker process, two per proxied socket, caps subscribers near 500.
  const connections = Number(/worker_connections\s+(\d+)\s*;/.exec(code)?.[1] ?? 1024);
  if (connections < 4096) problems.push(`nginx: worker_connections ${connections} caps open sockets`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

type Manifest = Json & { apiVersion: string; kind: string; metadata: Json & { name: string } };

const API_VERSIONS: Record<string, string> = {
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  Job: 'batch/v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Ingress: 'networking.k8s.io/v1',
};

/** Every document of every .yaml under deploy/k8s (YAML 1.1, as Kubernetes reads it). */
export function loadManifests(files: Record<string, string>): { manifests: Manifest[]; problems: string[] } {
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (file === 'kustomization.yaml') continue;
    for (const document of parseAllDocuments(text, { version: '1.1' })) {
      for (const error of document.errors) problems.push(`${file}: ${error.message}`);
      const value = document.toJS() as unknown;
      if (value === null) continue;
      if (!isObject(value)) {
        problems.push(`${file}: a document that is not an object`);
        continue;
      }
      const where = `${file} ${value.kind ?? '?'}`;
      const expected = API_VERSIONS[String(value.kind)];
      if (!expected) problems.push(`${where}: unknown kind`);
      else if (value.apiVersion !== expected)
        problems.push(`${where}: apiVersion ${value.apiVersion}, expected ${expected}`);
      if (!isObject(value.metadata) || typeof value.metadata.name !== 'string')
        problems.push(`${where}: no metadata.name`);
      else manifests.push(value as Manifest);
    }
  }
  return { manifests, problems };
}

const get = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>(
    (at, key) => (at == null ? undefined : (at as Record<string | number, unknown>)[key]),
    value,
  );

const matches = (selector: unknown, labels: unknown) =>
  isObject(selector) &&
  Object.keys(selector).length > 0 &&
  isObject(labels) &&
  Object.entries(selector).every(([key, value]) => labels[key] === value);

export function checkManifests(files: Record<string, string>, context: Context): string[] {
  const { manifests, problems } = loadManifests(files);
  const find = (kind: string, name: string) =>
    manifests.find((item) => item.kind === kind && item.metadata.name === name);
  const dataOf = (item: Manifest | undefined): Record<string, unknown> => ({
    ...((item?.data as Json | undefined) ?? {}),
    ...((item?.stringData as Json | undefined) ?? {}),
  });
  for (const item of manifests.filter((entry) => entry.kind === 'ConfigMap' || entry.kind === 'Secret')) {
    for (const [key, value] of Object.entries(dataOf(item))) {
      // A bare 4000 or `on` is a number or a boolean to Kubernetes, which refuses the object.
      if (typeof value !== 'string')
        problems.push(`${item.kind} ${item.metadata.name}: ${key} is not a string`);
    }
  }
  const deployments = manifests.filter((item) => item.kind === 'Deployment');
  for (const deployment of deployments) {
    const where = `Deployment ${deployment.metadata.name}`;
    const template = get(deployment, 'spec', 'template') as Json | undefined;
    if (!matches(get(deployment, 'spec', 'selector', 'matchLabels'), get(template, 'metadata', 'labels'))) {
      problems.push(`${where}: spec.selector does not match the pod template's labels`);
    }
    const pod = (template?.spec ?? {}) as Json;
    const containers = (pod.containers ?? []) as Json[];
    const inits = (pod.initContainers ?? []) as Json[];
    if (containers.length === 0) problems.push(`${where}: no containers`);
    if (get(pod, 'securityContext', 'runAsNonRoot') !== true)
      problems.push(`${where}: runAsNonRoot is not set`);
    const volumes = (pod.volumes ?? []) as Json[];
    for (const container of [...inits, ...containers]) {
      problems.push(
        ...checkContainer(`${where} ${container.name}`, container, volumes, find, dataOf, context),
      );
    }
    const main = containers[0] ?? {};
    const env = resolveEnv(main, find, dataOf).env;
    if (env.MIGRATE_ON_START === 'false' && !inits.some((init) => get(init, 'args', 0) === 'migrate')) {
      problems.push(`${where}: MIGRATE_ON_START=false and no init container runs migrate`);
    }
    if (get(main, 'args', 0) === 'serve') {
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        if (!main[probe]) problems.push(`${where}: no ${probe}`);
      }
    }
  }
  const podLabels = deployments.map((item) => get(item, 'spec', 'template', 'metadata', 'labels'));
  for (const item of manifests) {
    const where = `${item.kind} ${item.metadata.name}`;
    if (item.kind === 'Service') {
      const selected = deployments.find((deployment) =>
        matches(get(item, 'spec', 'selector'), get(deployment, 'spec', 'template', 'metadata', 'labels')),
      );
      if (!selected) {
        problems.push(`${where}: selects no Deployment's pods`);
        continue;
      }
      const ports = (get(selected, 'spec', 'template', 'spec', 'containers', 0, 'ports') ?? []) as Json[];
      for (const port of (get(item, 'spec', 'ports') ?? []) as Json[]) {
        const target = port.targetPort ?? port.port;
        if (!ports.some((candidate) => candidate.name === target || candidate.containerPort === target)) {
          problems.push(`${where}: targetPort ${target} is no container port`);
        }
      }
    }
    if (item.kind === 'PodDisruptionBudget') {
      if (!podLabels.some((labels) => matches(get(item, 'spec', 'selector', 'matchLabels'), labels))) {
        problems.push(`${where}: selects no Deployment's pods`);
      }
      if (
        get(item, 'spec', 'minAvailable') === undefined &&
        get(item, 'spec', 'maxUnavailable') === undefined
      ) {
        problems.push(`${where}: needs minAvailable or maxUnavailable`);
      }
    }
    if (item.kind === 'HorizontalPodAutoscaler') {
      const target = String(get(item, 'spec', 'scaleTargetRef', 'name'));
      if (!find('Deployment', target))
        problems.push(`${where}: scales ${target}, which is not a Deployment here`);
      const min = Number(get(item, 'spec', 'minReplicas') ?? 1);
      const budget = manifests.find(
        (pdb) => pdb.kind === 'PodDisruptionBudget' && pdb.metadata.name === target,
      );
      const minAvailable = Number(get(budget, 'spec', 'minAvailable') ?? 0);
      // Otherwise a node drain waits for ever on a Deployment scaled down to its minimum.
      if (budget && minAvailable >= min)
        problems.push(`${where}: minReplicas ${min} ≤ the PDB's minAvailable ${minAvailable}`);
      if (Number(get(item, 'spec', 'maxReplicas')) < min)
        problems.push(`${where}: maxReplicas below minReplicas`);
    }
  }
  return problems;
}

type Find = (kind: string, name: string) => Manifest | undefined;
type DataOf = (item: Manifest | undefined) => Record<string, unknown>;

/** The environment a container gets: envFrom ConfigMaps and Secrets, then env (values and refs). */
function resolveEnv(container: Json, find: Find, dataOf: DataOf) {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  for (const source of (container.envFrom ?? []) as Json[]) {
    for (const [kind, key] of [
      ['ConfigMap', 'configMapRef'],
      ['Secret', 'secretRef'],
    ] as const) {
      const name = get(source, key, 'name');
      if (name === undefined) continue;
      const item = find(kind, String(name));
      if (!item) problems.push(`envFrom ${kind} ${name} is not defined in deploy/k8s`);
      for (const [variable, value] of Object.entries(dataOf(item))) env[variable] = String(value);
    }
  }
  for (const entry of (container.env ?? []) as Json[]) {
    const name = String(entry.name);
    if (entry.value !== undefined) {
      if (typeof entry.value !== 'string') problems.push(`env ${name} is not a string`);
      env[name] = String(entry.value);
      continue;
    }
    for (const [kind, key] of [
      ['Secret', 'secretKeyRef'],
      ['ConfigMap', 'configMapKeyRef'],
    ] as const) {
      const ref = get(entry, 'valueFrom', key) as Json | undefined;
      if (!ref) continue;
      const value = dataOf(find(kind, String(ref.name)))[String(ref.key)];
      if (value === undefined) problems.push(`env ${name}: ${kind} ${ref.name} has no key ${ref.key}`);
      env[name] = String(value ?? '');
    }
  }
  return { env, problems };
}

function checkContainer(
  where: string,
  container: Json,
  volumes: Json[],
  find: Find,
  dataOf: DataOf,
  context: Context,
): string[] {
  const problems: string[] = [];
  if (!container.image) problems.push(`${where}: no image`);
  problems.push(...checkCommand(where, container.args ?? container.command, context));
  const resolved = resolveEnv(container, find, dataOf);
  problems.push(...resolved.problems.map((problem) => `${where}: ${problem}`));
  const env = { ...resolved.env };
  // A *_FILE variable names a file from a mounted Secret: parse it with that Secret's content.
  for (const [name, path] of Object.entries(env).filter(([variable]) => variable.endsWith('_FILE'))) {
    const mount = ((container.volumeMounts ?? []) as Json[]).find((entry) =>
      path.startsWith(`${entry.mountPath}/`),
    );
    const volume = volumes.find((entry) => entry.name === mount?.name);
    const secret = find('Secret', String(get(volume, 'secret', 'secretName')));
    const file = path.slice(String(mount?.mountPath).length + 1);
    const items = get(volume, 'secret', 'items') as Json[] | undefined;
    const key = items ? items.find((item) => item.path === file)?.key : file;
    const content = key === undefined ? undefined : dataOf(secret)[String(key)];
    if (!mount || content === undefined) {
      problems.push(`${where}: ${name}=${path} is in no mounted Secret`);
      continue;
    }
    const scratch = join(context.scratch, `${name}-${Math.random().toString(36).slice(2)}`);
    writeFileSync(scratch, String(content));
    env[name] = scratch;
  }
  problems.push(...checkEnvironment(where, env));
  for (const mount of (container.volumeMounts ?? []) as Json[]) {
    if (!volumes.some((volume) => volume.name === mount.name))
      problems.push(`${where}: mounts undeclared volume ${mount.name}`);
  }
  const ports = (container.ports ?? []) as Json[];
  const port = Number(env.PORT ?? 4000);
  if (ports.length > 0 && !ports.some((entry) => entry.containerPort === port)) {
    problems.push(
      `${where}: PORT is ${port} but the container ports are ${ports.map((entry) => entry.containerPort).join(', ')}`,
    );
  }
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const http = get(container, probe, 'httpGet') as Json | undefined;
    if (!http) continue;
    if (!SERVER_ROUTES.includes(String(http.path)) || http.path === '/graphql') {
      problems.push(`${where}: ${probe} asks ${http.path}, which is not /health or /ready`);
    }
    if (!ports.some((entry) => entry.name === http.port || entry.containerPort === http.port)) {
      problems.push(`${where}: ${probe} port ${http.port} is no container port`);
    }
  }
  const requests = get(container, 'resources', 'requests') as Json | undefined;
  const limits = get(container, 'resources', 'limits') as Json | undefined;
  if (!requests?.cpu || !requests.memory) problems.push(`${where}: no cpu and memory requests`);
  if (!limits?.memory) problems.push(`${where}: no memory limit`);
  else if (requests?.memory && quantity(String(limits.memory)) < quantity(String(requests.memory))) {
    problems.push(`${where}: memory limit below the request`);
  }
  if (get(container, 'securityContext', 'allowPrivilegeEscalation') !== false) {
    problems.push(`${where}: allowPrivilegeEscalation is not false`);
  }
  return problems;
}

/** A Kubernetes memory quantity in bytes (Ki, Mi, Gi, k, M, G). */
function quantity(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]i?|k)?$/.exec(value);
  if (!match) return Number.NaN;
  const unit = match[2] ?? '';
  const scale: Record<string, number> = {
    '': 1,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
  };
  return Number(match[1]) * (scale[unit] ?? Number.NaN);
}

/** kustomization.yaml must list every manifest except the example Secret, and only existing ones. */
export function checkKustomization(text: string, files: string[]): string[] {
  const problems: string[] = [];
  const resources = ((parse(text) as Json).resources ?? []) as string[];
  for (const resource of resources) {
    if (!files.includes(resource)) problems.push(`kustomization: ${resource} does not exist`);
  }
  for (const file of files) {
    if (file !== 'kustomization.yaml' && !file.includes('example') && !resources.includes(file)) {
      problems.push(`kustomization: ${file} is not listed`);
    }
  }
  return problems;
}

/** The deployment files as they are in the repository. */
export function readDeployFiles() {
  const k8sDir = join(DEPLOY, 'k8s');
  const k8s = Object.fromEntries(
    readdirSync(k8sDir)
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => [file, readFileSync(join(k8sDir, file), 'utf8')]),
  );
  return {
    dockerfile: readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8'),
    dockerignore: readFileSync(join(ROOT, '.dockerignore'), 'utf8'),
    compose: readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'),
    dotenv: readFileSync(join(DEPLOY, '.env.example'), 'utf8'),
    nginx: readFileSync(join(DEPLOY, 'nginx.conf'), 'utf8'),
    k8s,
  };
}
