/**
 * Engram's TypeScript client: typed calls over fetch, subscriptions over graphql-ws, entity-token
 * handling, and an AI SDK middleware adding recall and recording to any language model. It imports
 * nothing from Node, so it bundles for browsers.
 */
export type * from '../generated/graphql.ts';
export {
  type CallOptions,
  EngramClient,
  type EngramClientOptions,
  type MintEntityTokenOptions,
  mintEntityToken,
  type RecallHit,
  type RecordedConversation,
  type SemanticHit,
  type SessionMessages,
} from './client.ts';
export { type CredentialOptions, tokenExpiry } from './credentials.ts';
export {
  CLIENT_ERROR_CODES,
  EngramError,
  type EngramGraphQLError,
  type EngramIssue,
  isEngramError,
} from './errors.ts';
export { MEMORY_CLOSE, MEMORY_OPEN, memoryBlock } from './memory-block.ts';
export { type EngramMemoryMiddleware, type EngramMemoryOptions, engramMemory } from './middleware.ts';
export type { EngramSubscription } from './subscriptions.ts';
