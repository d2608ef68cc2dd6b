import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CYPHER_ROOT,
  loadCypher,
  MIRROR_STATEMENTS,
  SCHEMA_STATEMENTS,
  splitCypher,
} from '../src/graph/cypher.ts';

function statementsIn(folder: string): string[] {
  return readdirSync(join(CYPHER_ROOT, folder))
    .filter((name) => name.endsWith('.cypher'))
    .map((name) => `${folder}/${name.slice(0, -'.cypher'.length)}`)
    .sort();
}

describe('splitCypher', () => {
  it('separates the leading // header (blank lines included) from the statement', () => {
    const text = '// What it does.\n//   $x: an int.\n\nMATCH (n)\n// kept: inside the statement\nRETURN n\n';
    expect(splitCypher(text)).toEqual({
      header: 'What it does.\n  $x: an int.',
      statement: 'MATCH (n)\n// kept: inside the statement\nRETURN n',
    });
  });

  it('reads CRLF files and files without a header', () => {
    expect(splitCypher('// a\r\nRETURN $x\r\n')).toEqual({ header: 'a', statement: 'RETURN $x' });
    expect(splitCypher('RETURN $x')).toEqual({ header: '', statement: 'RETURN $x' });
  });
});

describe('loadCypher', () => {
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it('loads every statement the mirror names, without its header, from any working directory', () => {
    process.chdir(tmpdir());
    for (const path of [...SCHEMA_STATEMENTS, ...Object.values(MIRROR_STATEMENTS)]) {
      const statement = loadCypher(path);
      const file = readFileSync(join(CYPHER_ROOT, `${path}.cypher`), 'utf8');
      expect(file.startsWith('//'), path).toBe(true);
      expect(statement.startsWith('//'), path).toBe(false);
      expect(file.trimEnd().endsWith(statement), path).toBe(true);
      expect(loadCypher(path)).toBe(statement);
    }
  });

  it('names every schema, write and read file, so none is forgotten by the mirror', () => {
    expect([...SCHEMA_STATEMENTS].sort()).toEqual(statementsIn('schema'));
    expect(Object.values(MIRROR_STATEMENTS).sort()).toEqual(
      [...statementsIn('write'), ...statementsIn('read')].sort(),
    );
  });

  it('refuses paths outside graph/ and says which file is missing', () => {
    expect(() => loadCypher('../package')).toThrow(/inside graph/);
    expect(() => loadCypher('/etc/passwd')).toThrow(/inside graph/);
    expect(() => loadCypher('write/no-such-statement')).toThrow(/no-such-statement\.cypher/);
  });
});
