// The index worker's entry point. Worker threads get plain Node's module loader, even when the
// server runs under tsx or vitest, so the TypeScript module is loaded through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
