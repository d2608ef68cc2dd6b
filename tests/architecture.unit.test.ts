import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies point one way: the interface (HTTP, GraphQL, planned reads) uses the domain
 * (services), the domain uses the stores, and nothing below imports what sits above it. This test
 * reads every import under src/ (no database) and checks that rule, so a back edge fails CI
 * instead of waiting for a review.
 *
 * A unit is a folder directly under src/ (`schema`, `services`...) or a file directly under src/
 * (`index.ts`, `app.ts`...). A unit may import any unit of its own rank or lower, and the units
 * must form no cycle. A new folder or top-level file fails the test until it is placed here.
 */
const RANKS: Record<string, number> = {
  // Bootstrap: the CLI entry point and its commands.
  'index.ts': 7,
  cli: 6,
  // The HTTP and WebSocket server.
  'app.ts': 5,
  // The interface layer: what turns requests into service calls.
  http: 4,
  // The MCP server's tools and its HTTP transport: another interface over the services.
  mcp: 4,
  'planned-reads': 4,
  // The LLM proxy (/v1/chat/completions, /v1/messages): recall before, record after a model call.
  proxy: 4,
  schema: 3.5,
  // The composition root: builds the services and stores from the configuration.
  'engram.ts': 3,
  // The gauges the composition root registers from the parts it built.
  'engram-metrics.ts': 3,
  // The configuration by concern, each section typed by the options of the module it configures.
  config: 2.8,
  // The augmentation runner and its extractors: it writes through the services.
  augment: 2.5,
  // The domain: memory rules; imports nothing from the interface or the runner.
  services: 2,
  // Backups, moves and archives of the whole database: domain work beside the services (audited).
  backup: 2,
  // Stores and infrastructure.
  db: 1,
  // The knowledge graph's SQL and searches (neighbourhoods, paths, node lists).
  graph: 1,
  search: 1,
  // The Neo4j mirror: follows the outbox the services write and sends it to Neo4j.
  mirror: 1,
  embed: 1,
  events: 1,
  auth: 1,
  observability: 1,
  runtime: 1,
  providers: 1,
  jobs: 1,
  // PII detection and masking: pure text functions the services and provider edges call.
  redact: 1,
  // Base errors everything may throw.
  'errors.ts': 0,
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
/** Generated code (the Prisma clients) is not ours to layer; importing it counts as importing `db`. */
const excluded = join(src, 'db', 'generated');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === excluded ? [] : sourceFiles(path);
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** The unit a path under src/ belongs to: its first segment (a folder, or a top-level file). */
function unitOf(path: string): string {
  return relative(src, path).split(sep)[0] as string;
}

interface Edge {
  /** Where the import is written, `src/...:line`. */
  at: string;
  from: string;
  to: string;
  /** The import specifier as written. */
  target: string;
}

/** Every relative import (static, re-export, dynamic and type-only) between two units. */
function crossUnitImports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName, pos } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const from = unitOf(file);
      const to = unitOf(resolve(dirname(file), fileName));
      if (from === to) continue;
      const line = text.slice(0, pos).split('\n').length;
      edges.push({ at: `${relative(root, file)}:${line}`, from, to, target: fileName });
    }
  }
  return edges;
}

/** Cycles of the unit graph, each as a path `a -> b -> a` (one per strongly connected component). */
function cycles(edges: Edge[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (unit: string, path: string[]): void => {
    const seen = path.indexOf(unit);
    if (seen >= 0) {
      const cycle = [...path.slice(seen), unit];
      const key = [...new Set(cycle)].sort().join(',');
      if (!found.some((entry) => entry.startsWith(`${key}|`))) found.push(`${key}|${cycle.join(' -> ')}`);
      return;
    }
    if (done.has(unit)) return;
    for (const to of next.get(unit) ?? []) visit(to, [...path, unit]);
    done.add(unit);
  };
  for (const unit of [...next.keys()].sort()) visit(unit, []);
  return found.map((entry) => entry.split('|')[1] as string);
}

describe('dependencies point one way (no database)', () => {
  const edges = crossUnitImports();

  it('finds the imports it checks', () => {
    // A parser that found nothing would pass every rule below.
    expect(edges.some((edge) => edge.from === 'schema' && edge.to === 'services')).toBe(true);
  });

  it('places every folder and top-level file of src/ in the rank table', () => {
    const units = new Set(sourceFiles(src).map(unitOf));
    const unplaced = [...units].filter((unit) => !(unit in RANKS)).sort();
    expect(unplaced, 'add these to RANKS in tests/architecture.test.ts').toEqual([]);
  });

  it('imports only units of its own rank or lower', () => {
    const upward = edges
      .filter(({ from, to }) => (RANKS[to] ?? Infinity) > (RANKS[from] ?? -Infinity))
      .map(
        ({ at, from, to, target }) =>
          `${at} -> ${target} (${from} ${RANKS[from]} imports ${to} ${RANKS[to]})`,
      );
    expect(upward, 'imports that point up a layer').toEqual([]);
  });

  it('has no cycle between units', () => {
    const found = cycles(edges).map((cycle) => {
      const units = cycle.split(' -> ');
      const imports = units.slice(1).map((to, index) => {
        const from = units[index];
        const edge = edges.find((candidate) => candidate.from === from && candidate.to === to);
        return `  ${edge?.at} -> ${edge?.target}`;
      });
      return [cycle, ...imports].join('\n');
    });
    expect(found, 'import cycles between units').toEqual([]);
  });
});
