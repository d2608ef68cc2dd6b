import {
  LoadAPIKeyError,
  LoadSettingError,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  RetryError,
} from 'ai';
import { classifyProviderFailure, redactSecret } from '../../../providers/http-errors.ts';
import type { TokenUsage } from '../../types.ts';
import { ExtractionError } from './errors.ts';
import { usageOf } from './usage.ts';

/**
 * Turns whatever an extraction threw into an {@link ExtractionError} a job queue can act on: the
 * code, whether another try later can succeed, and a message that never contains the API key.
 * What an HTTP failure means is decided in src/providers/http-errors.ts, shared with the hosted
 * embedding providers; this file only words it.
 */

/** What the messages name, and the secret they must never contain. */
export interface FailureContext {
  /** `OpenAI (gpt-4.1-mini)`. */
  label: string;
  modelId: string;
  timeoutMs: number;
  maxOutputTokens: number;
  apiKey: string | undefined;
}

/** The model answered, but not with a usable extraction. */
export function badOutputError(
  context: FailureContext,
  error: unknown,
  finishReason: string | undefined,
  usage: TokenUsage | undefined,
): ExtractionError {
  if (finishReason === 'length') {
    // The same input would be cut off again: park the job rather than pay for it twice more.
    return new ExtractionError(
      `${context.label} stopped at the ${context.maxOutputTokens}-token output cap before finishing the extraction; raise maxOutputTokens`,
      'LLM_BAD_OUTPUT',
      { retryable: false, cause: error, usage },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  // Not the text itself in the message: it quotes the conversation.
  return new ExtractionError(
    `${context.label} returned output that is not a usable extraction: ${reason}`,
    'LLM_BAD_OUTPUT',
    {
      // Sampling differs between calls even at temperature 0; the queue's attempt limit bounds it.
      retryable: true,
      cause: error,
      usage,
    },
  );
}

/** Any failure of the call; `timedOut` says whether the extractor's own timer aborted it. */
export function describeFailure(context: FailureContext, error: unknown, timedOut: boolean): ExtractionError {
  const { label } = context;
  if (error instanceof ExtractionError) return error;
  const failure = classifyProviderFailure(error, { timedOut, secret: context.apiKey });
  if (failure.kind === 'timeout') {
    return new ExtractionError(`${label} did not answer within ${context.timeoutMs} ms`, 'LLM_TIMEOUT', {
      retryable: true,
      cause: failure.cause,
    });
  }
  if (NoObjectGeneratedError.isInstance(error)) {
    return badOutputError(context, error, error.finishReason, error.usage ? usageOf(error.usage) : undefined);
  }
  if (NoOutputGeneratedError.isInstance(error)) return badOutputError(context, error, undefined, undefined);

  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (LoadAPIKeyError.isInstance(last) || LoadSettingError.isInstance(last)) {
    // Validated at construction, so only reachable through a provider reading its environment.
    return new ExtractionError(
      `${label} is missing a setting: ${redactSecret(last.message, context.apiKey)}`,
      'LLM_UNAUTHORIZED',
      { retryable: false },
    );
  }
  const { status, retryable } = failure;
  const where = failure.host === undefined ? label : `${label} at ${failure.host}`;
  const attempts = failure.attempts === undefined ? '' : ` after ${failure.attempts} attempts`;
  switch (failure.kind) {
    case 'refused-key':
      // No cause: see ProviderFailure.cause.
      return new ExtractionError(
        `${where} refused the API key (HTTP ${status}); check the configured key and its access to model ${context.modelId}`,
        'LLM_UNAUTHORIZED',
        { retryable, status },
      );
    case 'rate-limited':
      return new ExtractionError(
        `${where} is rate limiting requests (HTTP 429)${attempts}`,
        'LLM_RATE_LIMITED',
        {
          retryable,
          cause: failure.cause,
          status,
          retryAfterMs: failure.retryAfterMs,
        },
      );
    default:
      // 5xx, 408, 409, connection failures and unknown failures (a proxy answering nonsense...)
      // are worth another try later, bounded by the queue's attempts; 400 or 404 are not.
      return new ExtractionError(
        `${where} failed${status ? ` (HTTP ${status})` : ''}${attempts}: ${failure.detail}`,
        'LLM_FAILED',
        { retryable, cause: failure.cause, status },
      );
  }
}
