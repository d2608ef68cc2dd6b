import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CYPHER_ROOT } from '../src/graph/cypher.ts';
import { lintBrowserScript, lintCypherFile } from './helpers/cypher-lint.ts';

/**
 * Every `.cypher` file under graph/ parses as Cypher 5 and Cypher 25 (Neo4j 5 and 2025.x), holds
 * one statement, documents each parameter it uses in its header, and takes its values as
 * parameters. No Neo4j runs here: this is what can be checked without one.
 */
function cypherFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return cypherFiles(path);
      return entry.name.endsWith('.cypher') ? [path] : [];
    })
    .sort();
}

const files = cypherFiles(CYPHER_ROOT).map((path) => relative(CYPHER_ROOT, path).split(sep).join('/'));

describe('the Cypher files under graph/', () => {
  it('exist in every folder the mirror reads', () => {
    for (const folder of ['schema', 'write', 'read', 'explore']) {
      expect(files.filter((file) => file.startsWith(`${folder}/`)).length, folder).toBeGreaterThan(0);
    }
  });

  it.each(files)('%s lints clean', (file) => {
    const text = readFileSync(join(CYPHER_ROOT, file), 'utf8');
    expect(lintCypherFile(text, { schema: file.startsWith('schema/') })).toEqual([]);
  });

  it('the worked examples of graph/README.md parse as Browser scripts', () => {
    const readme = readFileSync(join(CYPHER_ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```cypher\n([\s\S]*?)```/g)].map((match) => match[1] as string);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(lintBrowserScript(block), block).toEqual([]);
  });
});

describe('the Cypher lint', () => {
  const header = '// Parameters:\n//   $entity: string.\n';
  const good = `${header}MATCH (n:EngramName {entity: $entity}) RETURN n.name AS name`;

  it('passes a good file', () => {
    expect(lintCypherFile(good)).toEqual([]);
  });

  it('fails a syntax error in either dialect', () => {
    const problems = lintCypherFile(`${header}MATCH (n:EngramName {entity: $entity}) RETRN n`);
    expect(problems.some((problem) => problem.startsWith('CYPHER 5') && /RETRN/.test(problem))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('CYPHER 25') && /RETRN/.test(problem))).toBe(true);
  });

  it('fails a semantic error (a variable never bound)', () => {
    expect(lintCypherFile(`${header}MATCH (n:EngramName {entity: $entity}) RETURN m`).join('\n')).toMatch(
      /Variable `m` not defined/,
    );
  });

  it('fails what either dialect refuses or deprecates', () => {
    const scope = `${header}MATCH (n:EngramName {entity: $entity})`;
    expect(lintCypherFile(`${scope} RETURN (n)--() AS p`).join('\n')).toMatch(/pattern expression/);
    const cypher25Only = lintCypherFile(`${scope} LET x = n.name RETURN x`);
    expect(cypher25Only.some((problem) => problem.startsWith('CYPHER 5 ') && /LET/.test(problem))).toBe(true);
    expect(lintCypherFile(`${scope} RETURN id(n) AS x`).join('\n')).toMatch(/deprecated function/);
  });

  it('fails features Neo4j 5 Community (5.0 on) or a managed transaction lacks', () => {
    const scope = `${header}MATCH (n:EngramName {entity: $entity})`;
    expect(lintCypherFile(`${header}MATCH p = SHORTEST 1 (a {entity: $entity})--+(b) RETURN p`)).toContain(
      'SHORTEST needs Neo4j 5.21: use shortestPath()',
    );
    expect(lintCypherFile(`${header}MATCH p = (a {entity: $entity})(()--()){1,3}(b) RETURN p`)).toContain(
      'quantified path patterns need Neo4j 5.9: use *min..max',
    );
    expect(lintCypherFile(`${scope} RETURN COUNT { (n)--() } AS degree`)).toContain(
      'COUNT { } needs Neo4j 5.3: use OPTIONAL MATCH and count()',
    );
    const schema = '// Parameters: none.\nCREATE CONSTRAINT c IF NOT EXISTS FOR ';
    expect(lintCypherFile(`${schema}(n:EngramName) REQUIRE (n.entity, n.name) IS NODE KEY`)).toEqual([
      'key, existence and type constraints are Enterprise only',
    ]);
    expect(lintCypherFile(`${schema}(n:EngramName) REQUIRE n.entity IS NOT NULL`)).toEqual([
      'key, existence and type constraints are Enterprise only',
    ]);
    expect(lintCypherFile(`${schema}()-[t:TRIPLE]-() REQUIRE t.id IS UNIQUE`)).toEqual([
      'relationship constraints need Neo4j 5.7',
    ]);
    expect(lintCypherFile(`${scope} WHERE n.type IS NOT NULL RETURN n.name AS name`)).toEqual([]);
    expect(lintCypherFile(`${scope} CALL (n) { DETACH DELETE n } IN TRANSACTIONS`)).toEqual(
      expect.arrayContaining([
        'scoped CALL ( ) { } needs Neo4j 5.23',
        'CALL { } IN TRANSACTIONS runs only in auto-commit sessions',
      ]),
    );
  });

  it('fails an undocumented parameter and a documented one left unused', () => {
    const problems = lintCypherFile(`${header}MATCH (n:EngramName {name: $name}) RETURN n`);
    expect(problems).toContain('$name is used but not documented');
    expect(problems).toContain('$entity is documented but not used');
  });

  it('fails a file without a header', () => {
    expect(lintCypherFile('MATCH (n) RETURN n')).toContain('no `//` header documenting the statement');
  });

  it('fails values written as literals, but not structure or hop bounds', () => {
    expect(lintCypherFile(`${header}MATCH (n {entity: $entity, name: 'Ana'}) RETURN n`)).toEqual([
      "string literal 'Ana': use a parameter",
    ]);
    expect(lintCypherFile(`${header}MATCH (n {entity: $entity}) RETURN n LIMIT 25`)).toEqual([
      'number literal 25: use a parameter',
    ]);
    const hops = `${header}MATCH p = (n {entity: $entity})-[:TRIPLE*0..2]-()-[:TRIPLE*..6]-()-[:TRIPLE*3]-()
      RETURN p, relationships(p)[0] AS first, size(relationships(p)) - 1 AS rest`;
    expect(lintCypherFile(hops)).toEqual([]);
  });

  it('fails two statements in one file, a trailing semicolon and schema without IF NOT EXISTS', () => {
    expect(lintCypherFile(`${good};\nMATCH (m) RETURN m`)).toContain('holds 2 statements, not one');
    expect(lintCypherFile(`${good};`)).toContain('ends with `;` (the driver sends one statement)');
    const schema = '// Parameters: none.\nCREATE INDEX i FOR (n:EngramName) ON (n.entity)';
    expect(lintCypherFile(schema, { schema: true })).toEqual(['schema without IF NOT EXISTS']);
  });

  it('fails a warning such as a cartesian product', () => {
    const problems = lintCypherFile(
      `${header}MATCH (a {entity: $entity}), (b {entity: $entity}) RETURN a, b`,
    );
    expect(problems.join('\n')).toMatch(/cartesian product/);
  });
});
