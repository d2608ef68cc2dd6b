// Writes the next migration for each provider from the difference between the committed
// migrations and prisma/schema.prisma:  npm run migration:new -- <name>
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run migration:new -- <name in lower_snake_case>');
  process.exit(64);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
// MySQL has no connector in the wasm engine: draft it with mysql-migration.mjs and prove it on MariaDB.
for (const provider of ['sqlite', 'postgresql', 'cockroachdb']) {
  const dir = path.join(root, 'prisma/migrations', provider);
  // Replaying the committed migrations needs a shadow database of the same kind.
  const shadow =
    provider === 'postgresql'
      ? (process.env.SHADOW_PARENT_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres')
      : provider === 'cockroachdb'
        ? process.env.COCKROACH_SHADOW_PARENT_URL
        : undefined;
  if (provider !== 'sqlite' && !shadow) {
    console.log(
      `${provider}: skipped (set COCKROACH_SHADOW_PARENT_URL to a CockroachDB to write its migration)`,
    );
    continue;
  }
  const sql = execFileSync(
    process.execPath,
    [
      path.join(root, 'prisma/tools/migration-diff.mjs'),
      path.join(root, `prisma/generated/${provider}/schema.prisma`),
      provider,
      '--from-migrations',
      dir,
    ],
    { encoding: 'utf8', env: { ...process.env, SHADOW_PARENT_URL: shadow ?? '' } },
  );
  if (sql.includes('This is an empty migration')) {
    console.log(`${provider}: no change`);
    continue;
  }
  const target = path.join(dir, `${stamp}_${name}`);
  mkdirSync(target, { recursive: true });
  writeFileSync(path.join(target, 'migration.sql'), sql);
  console.log(`${provider}: wrote ${path.relative(root, target)}/migration.sql`);
}
