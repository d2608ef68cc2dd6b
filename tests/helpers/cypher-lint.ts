import {
  highlightSyntax,
  isNotParamError,
  lintCypherQuery,
  parseParameters,
  parseStatementsStrs,
} from '@neo4j-cypher/language-support';
import { splitCypher } from '../../src/graph/cypher.ts';

/**
 * The dialects the mirror's Cypher must parse in: Neo4j 5 speaks Cypher 5; 2025.x speaks Cypher 5
 * by default and Cypher 25 when asked, so a statement must be valid in both.
 */
export const CYPHER_VERSIONS = ['CYPHER 5', 'CYPHER 25'] as const;

/** LSP severities: 1 error, 2 warning (deprecations and cartesian products among them); both fail. */
const WORST_SEVERITY = 2;

/**
 * Number literals a statement may write: 0 and 1 are structure (list indexes, `range(0, n - 1)`),
 * not data. Anything else is a value the caller should pass as a parameter, except hop bounds,
 * which Cypher accepts only as literals.
 */
const STRUCTURAL_NUMBERS = new Set(['0', '1']);

type Diagnostic = ReturnType<typeof lintCypherQuery>['diagnostics'][number];

function messageOf(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}

/**
 * The linter's problems, less "Parameter $x is not defined": it would know parameters only from a
 * live database's session; the header check below covers them instead.
 */
function problemsOf(diagnostics: readonly Diagnostic[], worst: number): Diagnostic[] {
  return diagnostics.filter(
    (diagnostic) =>
      isNotParamError({ message: messageOf(diagnostic) }) && (diagnostic.severity ?? 1) <= worst,
  );
}

/**
 * Features the parser accepts as Cypher 5 (it knows the latest Cypher 5) that an older Neo4j 5, or
 * Community, or a plain transaction, would refuse: the parser cannot tell, so they are named here.
 */
const NEEDS_MORE: readonly [RegExp, string][] = [
  [/\bSHORTEST\b/i, 'SHORTEST needs Neo4j 5.21: use shortestPath()'],
  [/\)\s*\{\s*\d*\s*,?\s*\d*\s*\}/, 'quantified path patterns need Neo4j 5.9: use *min..max'],
  [/\bCOUNT\s*\{/i, 'COUNT { } needs Neo4j 5.3: use OPTIONAL MATCH and count()'],
  [/\bCOLLECT\s*\{/i, 'COLLECT { } needs Neo4j 5.6'],
  [/\bCALL\s*\(/i, 'scoped CALL ( ) { } needs Neo4j 5.23'],
  [/\bIN\s+TRANSACTIONS\b/i, 'CALL { } IN TRANSACTIONS runs only in auto-commit sessions'],
  [/\bapoc\./i, 'APOC is not assumed'],
  [
    /\bREQUIRE\b[\s\S]*\bIS\s+(NODE\s+KEY|RELATIONSHIP\s+KEY|REL\s+KEY|NOT\s+NULL|::|TYPED\b)/i,
    'key, existence and type constraints are Enterprise only',
  ],
  [/\bFOR\s*\(\s*\)\s*-\s*\[[^\]]*\]\s*-\s*\(\s*\)\s*REQUIRE\b/i, 'relationship constraints need Neo4j 5.7'],
];

interface Token {
  token: string;
  tokenType: string;
}

/** Whether the number at `index` bounds a variable-length relationship: `*2`, `*..6`, `*0..2`. */
function isHopBound(tokens: readonly Token[], index: number): boolean {
  const before = tokens[index - 1]?.token;
  if (before === '*') return true;
  if (before !== '..') return false;
  const twoBefore = tokens[index - 2];
  if (twoBefore?.token === '*') return true;
  return twoBefore?.tokenType === 'numberLiteral' && tokens[index - 3]?.token === '*';
}

/** Every problem of one `.cypher` file's text, each as a line a failing test can print. */
export function lintCypherFile(text: string, options: { schema?: boolean } = {}): string[] {
  const problems: string[] = [];
  const { header, statement } = splitCypher(text);
  if (!header) problems.push('no `//` header documenting the statement');
  if (!statement) return [...problems, 'no statement'];

  for (const version of CYPHER_VERSIONS) {
    const { diagnostics } = lintCypherQuery(statement, { defaultLanguage: version });
    for (const diagnostic of problemsOf(diagnostics, WORST_SEVERITY)) {
      const { line, character } = diagnostic.range.start;
      problems.push(`${version} at ${line + 1}:${character + 1}: ${messageOf(diagnostic)}`);
    }
  }
  const statements = parseStatementsStrs(statement).filter((part) => part.trim() !== '');
  if (statements.length !== 1) problems.push(`holds ${statements.length} statements, not one`);
  if (statement.endsWith(';')) problems.push('ends with `;` (the driver sends one statement)');

  const used = new Set(parseParameters(statement, false));
  for (const name of used) {
    if (!new RegExp(`\\$${name}\\b`).test(header)) problems.push(`$${name} is used but not documented`);
  }
  for (const [, name] of header.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (name && !used.has(name)) problems.push(`$${name} is documented but not used`);
  }

  const tokens = highlightSyntax(statement) as Token[];
  tokens.forEach((token, index) => {
    if (token.tokenType === 'stringLiteral') problems.push(`string literal ${token.token}: use a parameter`);
    if (token.tokenType === 'numberLiteral' && !STRUCTURAL_NUMBERS.has(token.token)) {
      if (!isHopBound(tokens, index)) problems.push(`number literal ${token.token}: use a parameter`);
    }
  });

  for (const [pattern, reason] of NEEDS_MORE) if (pattern.test(statement)) problems.push(reason);

  if (options.schema && !/\bIF\s+NOT\s+EXISTS\b/i.test(statement))
    problems.push('schema without IF NOT EXISTS');
  return problems;
}

/** Syntax errors of a Neo4j Browser script (console commands such as `:param` allowed). */
export function lintBrowserScript(script: string): string[] {
  return CYPHER_VERSIONS.flatMap((version) =>
    problemsOf(
      lintCypherQuery(script, { defaultLanguage: version }, { consoleCommandsEnabled: true }).diagnostics,
      1,
    ).map((diagnostic) => `${version} at line ${diagnostic.range.start.line + 1}: ${messageOf(diagnostic)}`),
  );
}
