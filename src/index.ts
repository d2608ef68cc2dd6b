#!/usr/bin/env node
import { Command } from 'commander';

/**
 * The `engram` command line. Each command lives in src/cli/ and starts Engram through the
 * composition root (src/engram.ts); commands load only what they use.
 */
const program = new Command('engram').description('Engram: a memory server for AI applications');

program
  .command('serve', { isDefault: true })
  .description('serve the GraphQL API (migrating the database first unless MIGRATE_ON_START=false)')
  .action(async () => (await import('./cli/serve.ts')).serve());

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => (await import('./cli/migrate.ts')).migrate());

program
  .command('reindex')
  .description('rebuild the vector index from the database, with progress, and save it')
  .option('--embed', 'first embed facts that have no vector from the configured model')
  .option(
    '--verify',
    'only compare the saved index (after replaying changes) with the database; exit 1 on a mismatch',
  )
  .action(async (flags: { embed?: boolean; verify?: boolean }) =>
    (await import('./cli/reindex.ts')).reindex(flags),
  );

program
  .command('export')
  .description(
    'write a backup (gzip NDJSON, with progress): the whole database, or the entities named; --format jsonl writes GDPR export documents instead',
  )
  .argument('[externalIds...]', 'the entities to export (none: the whole database)')
  .option('--all', 'the whole database (with --format jsonl: every entity)')
  .option('-o, --out <file>', 'write to this file (created with mode 600) instead of stdout')
  .option('--format <format>', 'backup (default) or jsonl')
  .action(async (ids: string[], flags: { all?: boolean; out?: string; format?: string }) =>
    (await import('./cli/export.ts')).exportCommand(ids, flags),
  );

program
  .command('import')
  .description(
    'import a backup (checked whole, then one transaction) or a JSON Lines export; existing entities are refused',
  )
  .argument('<file>', 'a file written by `engram export`')
  .action(async (file: string) => (await import('./cli/import.ts')).importCommand(file));

program
  .command('archive')
  .description(
    'move conversations older than a threshold to a cold-storage file and delete them from the database',
  )
  .requiredOption('--older-than <age>', 'e.g. 365d, 12w, 48h')
  .requiredOption('-o, --out <file>', 'the archive file (created with mode 600; must not exist)')
  .action(async (flags: { olderThan: string; out: string }) =>
    (await import('./cli/archive.ts')).archive(flags),
  );

program
  .command('restore')
  .description(
    'bring archived conversations back (skipping those of erased entities, and those already back)',
  )
  .argument('<file>', 'a file written by `engram archive`')
  .action(async (file: string) => (await import('./cli/archive.ts')).restore(file));

program
  .command('retention')
  .description('delete now what the RETENTION_* settings no longer keep, in batches, with progress')
  .action(async () => (await import('./cli/retention.ts')).retention());

program
  .command('erase')
  .description(
    'erase entities and everything about them (GDPR erasure), including their vectors in the index snapshots; cannot be undone',
  )
  .argument('<externalId...>', 'external ids of the entities')
  .action(async (externalIds: string[]) => (await import('./cli/erase.ts')).erase(externalIds));

program
  .command('graph')
  .description(
    'the Neo4j mirror (NEO4J_URL): verify compares it with the database (exit 1 on a difference); resync rebuilds it',
  )
  .argument('<action>', 'verify or resync')
  .action(async (action: string) => {
    if (action !== 'verify' && action !== 'resync') {
      process.stderr.write(`unknown action ${action}: use verify or resync\n`);
      process.exit(64);
    }
    await (await import('./cli/graph.ts')).graph(action);
  });

program
  .command('mcp')
  .description(
    'serve the MCP server (Model Context Protocol) over stdio for a client that starts it; logs go to stderr',
  )
  .action(async () => (await import('./cli/mcp.ts')).mcp());

program
  .command('worker')
  .description('run augmentation jobs only (no HTTP): for scaling extraction apart from serving')
  .action(async () => (await import('./cli/worker.ts')).worker());

program
  .command('models')
  .description('fetch (when allowed) and check the local embedding model, then exit')
  .action(async () => (await import('./cli/models.ts')).models());

program
  .command('print-schema')
  .description('print the GraphQL schema (SDL, sorted) to stdout')
  .action(async () => {
    const { printEngramSchema } = await import('./schema/index.ts');
    process.stdout.write(printEngramSchema());
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
