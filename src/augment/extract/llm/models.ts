import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createXai } from '@ai-sdk/xai';
import type { LanguageModel } from 'ai';
import { LlmConfigError, required } from './errors.ts';
import { LLM_PROVIDERS, type LlmExtractorOptions, PROVIDER_LABELS } from './options.ts';

/**
 * Builds the model. Keys and URLs are always passed explicitly (an empty key rather than
 * undefined where none is needed), so that no provider library falls back to OPENAI_API_KEY,
 * ANTHROPIC_BASE_URL and the like behind the configuration's back.
 */
export function createModel(options: LlmExtractorOptions, apiKey: string | undefined): LanguageModel {
  const { provider, model, headers } = options;
  const needKey = () =>
    required(
      apiKey,
      `the ${PROVIDER_LABELS[provider]} extractor needs an API key (apiKey) and none is configured`,
    );
  switch (provider) {
    case 'openai':
      // Chat Completions rather than the SDK's default Responses API: the Responses API stores
      // responses (and so the conversation) at OpenAI by default, and Chat Completions is the wire
      // format the OpenAI-compatible servers share.
      return createOpenAI({
        apiKey: needKey(),
        baseURL: options.baseUrl ?? 'https://api.openai.com/v1',
        headers,
      }).chat(model);
    case 'anthropic':
      return createAnthropic({
        apiKey: needKey(),
        baseURL: options.baseUrl ?? 'https://api.anthropic.com/v1',
        headers,
      })(model);
    case 'google':
      return createGoogleGenerativeAI({
        apiKey: needKey(),
        baseURL: options.baseUrl ?? 'https://generativelanguage.googleapis.com/v1beta',
        headers,
      })(model);
    case 'xai':
      return createXai({ apiKey: needKey(), baseURL: options.baseUrl ?? 'https://api.x.ai/v1', headers })(
        model,
      );
    case 'bedrock': {
      // AWS's own variables are how AWS credentials are configured everywhere (and what the library
      // reads), so for Bedrock, unlike the other providers, they count as configuration.
      const env = process.env;
      const region = required(
        options.region ?? env.AWS_REGION,
        'the Amazon Bedrock extractor needs an AWS region (region or AWS_REGION, e.g. us-east-1) and none is configured',
      );
      const hasKeyPair =
        Boolean(options.accessKeyId?.trim() && options.secretAccessKey?.trim()) ||
        Boolean(env.AWS_ACCESS_KEY_ID?.trim() && env.AWS_SECRET_ACCESS_KEY?.trim());
      const hasBearer = Boolean(apiKey || env.AWS_BEARER_TOKEN_BEDROCK?.trim());
      if (!hasBearer && !hasKeyPair && !options.credentialProvider) {
        throw new LlmConfigError(
          'the Amazon Bedrock extractor needs credentials: a Bedrock API key (apiKey or AWS_BEARER_TOKEN_BEDROCK), an access key pair (accessKeyId and secretAccessKey, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or a credentialProvider',
        );
      }
      return createAmazonBedrock({
        region,
        // Bearer API key when given; otherwise SigV4 with the keys or the provider.
        apiKey,
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        sessionToken: options.sessionToken,
        credentialProvider: options.credentialProvider,
        baseURL: options.baseUrl,
        headers,
      })(model);
    }
    case 'openai-compatible':
      return createOpenAICompatible({
        name: 'openaiCompatible',
        baseURL: required(
          options.baseUrl,
          'the OpenAI-compatible extractor needs the server URL (baseUrl, e.g. http://localhost:11434/v1) and none is configured',
        ),
        apiKey,
        headers,
        supportsStructuredOutputs: options.structuredOutputs ?? true,
      })(model);
    default:
      throw new LlmConfigError(
        `unknown LLM provider "${String(provider)}"; expected one of ${LLM_PROVIDERS.join(', ')}`,
      );
  }
}
