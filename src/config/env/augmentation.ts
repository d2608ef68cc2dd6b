import { z } from 'zod';
import { isPhoneRegion, PII_KINDS } from '../../redact/index.ts';
import { commaList, positiveInt } from './fields.ts';

/** Background augmentation, its LLM extractor, fact deduplication and PII redaction. (part of the environment schema in ../environment.ts) */
export const augmentationEnv = {
  /** `on`: every recorded conversation turn is augmented in the background; `off`: nothing is enqueued. @default on */
  AUGMENTATION: z.enum(['on', 'off']).default('on'),
  /** `local` (rules, no network) or `llm` (the LLM_* provider). @default local */
  AUGMENTATION_EXTRACTOR: z.enum(['local', 'llm']).default('local'),
  /** Jobs this process runs at once; 0 runs none here (use `engram worker` processes). @default 2 */
  AUGMENTATION_CONCURRENCY: z.coerce.number().int().min(0).default(2),
  /** Most jobs claimed per poll. @default 10 */
  AUGMENTATION_BATCH_SIZE: positiveInt(10),
  /** How often idle workers poll the queue. @default 250 */
  AUGMENTATION_POLL_MS: positiveInt(250),
  /** How long a claimed job belongs to its worker before another may take it over (longer than a job may run). @default 300000 */
  AUGMENTATION_LEASE_MS: positiveInt(300_000),
  /** How often a worker renews the heartbeat of its running jobs; a killed worker's jobs are taken over after 5 missed beats. @default 2000 */
  AUGMENTATION_HEARTBEAT_MS: positiveInt(2000),
  /** Runs before a failing job is parked. @default 5 */
  AUGMENTATION_MAX_ATTEMPTS: positiveInt(5),
  /** First retry delay, doubled per attempt. @default 1000 */
  AUGMENTATION_BACKOFF_MS: positiveInt(1000),
  /** Longest one job may take (longer than LLM_TIMEOUT_MS, which starts after the rate limit lets a call go). @default 120000 */
  AUGMENTATION_JOB_TIMEOUT_MS: positiveInt(120_000),
  /** LLM provider for AUGMENTATION_EXTRACTOR=llm. */
  LLM_PROVIDER: z.enum(['openai', 'anthropic', 'google', 'xai', 'bedrock', 'openai-compatible']).optional(),
  /** The model, e.g. gpt-4o-mini, claude-3-5-haiku-latest, gemini-2.0-flash. */
  LLM_MODEL: z.string().min(1).optional(),
  /** The provider's API key (Bedrock: AWS credentials come from the usual AWS variables). */
  LLM_API_KEY: z.string().min(1).optional(),
  /** Base URL (required for openai-compatible: Ollama, vLLM). */
  LLM_BASE_URL: z.url().optional(),
  /** AWS region for Bedrock. */
  LLM_REGION: z.string().min(1).optional(),
  /** Longest wait for one LLM call. @default 60000 */
  LLM_TIMEOUT_MS: positiveInt(60_000),
  /** Retries of a failed LLM call (429, 5xx). @default 2 */
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).default(2),
  /** Most LLM requests per minute; unset is unlimited. */
  LLM_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().optional(),

  /** A new fact this similar (cosine) to one of the entity's facts merges into it; >1 turns it off. @default 0.95 */
  FACT_DEDUPE_SIMILARITY: z.coerce.number().min(-1).max(2).default(0.95),

  /**
   * Masks personal data (PII_REDACTION_KINDS): `storage` masks message and fact content, summaries
   * and triple names before they are written, so the database never holds them; `providers` stores
   * text as given but masks what is sent to an LLM extractor or a hosted embedding provider (the
   * local embedder and extractor get the original); `off` masks nothing. @default off
   */
  PII_REDACTION: z.enum(['off', 'storage', 'providers']).default('off'),
  /** What PII_REDACTION masks, comma-separated: email, iban, card, ssn, ip, phone. @default all of them */
  PII_REDACTION_KINDS: commaList
    .pipe(z.array(z.enum(PII_KINDS)))
    .transform((kinds) => (kinds.length > 0 ? kinds : [...PII_KINDS])),
  /**
   * Regions (ISO 3166 codes) whose national phone formats are recognized, comma-separated;
   * international numbers (+44..., 0044...) are recognized whatever this says. @default US
   */
  PII_REDACTION_PHONE_REGIONS: z
    .string()
    .default('US')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim().toUpperCase())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().refine(isPhoneRegion, 'is not a region code libphonenumber knows (US, GB, DE...)')),
    ),
};
