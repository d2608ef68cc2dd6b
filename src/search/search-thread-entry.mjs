// The search thread's entry point (see search-thread.ts). Worker threads get plain Node's module
// loader, even when the server runs under tsx or vitest, so the TypeScript module is loaded
// through tsx's API.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
import { serveThread } from '../runtime/thread-host.mjs';

const { searchCalls } = await tsImport('./search-thread.ts', import.meta.url);
serveThread(searchCalls(workerData));
