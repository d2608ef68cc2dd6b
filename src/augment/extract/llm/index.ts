/**
 * LLM extractors: one code path (extractor.ts) for every provider; only the construction of the
 * model differs (models.ts). Each provider library sends the schema its own way (OpenAI-style
 * `response_format` json_schema, Anthropic `output_config.format` or a forced `json` tool, Gemini
 * `responseSchema`, Bedrock Converse) and the SDK does the HTTP, the retries of 408/409/429/5xx
 * with backoff that honours `retry-after(-ms)`, and the parsing of each wire format. This folder
 * adds the prompt (prompt.ts), a lenient validation of what comes back (output-schema.ts), a
 * timeout, a rate limit (rate-limit.ts), token usage, and errors a job queue can act on without
 * ever echoing the API key (describe-failure.ts).
 */
export { createLlmExtractor } from './create-llm-extractor.ts';
export { ExtractionError, type ExtractionErrorCode, LlmConfigError } from './errors.ts';
export {
  type ExtractorLogger,
  LLM_PROVIDERS,
  type LlmExtractorOptions,
  type LlmProvider,
} from './options.ts';
export { cleanExtraction, snakeCasePredicate } from './output-schema.ts';
export { buildSystemPrompt, buildUserPrompt, PREFERRED_PREDICATES } from './prompt.ts';
