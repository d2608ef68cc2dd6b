import { hostname } from 'node:os';
import type { Db } from '../db/client.ts';
import type { Env } from '../env.ts';
import { JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';
import { PREDICATES } from '../services/predicates.ts';
import { createLlmExtractor } from './extract/llm.ts';
import { createLocalExtractor } from './extract/local.ts';
import type { Extractor } from './types.ts';
import type { WorkerOptions } from './worker.ts';

/** The extractor the configuration selects. */
export function createExtractor(env: Env, logger: Logger): Extractor {
  if (env.AUGMENTATION_EXTRACTOR === 'local') return createLocalExtractor();
  return createLlmExtractor({
    provider: env.LLM_PROVIDER as NonNullable<Env['LLM_PROVIDER']>,
    model: env.LLM_MODEL as string,
    apiKey: env.LLM_API_KEY,
    baseUrl: env.LLM_BASE_URL,
    region: env.LLM_REGION,
    timeoutMs: env.LLM_TIMEOUT_MS,
    maxRetries: env.LLM_MAX_RETRIES,
    rateLimitPerMinute: env.LLM_RATE_LIMIT_PER_MINUTE,
    logger: logger.child({ component: 'llm-extractor' }),
    // The vocabulary supersession knows, so an LLM's triples replace each other as the rules' do.
    predicates: PREDICATES.map((predicate) => predicate.name),
  });
}

/** The queue, leased under a name unique to this process. */
export function createJobQueue(env: Env, db: Db): JobQueue {
  return new JobQueue(db, {
    owner: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    leaseMs: env.AUGMENTATION_LEASE_MS,
    heartbeatMs: env.AUGMENTATION_HEARTBEAT_MS,
    maxAttempts: env.AUGMENTATION_MAX_ATTEMPTS,
    backoffMs: env.AUGMENTATION_BACKOFF_MS,
  });
}

export function workerOptions(env: Env): WorkerOptions {
  return {
    concurrency: env.AUGMENTATION_CONCURRENCY,
    batchSize: env.AUGMENTATION_BATCH_SIZE,
    pollMs: env.AUGMENTATION_POLL_MS,
    jobTimeoutMs: env.AUGMENTATION_JOB_TIMEOUT_MS,
  };
}
