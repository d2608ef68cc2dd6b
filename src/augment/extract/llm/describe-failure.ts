import {
  APICallError,
  LoadAPIKeyError,
  LoadSettingError,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  RetryError,
} from 'ai';
import type { TokenUsage } from '../../types.ts';
import { ExtractionError } from './errors.ts';
import { usageOf } from './usage.ts';

/**
 * Turns whatever an extraction threw into an {@link ExtractionError} a job queue can act on: the
 * code, whether another try later can succeed, and a message that never contains the API key.
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

/** Provider messages can quote whole requests or responses; an error message should not. */
const MAX_DETAIL_LENGTH = 300;

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
  const scrub = (text: string) => scrubKey(text, context.apiKey);
  if (error instanceof ExtractionError) return error;
  if (timedOut) {
    return new ExtractionError(`${label} did not answer within ${context.timeoutMs} ms`, 'LLM_TIMEOUT', {
      retryable: true,
      cause: error,
    });
  }
  if (NoObjectGeneratedError.isInstance(error)) {
    return badOutputError(context, error, error.finishReason, error.usage ? usageOf(error.usage) : undefined);
  }
  if (NoOutputGeneratedError.isInstance(error)) return badOutputError(context, error, undefined, undefined);

  const last = RetryError.isInstance(error) ? error.lastError : error;
  const attempts = RetryError.isInstance(error) ? ` after ${error.errors.length} attempts` : '';
  if (LoadAPIKeyError.isInstance(last) || LoadSettingError.isInstance(last)) {
    // Validated at construction, so only reachable through a provider reading its environment.
    return new ExtractionError(`${label} is missing a setting: ${scrub(last.message)}`, 'LLM_UNAUTHORIZED', {
      retryable: false,
    });
  }
  if (APICallError.isInstance(last)) {
    const status = last.statusCode;
    const where = `${label} at ${hostOf(last.url)}`;
    if (status === 401 || status === 403) {
      // Neither the provider's message nor the error itself: OpenAI quotes part of the key back.
      return new ExtractionError(
        `${where} refused the API key (HTTP ${status}); check the configured key and its access to model ${context.modelId}`,
        'LLM_UNAUTHORIZED',
        { retryable: false, status },
      );
    }
    if (status === 429) {
      return new ExtractionError(
        `${where} is rate limiting requests (HTTP 429)${attempts}`,
        'LLM_RATE_LIMITED',
        {
          retryable: true,
          cause: error,
          status,
          retryAfterMs: retryAfterMsOf(last.responseHeaders),
        },
      );
    }
    return new ExtractionError(
      `${where} failed${status ? ` (HTTP ${status})` : ''}${attempts}: ${scrub(last.message)}`,
      'LLM_FAILED',
      // 5xx, 408, 409 and connection failures are worth another try later; 400 or 404 are not.
      { retryable: last.isRetryable, cause: error, status },
    );
  }
  const message = last instanceof Error ? last.message : String(last);
  return new ExtractionError(`${label} failed${attempts}: ${scrub(message)}`, 'LLM_FAILED', {
    // Unknown failures (a proxy answering nonsense...) get another try; attempts are bounded by the queue.
    retryable: true,
    cause: error,
  });
}

function scrubKey(text: string, key: string | undefined): string {
  const scrubbed = key && key.length >= 4 ? text.split(key).join('[redacted]') : text;
  return scrubbed.length > MAX_DETAIL_LENGTH ? `${scrubbed.slice(0, MAX_DETAIL_LENGTH)}...` : scrubbed;
}

function retryAfterMsOf(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const retryAfter = headers['retry-after'];
  if (!retryAfter) return undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
