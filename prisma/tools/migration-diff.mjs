// Prints the SQL that takes a database from its committed migrations (or from nothing) to
// prisma/schema.prisma, fully offline, through Prisma's own schema engine compiled to wasm.
// The Prisma 7 CLI only drives the native engine, which cannot be downloaded here.
//
//   node prisma/tools/migration-diff.mjs <schema.prisma> <sqlite|postgresql> [--from-migrations <dir>]
//
// From empty it needs no database. --from-migrations replays the folder on a shadow database:
// in-memory SQLite, or for postgresql a temporary database created and dropped through
// SHADOW_PARENT_URL. The folder needs its migration_lock.toml.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';

const [schemaArg, provider, flag, migrationsArg] = process.argv.slice(2);
if (
  !schemaArg ||
  !['sqlite', 'postgresql', 'cockroachdb'].includes(provider) ||
  (flag && (flag !== '--from-migrations' || !migrationsArg))
) {
  console.error(
    'usage: migration-diff.mjs <schema.prisma> <sqlite|postgresql|cockroachdb> [--from-migrations <dir>]',
  );
  process.exit(64);
}
const schemaPath = path.resolve(schemaArg);
const schema = readFileSync(schemaPath, 'utf8');
const adapterProvider = provider === 'sqlite' ? 'sqlite' : 'postgres';

// schema_engine.js imports the .wasm as an ES module, which Node cannot: instantiate it by hand.
const require = createRequire(import.meta.url);
globalThis.PRISMA_WASM_PANIC_REGISTRY ??= {
  message: '',
  set_message(message) {
    this.message = message;
  },
};
const wasmFile = path.join(
  path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
  'schema_engine_bg.wasm',
);
const { instance } = await WebAssembly.instantiate(readFileSync(wasmFile), { './schema_engine_bg.js': bg });
bg.__wbg_set_wasm(instance.exports);
instance.exports.__wbindgen_start();

// From empty, the PostgreSQL connector only asks for the server version; nothing else is touched.
function offlineAdapter() {
  const fail = (what) => async (arg) => {
    console.error(`offline adapter: ${what} needs a real database`, arg?.sql ?? arg ?? '');
    throw new Error(`offline adapter: ${what} needs a real database`);
  };
  return {
    provider: adapterProvider,
    adapterName: 'offline-stub',
    queryRaw: async (query) => {
      if (query.sql.includes('FROM pg_namespace WHERE nspname') && query.sql.includes('server_version_num')) {
        return {
          columnNames: ['exists', 'version', 'numeric_version'],
          columnTypes: [ColumnTypeEnum.Boolean, ColumnTypeEnum.Text, ColumnTypeEnum.Int32],
          // The version string decides the flavour: CockroachDB answers in its own words.
          rows: [
            provider === 'cockroachdb'
              ? [true, 'CockroachDB CCL v23.2.0 (offline stub)', 150000]
              : [true, 'PostgreSQL 15.0 (offline stub)', 150000],
          ],
        };
      }
      console.error(`offline adapter: unexpected query: ${query.sql}`);
      throw new Error(`offline adapter: unexpected query: ${query.sql}`);
    },
    // CockroachDB sessions start with SET statements; there is no session here to set.
    executeRaw: async (query) => (/^\s*SET\s/i.test(query.sql) ? 0 : fail('executeRaw')(query)),
    executeScript: fail('executeScript'),
    startTransaction: fail('startTransaction'),
    getConnectionInfo: () => ({ schemaName: 'public', supportsRelationJoins: true }),
    dispose: async () => {},
  };
}

function patchAdapter(adapter) {
  if (adapter.provider === 'sqlite') {
    // The engine applies each migration.sql through executeRaw without arguments, and the
    // driver runs one statement per call: send whole scripts to executeScript instead.
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (query) => {
      if (query.args.length > 0 || !/;\s*\S/.test(query.sql)) return executeRaw(query);
      await adapter.executeScript(query.sql);
      return 0;
    };
  } else {
    // adapter-pg rejects catalog columns of type "char" (oid 18); their values are strings: call them text.
    const performIO = adapter.performIO.bind(adapter);
    adapter.performIO = async (query) => {
      const result = await performIO(query);
      for (const part of Array.isArray(result) ? result : [result]) {
        for (const field of part?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
      }
      return result;
    };
    // adapter-pg's executeScript splits on every ';' (string literals, $$ bodies): send it whole instead.
    adapter.executeScript = async (script) => {
      await adapter.performIO({ sql: script, args: [], argTypes: [] });
    };
  }
  return adapter;
}

async function makeFactory() {
  if (!flag) {
    return {
      provider: adapterProvider,
      adapterName: 'offline-stub',
      connect: async () => offlineAdapter(),
      connectToShadowDb: async () => offlineAdapter(),
    };
  }
  if (provider === 'sqlite') {
    const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
    const factory = new PrismaBetterSqlite3({ url: ':memory:' });
    return {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => patchAdapter(await factory.connect()),
      connectToShadowDb: async () => patchAdapter(await factory.connectToShadowDb()),
    };
  }
  const url = process.env.SHADOW_PARENT_URL;
  if (!url) {
    console.error('SHADOW_PARENT_URL is required for postgresql --from-migrations');
    process.exit(64);
  }
  const { PrismaPg } = await import('@prisma/adapter-pg');
  // Own the shadow database's lifecycle: PrismaPg.connectToShadowDb() applies to the parent
  // database when given a connection string, and drops before closing its pool.
  const parsed = new URL(url);
  const config = {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
    user: decodeURIComponent(parsed.username) || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    allowExitOnIdle: true,
  };
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: async () => patchAdapter(await new PrismaPg(config).connect()),
    connectToShadowDb: async () => {
      const admin = patchAdapter(await new PrismaPg(config).connect());
      const name = `prisma_migrate_shadow_db_${randomUUID()}`;
      await admin.executeScript(`CREATE DATABASE "${name}"`);
      const shadow = patchAdapter(await new PrismaPg({ ...config, database: name }).connect());
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        await admin.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
        await admin.dispose();
      };
      return shadow;
    },
  };
}

// The same migration list the Prisma CLI builds from a migrations folder.
function loadMigrations(dir) {
  const baseDir = path.resolve(dir);
  const lockPath = path.join(baseDir, 'migration_lock.toml');
  const lockfile = {
    path: 'migration_lock.toml',
    content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null,
  };
  const dirs = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true }).filter((entry) => entry.isDirectory())
    : [];
  const migrationDirectories = dirs
    .map((entry) => {
      let content;
      try {
        content = { tag: 'ok', value: readFileSync(path.join(baseDir, entry.name, 'migration.sql'), 'utf8') };
      } catch (error) {
        content = { tag: 'error', value: error.message };
      }
      return { path: entry.name, migrationFile: { path: 'migration.sql', content } };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
  return { baseDir, lockfile, migrationDirectories, shadowDbInitScript: '' };
}

const adapter = bindMigrationAwareSqlAdapterFactory(await makeFactory());
const engine = await bg.SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => {}, adapter);
try {
  const result = await engine.diff({
    from: flag ? { tag: 'migrations', ...loadMigrations(migrationsArg) } : { tag: 'empty' },
    to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  process.stdout.write(result.stdout ?? '');
} catch (error) {
  console.error(
    'schema engine error:',
    error?.message ?? error,
    globalThis.PRISMA_WASM_PANIC_REGISTRY.message,
  );
  process.exitCode = 1;
} finally {
  engine.free();
}
