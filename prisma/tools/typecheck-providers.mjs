// Typechecks the code against each provider's generated client in turn (their types differ
// slightly, e.g. PostgreSQL filters have `mode`), then points the types back at SQLite.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVIDERS, writeTypeShims } from './providers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let failed = false;
try {
  for (const provider of PROVIDERS) {
    writeTypeShims(provider);
    try {
      execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['--noEmit'], { cwd: root, stdio: 'inherit' });
      console.log(`typecheck: ${provider} ok`);
    } catch {
      console.error(`typecheck: ${provider} FAILED`);
      failed = true;
    }
  }
} finally {
  writeTypeShims('sqlite');
}
process.exit(failed ? 1 : 0);
