import type { Extractor } from '../../types.ts';
import { integer, LlmConfigError, required } from './errors.ts';
import { LlmExtractor } from './extractor.ts';
import { createModel } from './models.ts';
import { LLM_PROVIDERS, type LlmExtractorOptions, PROVIDER_LABELS } from './options.ts';
import { PREFERRED_PREDICATES } from './prompt.ts';

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_MAX_OUTPUT_TOKENS = 8192;

/** An {@link Extractor} named `<provider>:<model>` backed by a hosted or self-hosted LLM. */
export function createLlmExtractor(options: LlmExtractorOptions): Extractor {
  if (!LLM_PROVIDERS.includes(options.provider)) {
    throw new LlmConfigError(
      `unknown LLM provider "${String(options.provider)}"; expected one of ${LLM_PROVIDERS.join(', ')}`,
    );
  }
  const modelId = required(
    options.model,
    `the ${PROVIDER_LABELS[options.provider]} extractor needs a model name (model)`,
  );
  const rateLimit = options.rateLimitPerMinute;
  if (rateLimit !== undefined && !(Number.isFinite(rateLimit) && rateLimit > 0)) {
    throw new LlmConfigError('rateLimitPerMinute must be a positive number (leave it unset for no limit)');
  }
  const temperature = options.temperature ?? 0;
  if (!Number.isFinite(temperature) || temperature < 0) throw new LlmConfigError('temperature must be >= 0');
  const apiKey = options.apiKey?.trim() || undefined;
  const model = createModel({ ...options, model: modelId }, apiKey);
  return new LlmExtractor(
    model,
    options.provider,
    modelId,
    {
      timeoutMs: integer(options.timeoutMs, DEFAULT_TIMEOUT_MS, 1, 'timeoutMs'),
      maxRetries: integer(options.maxRetries, DEFAULT_MAX_RETRIES, 0, 'maxRetries'),
      maxOutputTokens: integer(options.maxOutputTokens, DEFAULT_MAX_OUTPUT_TOKENS, 1, 'maxOutputTokens'),
      temperature,
      apiKey,
      mask: options.mask,
    },
    rateLimit,
    options.predicates ?? PREFERRED_PREDICATES,
    options.logger,
  );
}
