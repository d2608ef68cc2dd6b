import type { TokenUsage } from '../../types.ts';

/** The SDK's usage with unknown counts as 0, as jobs record them. */
export function usageOf(usage: {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
}): TokenUsage {
  return { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
}
