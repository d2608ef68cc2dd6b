import { localModelOptions } from '../config/config.ts';
import { prefetchModel } from '../embed/models.ts';
import { loadConfigOrExit } from './load-config.ts';

/** `engram models`: fetches (when allowed) and checks the local embedding model. */
export async function models(): Promise<void> {
  const config = loadConfigOrExit();
  try {
    const result = await prefetchModel(localModelOptions(config.env));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
