/**
 * The time part of recall: which facts were said during (or near) the periods a question names, and
 * how well each candidate's dates match them. A fact's dates are the days of the messages it came
 * from (when they were said: `MessageInput.createdAt`), or the day it was remembered when it has no
 * source message, plus the periods its own words name, resolved against that day ("yesterday",
 * "last Friday").
 */
import type { ServiceDeps } from './deps.ts';
import { daySpan, type TimeSpan, timeMatch, timeSpansIn } from './recall-time.ts';

const DAY_MS = 86_400_000;

/** Source messages read per fact for its dates (the newest). */
const DATES_PER_FACT = 5;

/** Periods parsed from a fact's or message's words, by its id and the day they were resolved against. */
const parsed = new Map<string, TimeSpan[]>();
const PARSED_CACHE_SIZE = 20_000;

function spansOfText(id: string, content: string, said: Date): TimeSpan[] {
  const key = `${id}:${said.getTime()}`;
  let spans = parsed.get(key);
  if (spans) return spans;
  spans = timeSpansIn(content, said);
  if (parsed.size >= PARSED_CACHE_SIZE) parsed.delete(parsed.keys().next().value as string);
  parsed.set(key, spans);
  return spans;
}

/** How far around a question's period a message still counts as a time candidate. */
const MARGIN_DAYS: Readonly<Record<TimeSpan['grain'], number>> = { day: 3, week: 4, month: 7, year: 14 };

/**
 * Facts of the entity said within (or a few days around) the question's periods: at most `limit`,
 * the nearest first. Periods without a year ("in May") match across years and add no candidates.
 */
export async function factsSaidDuring(
  deps: ServiceDeps,
  entityId: number,
  question: readonly TimeSpan[],
  limit: number,
): Promise<number[]> {
  const ranges = saidRanges(question);
  if (ranges.length === 0) return [];
  const mentions = await deps.reader.factMention.findMany({
    where: {
      fact: { entityId },
      message: { OR: ranges },
    },
    select: { factId: true },
    orderBy: { id: 'asc' },
    take: limit,
  });
  return [...new Set(mentions.map((mention) => mention.factId))];
}

/** The ranges of days around the question's periods where a memory counts as said then. */
function saidRanges(question: readonly TimeSpan[]): { createdAt: { gte: Date; lt: Date } }[] {
  return question
    .filter((span) => !span.anyYear)
    .map((span) => ({
      createdAt: {
        gte: new Date(span.start - MARGIN_DAYS[span.grain] * DAY_MS),
        lt: new Date(span.end + MARGIN_DAYS[span.grain] * DAY_MS),
      },
    }));
}

/**
 * The entity's indexed messages (MESSAGE_INDEX) said within (or a few days around) the question's
 * periods: at most `limit`, the earliest first, as {@link factsSaidDuring} finds facts.
 */
export async function messagesSaidDuring(
  deps: ServiceDeps,
  entityId: number,
  question: readonly TimeSpan[],
  limit: number,
): Promise<number[]> {
  const ranges = saidRanges(question);
  if (ranges.length === 0) return [];
  const messages = await deps.reader.messageIndex.findMany({
    where: { entityId, message: { OR: ranges } },
    select: { messageId: true },
    orderBy: { messageId: 'asc' },
    take: limit,
  });
  return messages.map((message) => message.messageId);
}

/** A candidate's time score against the question, and what matched. */
export interface TimeScore {
  score: number;
  /** "<the question's words> ~ <the fact's date or words> (<day>)". */
  matched: string | null;
}

/**
 * Time scores of `factIds` against the question's periods: 0 for a fact whose dates are all far
 * from them.
 */
export async function timeScores(
  deps: ServiceDeps,
  question: readonly TimeSpan[],
  factIds: readonly number[],
): Promise<Map<number, TimeScore>> {
  const scores = new Map<number, TimeScore>();
  if (question.length === 0 || factIds.length === 0) return scores;
  const [facts, mentions] = await Promise.all([
    deps.reader.entityFact.findMany({
      where: { id: { in: [...factIds] } },
      select: { id: true, content: true, createdAt: true },
    }),
    deps.reader.factMention.findMany({
      where: { factId: { in: [...factIds] }, messageId: { not: null } },
      select: { factId: true, message: { select: { createdAt: true } } },
      orderBy: { id: 'desc' },
    }),
  ]);
  const saidAt = new Map<number, Date[]>();
  for (const mention of mentions) {
    if (!mention.message) continue;
    const days = saidAt.get(mention.factId) ?? [];
    if (days.length < DATES_PER_FACT) days.push(mention.message.createdAt);
    saidAt.set(mention.factId, days);
  }
  for (const fact of facts) {
    const days = saidAt.get(fact.id) ?? [fact.createdAt];
    const spans: TimeSpan[] = [];
    for (const day of days) spans.push(daySpan(day), ...spansOfText(`f${fact.id}`, fact.content, day));
    scores.set(fact.id, scoreOf(question, spans));
  }
  return scores;
}

/**
 * Time scores of messages against the question's periods: a message's dates are the day it was
 * said and the periods its words name, resolved against that day ("yesterday").
 */
export function messageTimeScores(
  question: readonly TimeSpan[],
  messages: readonly { id: number; content: string; createdAt: Date }[],
): Map<number, TimeScore> {
  const scores = new Map<number, TimeScore>();
  if (question.length === 0) return scores;
  for (const message of messages) {
    const spans = [
      daySpan(message.createdAt),
      ...spansOfText(`m${message.id}`, message.content, message.createdAt),
    ];
    scores.set(message.id, scoreOf(question, spans));
  }
  return scores;
}

function scoreOf(question: readonly TimeSpan[], spans: readonly TimeSpan[]): TimeScore {
  const best = timeMatch(question, spans);
  return {
    score: best?.score ?? 0,
    matched: best
      ? `${best.question.text} ~ ${best.memory.text} (${new Date(best.memory.start).toISOString().slice(0, 10)})`
      : null,
  };
}
