// The hosted embedding providers, one file each; what they share is in hosted-embedder.ts.
export { type CohereEmbedderOptions, cohereEmbedder } from './cohere.ts';
export { type HuggingFaceEmbedderOptions, huggingFaceEmbedder } from './huggingface.ts';
export { type OpenAIEmbedderOptions, openAIEmbedder } from './openai.ts';
export { type OpenAICompatibleEmbedderOptions, openAICompatibleEmbedder } from './openai-compatible.ts';
export type { HostedEmbedderOptions } from './options.ts';
