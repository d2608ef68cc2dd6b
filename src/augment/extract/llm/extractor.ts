import { generateText, type LanguageModel, Output } from 'ai';
import { RequestDeadline } from '../../../providers/deadline.ts';
import type { Extraction, ExtractionInput, Extractor } from '../../types.ts';
import { badOutputError, describeFailure, type FailureContext } from './describe-failure.ts';
import { type ExtractorLogger, type LlmProvider, PROVIDER_LABELS } from './options.ts';
import { cleanExtraction, lenientOutputSchema } from './output-schema.ts';
import { buildSystemPrompt, buildUserPrompt } from './prompt.ts';
import { createRateLimit } from './rate-limit.ts';
import { usageOf } from './usage.ts';

/**
 * One code path for every provider (the AI SDK's `generateText` with `Output.object`, which AI SDK
 * 6 recommends over the deprecated `generateObject`): the rate limit, the timeout, the call, the
 * lenient validation of the answer and the provider's warnings.
 */

export interface ResolvedOptions {
  timeoutMs: number;
  maxRetries: number;
  temperature: number;
  maxOutputTokens: number;
  apiKey: string | undefined;
  /** Applied to every message and the summary before they leave (PII_REDACTION=providers). */
  mask: ((text: string) => string) | undefined;
}

export class LlmExtractor implements Extractor {
  readonly name: string;
  private readonly system: string;
  private readonly failure: FailureContext;
  /** Resolves when the rate limit lets the next request go; undefined when unlimited. */
  private readonly nextSlot: ((signal?: AbortSignal) => Promise<void>) | undefined;

  constructor(
    private readonly model: LanguageModel,
    provider: LlmProvider,
    modelId: string,
    private readonly options: ResolvedOptions,
    rateLimitPerMinute: number | undefined,
    predicates: readonly string[],
    private readonly logger: ExtractorLogger | undefined,
  ) {
    this.name = `${provider}:${modelId}`;
    this.system = buildSystemPrompt(predicates);
    this.failure = {
      label: `${PROVIDER_LABELS[provider]} (${modelId})`,
      modelId,
      timeoutMs: options.timeoutMs,
      maxOutputTokens: options.maxOutputTokens,
      apiKey: options.apiKey,
    };
    if (rateLimitPerMinute !== undefined) this.nextSlot = createRateLimit(rateLimitPerMinute);
  }

  async extract(given: ExtractionInput, signal?: AbortSignal): Promise<Extraction> {
    signal?.throwIfAborted();
    const input = masked(given, this.options.mask);
    if (input.messages.length === 0) {
      return {
        facts: [],
        triples: [],
        summary: input.previousSummary ?? null,
        usage: { inputTokens: 0, outputTokens: 0 },
      };
    }
    if (this.nextSlot) await this.nextSlot(signal);

    // One deadline per call, aborted by its timer or by the caller (see RequestDeadline for why
    // not AbortSignal.any() with the caller's signal, which may be long-lived).
    const deadline = new RequestDeadline(this.options.timeoutMs);
    const onAbort = () => deadline.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    try {
      const result = await generateText({
        model: this.model,
        system: this.system,
        prompt: buildUserPrompt(input),
        output: Output.object({
          schema: lenientOutputSchema,
          name: 'extraction',
          description: 'Facts, triples and summary extracted from a conversation turn.',
        }),
        temperature: this.options.temperature,
        maxOutputTokens: this.options.maxOutputTokens,
        maxRetries: this.options.maxRetries,
        abortSignal: deadline.signal,
      });
      const usage = usageOf(result.totalUsage);
      if (result.warnings?.length) {
        this.logger?.warn({ extractor: this.name, warnings: result.warnings }, 'LLM provider warnings');
      }
      let raw: Record<string, unknown>;
      try {
        raw = result.output;
      } catch (error) {
        // No text at all (an empty answer, or a tool call where JSON was expected).
        throw badOutputError(this.failure, error, result.finishReason, usage);
      }
      const { dropped, ...extraction } = cleanExtraction(raw, input);
      if (dropped > 0) {
        this.logger?.warn({ extractor: this.name, dropped }, 'LLM extraction: invalid items dropped');
      }
      return { ...extraction, usage };
    } catch (error) {
      // The caller gave up (shutdown, job cancelled): like fetch(), reject with its reason.
      if (signal?.aborted) throw signal.reason;
      throw describeFailure(this.failure, error, deadline.timedOut);
    } finally {
      deadline.clear();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** What is sent instead of the stored text when personal data is masked for providers. */
function masked(input: ExtractionInput, mask: ((text: string) => string) | undefined): ExtractionInput {
  if (!mask) return input;
  return {
    ...input,
    messages: input.messages.map((message) => ({ ...message, content: mask(message.content) })),
    previousSummary: input.previousSummary ? mask(input.previousSummary) : input.previousSummary,
  };
}
