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

/** Periods parsed from a fact's words, by fact id and the day they were resolved against. */
const parsed = new Map<string, TimeSpan[]>();
const PARSED_CACHE_SIZE = 20_000;

function spansOfText(factId: number, content: string, said: Date): TimeSpan[] {
  const key = `${factId}:${said.getTime()}`;
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
  const ranges = question
    .filter((span) => !span.anyYear)
    .map((span) => ({
      createdAt: {
        gte: new Date(span.start - MARGIN_DAYS[span.grain] * DAY_MS),
        lt: new Date(span.end + MARGIN_DAYS[span.grain] * DAY_MS),
      },
    }));
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
    for (const day of days) spans.push(daySpan(day), ...spansOfText(fact.id, fact.content, day));
    const best = timeMatch(question, spans);
    scores.set(fact.id, {
      score: best?.score ?? 0,
      matched: best
        ? `${best.question.text} ~ ${best.memory.text} (${new Date(best.memory.start).toISOString().slice(0, 10)})`
        : null,
    });
  }
  return scores;
}
