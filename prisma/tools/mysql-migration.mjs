// Drafts MySQL/MariaDB DDL from a PostgreSQL migration written by migration-diff.mjs: Prisma's
// wasm schema engine has no MySQL connector. Column types come from the mysql schema's @db
// attributes (prisma/generated/mysql/schema.prisma); the output follows the Prisma CLI's MySQL
// style (indexes inside CREATE TABLE, utf8mb4), with binary collation so that external ids and
// names compare case-sensitively, as they do on PostgreSQL and SQLite. Review the draft, then prove it on MariaDB with
// the test suite (tests/migrations.test.ts compares the tables with the schema).
//
//   node prisma/tools/mysql-migration.mjs <postgresql migration.sql> > migration.sql
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pg = readFileSync(process.argv[2], 'utf8');
const schema = readFileSync(path.join(root, 'prisma/generated/mysql/schema.prisma'), 'utf8');

// table -> column -> native type, from `@map`/`@@map` and `@db.X` in the mysql schema.
const nativeTypes = new Map();
for (const [, body] of schema.matchAll(/model \w+ \{\n([\s\S]*?)\n\}/g)) {
  const table = body.match(/@@map\("(\w+)"\)/)?.[1];
  const columns = new Map();
  for (const line of body.split('\n')) {
    const field = line.match(/^\s+(\w+)\s+\w+\??\s/);
    const type = line.match(/@db\.(\w+(?:\(\d+\))?)/);
    if (!field || !type) continue;
    const column = line.match(/@map\("(\w+)"\)/)?.[1] ?? field[1];
    columns.set(
      column,
      type[1].replace(/^(\w+)/, (name) => name.toUpperCase()),
    );
  }
  nativeTypes.set(table, columns);
}

const enums = new Map(
  [...pg.matchAll(/CREATE TYPE "(\w+)" AS ENUM \(([^)]*)\);/g)].map(([, name, values]) => [name, values]),
);
const indexes = new Map();
for (const [, unique, name, table, columns] of pg.matchAll(
  /CREATE (UNIQUE )?INDEX "(\w+)" ON "(\w+)"\(([^)]*)\);/g,
)) {
  const list = indexes.get(table) ?? [];
  list.push(`    ${unique ? 'UNIQUE ' : ''}INDEX \`${name}\`(${columns.replaceAll('"', '`')}),`);
  indexes.set(table, list);
}

const out = [];
for (const [, table, body] of pg.matchAll(/CREATE TABLE "(\w+)" \(\n([\s\S]*?)\n\);/g)) {
  const lines = [];
  let primaryKey = '';
  for (const raw of body.split('\n')) {
    const line = raw.trim().replace(/,$/, '');
    if (!line) continue;
    const pk = line.match(/^CONSTRAINT "\w+" PRIMARY KEY \(([^)]*)\)$/);
    if (pk) {
      primaryKey = `    PRIMARY KEY (${pk[1].replaceAll('"', '`')})`;
      continue;
    }
    const [, column, rest] = line.match(/^"(\w+)" (.*)$/);
    let definition = rest
      .replace(/^SERIAL NOT NULL/, 'INTEGER NOT NULL AUTO_INCREMENT')
      .replace(/^TIMESTAMP\(3\)/, 'DATETIME(3)')
      .replace('DEFAULT CURRENT_TIMESTAMP', 'DEFAULT CURRENT_TIMESTAMP(3)')
      .replace(/^BYTEA/, 'LONGBLOB');
    const enumType = definition.match(/^"(\w+)"/)?.[1];
    if (enumType) definition = definition.replace(`"${enumType}"`, `ENUM(${enums.get(enumType)})`);
    if (/^TEXT\b/.test(definition)) {
      definition = definition.replace(/^TEXT/, nativeTypes.get(table)?.get(column) ?? 'VARCHAR(191)');
    }
    lines.push(`    \`${column}\` ${definition},`);
  }
  out.push(
    `-- CreateTable\nCREATE TABLE \`${table}\` (\n${lines.join('\n')}\n\n${[...(indexes.get(table) ?? []), primaryKey].join('\n')}\n) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;\n`,
  );
}
for (const [statement] of pg.matchAll(/ALTER TABLE "\w+" ADD CONSTRAINT "\w+" FOREIGN KEY [^;]*;/g)) {
  out.push(`-- AddForeignKey\n${statement.replaceAll('"', '`')}\n`);
}
process.stdout.write(out.join('\n'));
