/**
 * Dates in text, for time-aware recall: the periods a question asks about ("on 4 December 2023",
 * "last week", "in May", "in 2022") and the days a message speaks of, with relative dates
 * ("yesterday", "last Friday", "two weeks ago") resolved against the moment the message was said.
 * Parsing is chrono-node's; what Engram adds is how wide each mention is (a day, a week, a month,
 * a year) and how close two periods are.
 */
import * as chrono from 'chrono-node';

const DAY_MS = 86_400_000;

/** How precisely a mention names its period. */
export type TimeGrain = 'day' | 'week' | 'month' | 'year';

/** A period of time named in a text: [start, end) in UTC milliseconds. */
export interface TimeSpan {
  start: number;
  end: number;
  grain: TimeGrain;
  /**
   * A month or a day named without its year ("in May", "on 4 December"): it matches that month or
   * day of any year, and `start`/`end` hold it in the reference's year.
   */
  anyYear: boolean;
  /** The words that named it. */
  text: string;
}

const DATEISH =
  /\d|yesterday|today|tonight|tomorrow|\bago\b|\b(?:last|next|this|past|previous|coming)\b|week|month|year|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b/i;
const YEAR = /\b(?:in|during|of|since|by)\s+((?:19|20)\d{2})\b/gi;
const WEEK_WORDS = /\bweek(?:end)?s?\b/i;
const MONTH_WORDS = /\bmonths?\b/i;

function utcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

function addMonths(ms: number, months: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
}

function spanOf(result: chrono.ParsedResult): TimeSpan | null {
  const start = result.start;
  const text = result.text;
  const day = utcDay(start.date());
  const certainDay = start.isCertain('day');
  const certainMonth = start.isCertain('month');
  const certainYear = start.isCertain('year');
  // "last week", "two weeks ago", "the weekend": a day chrono picked inside a wider period.
  if (WEEK_WORDS.test(text) || (start.isCertain('weekday') && !certainDay && !certainMonth)) {
    if (/\bweekend\b/i.test(text)) {
      // Saturday and Sunday of the week chrono chose.
      const weekday = new Date(day).getUTCDay();
      const saturday = weekday === 0 ? day - DAY_MS : day + (6 - weekday) * DAY_MS;
      return { start: saturday, end: saturday + 2 * DAY_MS, grain: 'week', anyYear: false, text };
    }
    if (WEEK_WORDS.test(text)) {
      return { start: day - 3 * DAY_MS, end: day + 4 * DAY_MS, grain: 'week', anyYear: false, text };
    }
    return { start: day, end: day + DAY_MS, grain: 'day', anyYear: false, text };
  }
  if (certainDay) {
    return { start: day, end: day + DAY_MS, grain: 'day', anyYear: !certainYear && certainMonth, text };
  }
  if (certainMonth || MONTH_WORDS.test(text)) {
    const first = Date.UTC(start.date().getUTCFullYear(), start.date().getUTCMonth(), 1);
    return { start: first, end: addMonths(first, 1), grain: 'month', anyYear: !certainYear, text };
  }
  if (certainYear) {
    const year = start.date().getUTCFullYear();
    return {
      start: Date.UTC(year, 0, 1),
      end: Date.UTC(year + 1, 0, 1),
      grain: 'year',
      anyYear: false,
      text,
    };
  }
  return null;
}

/**
 * The periods a text names, relative ones resolved against `reference` (when the text was said, or
 * now for a question). Mentions that name no period ("3 friends", a time of day alone) are skipped.
 */
export function timeSpansIn(text: string, reference: Date): TimeSpan[] {
  // Most texts name no date: a cheap look for any word a date could be made of spares chrono
  // (about 0.1 ms a text) for them.
  if (!text || !DATEISH.test(text)) return [];
  const spans: TimeSpan[] = [];
  for (const result of chrono.parse(text, { instant: reference, timezone: 'UTC' })) {
    const span = spanOf(result);
    if (span) spans.push(span);
  }
  // chrono reads a bare year as a time of day or not at all: "in 2022" is a year here.
  for (const match of text.matchAll(YEAR)) {
    const year = Number(match[1]);
    if (spans.some((span) => span.text.includes(match[1] as string))) continue;
    spans.push({
      start: Date.UTC(year, 0, 1),
      end: Date.UTC(year + 1, 0, 1),
      grain: 'year',
      anyYear: false,
      text: match[0],
    });
  }
  return spans;
}

/** How many days apart the nearest days of two periods are (0 when they overlap); a year-less one takes the other's year. */
export function daysApart(a: TimeSpan, b: TimeSpan): number {
  const [x, y] =
    a.anyYear && !b.anyYear ? [inYearOf(a, b), b] : b.anyYear && !a.anyYear ? [a, inYearOf(b, a)] : [a, b];
  // Between the nearest days of the two: the day after a period is 1 day from it.
  return overlaps(x, y) ? 0 : rawGap(x, y) / DAY_MS + 1;
}

/** `span` moved to the year of `other` (the nearest of the years `other` covers). */
function inYearOf(span: TimeSpan, other: TimeSpan): TimeSpan {
  const shift = (year: number) => {
    const start = new Date(span.start);
    const moved = Date.UTC(year, start.getUTCMonth(), start.getUTCDate());
    return { ...span, start: moved, end: moved + (span.end - span.start) };
  };
  const firstYear = new Date(other.start).getUTCFullYear();
  const candidates = [firstYear - 1, firstYear, new Date(other.end - 1).getUTCFullYear()].map(shift);
  return candidates.reduce((best, candidate) =>
    rawGap(candidate, other) < rawGap(best, other) ? candidate : best,
  );
}

function overlaps(x: TimeSpan, y: TimeSpan): boolean {
  return x.start < y.end && y.start < x.end;
}

function rawGap(x: TimeSpan, y: TimeSpan): number {
  if (overlaps(x, y)) return 0;
  return x.start >= y.end ? x.start - y.end : y.start - x.end;
}

/** Days of distance at which a match counts half, by how precisely the question named its period. */
const HALF_LIFE_DAYS: Readonly<Record<TimeGrain, number>> = { day: 2, week: 4, month: 10, year: 45 };

/**
 * How well a memory's periods (the day it was said, and the days it speaks of) match the periods a
 * question asks about: 1 when one overlaps, falling by half every few days apart (the question's
 * grain sets how many), 0 with no period on either side. The best pair wins, and is returned so a
 * score breakdown can say what matched.
 */
export function timeMatch(
  question: readonly TimeSpan[],
  memory: readonly TimeSpan[],
): { score: number; question: TimeSpan; memory: TimeSpan } | null {
  let best: { score: number; question: TimeSpan; memory: TimeSpan } | null = null;
  for (const asked of question) {
    for (const said of memory) {
      const score = 0.5 ** (daysApart(asked, said) / HALF_LIFE_DAYS[asked.grain]);
      if (!best || score > best.score) best = { score, question: asked, memory: said };
    }
  }
  return best;
}

/** The day a message was said, as a span, for matching beside the periods it names. */
export function daySpan(at: Date): TimeSpan {
  const day = utcDay(at);
  return { start: day, end: day + DAY_MS, grain: 'day', anyYear: false, text: at.toISOString().slice(0, 10) };
}
