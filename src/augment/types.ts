/**
 * What augmentation extracts from a conversation turn, and the interface every extractor (the
 * local rule-based one, the LLM ones) implements. Nothing here touches the database.
 */

import type { FactCategory, MessageRole } from '../db/enums.ts';

/** Extractors file facts under the stored categories. */
export type ExtractedCategory = FactCategory;

/** Extractors read the stored messages' roles. */
export type ExtractionRole = MessageRole;

export interface ExtractionInput {
  /** External id of the entity the conversation is with; first-person statements are about it. */
  entity: string;
  /** The turn's messages, in order. */
  messages: { role: ExtractionRole; content: string }[];
  /** The conversation's summary so far, if any (LLM extractors may extend it). */
  previousSummary?: string | null;
}

export interface ExtractedFact {
  /** A short third-person statement about the entity: "Lives in Porto", "Loves hiking". */
  content: string;
  category: ExtractedCategory;
  /** Index in `messages` of the message it came from (provenance). */
  messageIndex: number;
}

export interface ExtractedTriple {
  /** The entity's external id for first-person statements, otherwise a name ("Anna"). */
  subject: string;
  /** A normalized predicate from services/predicates.ts (lives_in, works_at, likes, ...). */
  predicate: string;
  object: string;
  /** Kind of the subject/object when known: person, place, organization, activity, food, date, ... */
  subjectType?: string | null;
  objectType?: string | null;
  messageIndex: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface Extraction {
  facts: ExtractedFact[];
  triples: ExtractedTriple[];
  /** A summary of the conversation so far, when the extractor writes one. */
  summary?: string | null;
  /** Tokens spent (LLM extractors), recorded on the job. */
  usage?: TokenUsage | null;
}

export interface Extractor {
  /** `local`, or `<provider>:<model>` for LLM extractors. */
  readonly name: string;
  extract(input: ExtractionInput, signal?: AbortSignal): Promise<Extraction>;
}
