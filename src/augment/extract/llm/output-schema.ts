import { type JSONSchema7, jsonSchema } from 'ai';
import { z } from 'zod';
import { FactCategory } from '../../../db/enums.ts';
import type { ExtractedFact, ExtractedTriple, ExtractionInput } from '../../types.ts';

/**
 * What the model is asked to answer, and how its answer is checked: the SDK only makes sure it is
 * an object with one of our keys, and {@link cleanExtraction} then keeps the valid items one by one.
 */

/** Longer than this, a "fact" is a paragraph, not a fact. */
const MAX_FACT_LENGTH = 500;
const MAX_TRIPLE_PART_LENGTH = 200;

/** The categories a model may file a fact under: the database's own. */
const CATEGORIES = FactCategory;

/**
 * The schema the model is given. Every property is required (nullable where it may be unknown)
 * and there are no length or range constraints: OpenAI's strict structured outputs demand the
 * former and reject some of the latter, and the other providers accept this shape as it is.
 */
const modelOutputSchema = z.object({
  facts: z.array(
    z.object({
      content: z.string().describe('Short third-person statement about the user, e.g. "Lives in Porto".'),
      category: z.enum(CATEGORIES),
      messageIndex: z.number().int().describe('Index of the message the fact comes from.'),
    }),
  ),
  triples: z.array(
    z.object({
      subject: z.string().describe('The entity id for the user, otherwise a name.'),
      predicate: z.string().describe('Lowercase snake_case predicate, e.g. lives_in.'),
      object: z.string(),
      subjectType: z.string().nullable(),
      objectType: z.string().nullable(),
      messageIndex: z.number().int(),
    }),
  ),
  summary: z.string().describe('Summary of the conversation so far, updated with this turn.'),
});

/**
 * The model's schema in JSON Schema, as the SDK would convert it, minus the ±2^53 bounds zod puts
 * on every integer: Anthropic copies them into descriptions the model reads, to no one's benefit.
 */
const modelJsonSchema = z.toJSONSchema(modelOutputSchema, {
  target: 'draft-7',
  io: 'output',
  reused: 'inline',
  override: ({ jsonSchema }) => {
    if (jsonSchema.type === 'integer') {
      delete jsonSchema.minimum;
      delete jsonSchema.maximum;
    }
  },
}) as JSONSchema7;

/**
 * What the SDK validates the answer against: only "a JSON object with at least one of our keys".
 * Items are checked one by one afterwards, so that one bad triple does not cost the whole turn.
 */
export const lenientOutputSchema = jsonSchema<Record<string, unknown>>(() => modelJsonSchema, {
  validate: (value) =>
    isRecord(value) && ('facts' in value || 'triples' in value || 'summary' in value)
      ? { success: true, value }
      : { success: false, error: new Error('the answer is not an object with facts, triples or summary') },
});

const messageIndexSchema = z.union([
  z.number().int().nonnegative(),
  // JSON-mode models sometimes quote numbers.
  z
    .string()
    .regex(/^\d+$/)
    .transform((digits) => Number(digits)),
]);

const factSchema = z.object({
  content: z.string().trim().min(1).max(MAX_FACT_LENGTH),
  category: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toUpperCase() : value),
    z.enum(CATEGORIES),
  ),
  messageIndex: messageIndexSchema,
});

const triplePart = z.string().trim().min(1).max(MAX_TRIPLE_PART_LENGTH);
/** person, place...; blank or missing is unknown. */
const typeSchema = z
  .string()
  .nullish()
  .transform((value) => {
    const type = value?.trim().toLowerCase();
    return type ? type : null;
  });

const tripleSchema = z.object({
  subject: triplePart,
  predicate: triplePart.transform(snakeCasePredicate).pipe(z.string().min(1)),
  object: triplePart,
  subjectType: typeSchema,
  objectType: typeSchema,
  messageIndex: messageIndexSchema,
});

/** "Lives In" → lives_in, "works-at" → works_at: predicates are compared by name downstream. */
export function snakeCasePredicate(predicate: string): string {
  return predicate
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
    .replace(/[^\p{L}\p{N}_]/gu, '')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}

/** Subjects models write for the user instead of its id. */
const FIRST_PERSON_SUBJECTS = new Set(['i', 'me', 'myself', 'user', 'the user', 'the_user']);

/**
 * Keeps the valid items of the model's answer and counts the others. Items are dropped, not
 * repaired, beyond harmless normalization (trimming, case, the user's id as subject).
 */
export function cleanExtraction(
  raw: Record<string, unknown>,
  input: ExtractionInput,
): { facts: ExtractedFact[]; triples: ExtractedTriple[]; summary: string | null; dropped: number } {
  const messageCount = input.messages.length;
  let dropped = 0;
  const inRange = (index: number) => index < messageCount;

  const facts: ExtractedFact[] = [];
  for (const item of arrayOf(raw.facts, () => dropped++)) {
    const parsed = factSchema.safeParse(item);
    if (parsed.success && inRange(parsed.data.messageIndex)) facts.push(parsed.data);
    else dropped++;
  }

  const triples: ExtractedTriple[] = [];
  for (const item of arrayOf(raw.triples, () => dropped++)) {
    const parsed = tripleSchema.safeParse(item);
    if (!parsed.success || !inRange(parsed.data.messageIndex)) {
      dropped++;
      continue;
    }
    const triple = parsed.data;
    if (FIRST_PERSON_SUBJECTS.has(triple.subject.toLowerCase())) triple.subject = input.entity;
    triples.push(triple);
  }

  const summary = typeof raw.summary === 'string' && raw.summary.trim() ? raw.summary.trim() : null;
  return { facts, triples, summary, dropped };
}

function arrayOf(value: unknown, onInvalid: () => void): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  onInvalid();
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
