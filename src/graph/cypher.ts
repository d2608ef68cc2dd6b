/**
 * The Cypher of the Neo4j mirror, kept as data under graph/ (one statement per `.cypher` file, its
 * parameters documented in a `//` header; graph/README.md describes the model). This module only
 * finds and reads those files; the mirror sends them with parameters, never with values spliced in.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** graph/ of the package, found from this file rather than the working directory. */
export const CYPHER_ROOT = fileURLToPath(new URL('../../graph/', import.meta.url));

/** Constraints and indexes, each `IF NOT EXISTS`: run them all (any order) before the first write. */
export const SCHEMA_STATEMENTS = [
  'schema/name-unique',
  'schema/name-entity',
  'schema/triple-id',
  'schema/triple-entity-id',
  'schema/mirror-unique',
] as const;

/** The statements the mirror and `engram graph verify` run, by what they do. */
export const MIRROR_STATEMENTS = {
  upsertTriples: 'write/upsert-triples',
  deleteTriples: 'write/delete-triples',
  eraseEntity: 'write/erase-entity',
  readPosition: 'write/read-position',
  advancePosition: 'write/advance-position',
  claimPosition: 'write/claim-position',
  listTriples: 'read/list-triples',
  countEntity: 'read/count-entity',
  listEntities: 'read/list-entities',
} as const;

export type SchemaStatement = (typeof SCHEMA_STATEMENTS)[number];
export type MirrorStatementName = keyof typeof MIRROR_STATEMENTS;
export type MirrorStatement = (typeof MIRROR_STATEMENTS)[MirrorStatementName];

/** A `.cypher` file split into its leading `//` header and the statement after it. */
export interface CypherFile {
  /** The header's lines without their `//`. */
  header: string;
  /** The statement, trimmed. */
  statement: string;
}

export function splitCypher(text: string): CypherFile {
  const lines = text.split(/\r?\n/);
  let start = 0;
  while (start < lines.length && /^\s*(\/\/.*)?$/.test(lines[start] as string)) start += 1;
  const header = lines
    .slice(0, start)
    .map((line) => line.replace(/^\s*\/\/ ?/, ''))
    .join('\n')
    .trim();
  return { header, statement: lines.slice(start).join('\n').trim() };
}

const cache = new Map<string, string>();

/**
 * The statement of graph/<relativePath>.cypher, header removed; read once per process. Only paths
 * inside graph/ are accepted, so a name cannot reach another file.
 */
export function loadCypher(relativePath: string): string {
  const cached = cache.get(relativePath);
  if (cached !== undefined) return cached;
  const clean = normalize(relativePath);
  if (isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`)) {
    throw new Error(`Cypher path must stay inside graph/: ${relativePath}`);
  }
  const { statement } = splitCypher(readFileSync(join(CYPHER_ROOT, `${clean}.cypher`), 'utf8'));
  if (!statement) throw new Error(`graph/${relativePath}.cypher holds no statement`);
  cache.set(relativePath, statement);
  return statement;
}
