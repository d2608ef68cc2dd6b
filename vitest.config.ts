import { createRequire } from 'node:module';
import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { probeTestDatabases, type TestDatabaseKind } from './tests/helpers/probe.ts';

const require = createRequire(import.meta.url);

/**
 * The suite runs once per database: always on SQLite, and on PostgreSQL and MariaDB when they
 * answer (see tests/helpers/database.ts for where). ENGRAM_TEST_REQUIRE=postgresql,mariadb turns a
 * missing service into a failure instead of a skip (CI sets it).
 */
export default defineConfig(async (): Promise<ViteUserConfig> => {
  const { available, skipped } = await probeTestDatabases();
  // The config is evaluated more than once per run: say it once.
  if (!process.env.ENGRAM_SKIPS_REPORTED) {
    process.env.ENGRAM_SKIPS_REPORTED = '1';
    for (const [kind, reason] of skipped) process.stdout.write(`\nSKIPPED the ${kind} suite: ${reason}\n`);
  }
  const required = (process.env.ENGRAM_TEST_REQUIRE ?? '').split(',').filter(Boolean);
  const missing = required.filter((kind) => !available.includes(kind as TestDatabaseKind));
  if (missing.length > 0) throw new Error(`required test databases are unavailable: ${missing.join(', ')}`);
  return {
    resolve: {
      // graphql 16 has no "exports": Node (and so every dependency) loads its CommonJS build, while
      // Vite would pick the ESM one for our sources. Two copies break `instanceof`; use Node's.
      alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    },
    test: {
      reporters: ['default', './tests/helpers/summary-reporter.ts'],
      // Native drivers (better-sqlite3) are safest in child processes; each file gets its own database.
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      projects: available.map((kind) => ({
        extends: true,
        test: { name: kind, include: ['tests/**/*.test.ts'], env: { ENGRAM_TEST_DATABASE: kind } },
      })),
    },
  };
});
