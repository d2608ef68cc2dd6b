import { describe, expect, it } from 'vitest';
import { daySpan, daysApart, type TimeSpan, timeMatch, timeSpansIn } from '../src/services/recall-time.ts';

const said = new Date('2023-12-05T10:00:00Z'); // a Tuesday
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

function only(text: string, reference = said): TimeSpan {
  const spans = timeSpansIn(text, reference);
  expect(spans, text).toHaveLength(1);
  return spans[0] as TimeSpan;
}

describe('timeSpansIn', () => {
  it('reads a full date as that day', () => {
    const span = only('What was Sam doing on December 4, 2023?');
    expect(span).toMatchObject({
      start: day('2023-12-04'),
      end: day('2023-12-05'),
      grain: 'day',
      anyYear: false,
    });
  });

  it('resolves relative days against the moment the text was said', () => {
    expect(only('I attended a Weight Watchers meeting yesterday').start).toBe(day('2023-12-04'));
    expect(only('last Friday I went hiking')).toMatchObject({ start: day('2023-12-01'), grain: 'day' });
    expect(only('I went there yesterday', new Date('2023-05-08T09:00:00Z')).start).toBe(day('2023-05-07'));
  });

  it('gives weeks, weekends, months and years their width', () => {
    const week = only('What happened last week?');
    expect(week.grain).toBe('week');
    expect((week.end - week.start) / 86_400_000).toBe(7);
    expect(week.start).toBeLessThan(day('2023-11-28'));
    expect(week.end).toBeGreaterThan(day('2023-11-28'));
    expect(only('we went camping on the weekend')).toMatchObject({
      start: day('2023-12-02'),
      end: day('2023-12-04'),
    });
    expect(only('next month I will travel')).toMatchObject({
      start: day('2024-01-01'),
      end: day('2024-02-01'),
      grain: 'month',
      anyYear: false,
    });
    expect(only('What did she do in May 2023?')).toMatchObject({ start: day('2023-05-01'), grain: 'month' });
    expect(only('in 2022 I adopted her')).toMatchObject({
      start: day('2022-01-01'),
      end: day('2023-01-01'),
      grain: 'year',
    });
  });

  it('marks a month or a day named without its year as any year', () => {
    expect(only('What did she do in May?')).toMatchObject({ grain: 'month', anyYear: true });
    expect(only('Where was he on 4 December?')).toMatchObject({ grain: 'day', anyYear: true });
  });

  it('finds no period where there is none', () => {
    expect(timeSpansIn('When did Caroline go to the LGBTQ support group?', said)).toEqual([]);
    expect(timeSpansIn('I met 3 friends and 2 dogs', said)).toEqual([]);
    expect(timeSpansIn('', said)).toEqual([]);
  });
});

describe('timeMatch', () => {
  it('scores 1 when the question names the day a relative date in the message resolves to', () => {
    const question = timeSpansIn('What was Sam doing on December 4, 2023?', new Date('2026-12-03T00:00:00Z'));
    const message = [daySpan(said), ...timeSpansIn('I attended a Weight Watchers meeting yesterday', said)];
    const match = timeMatch(question, message);
    expect(match?.score).toBe(1);
    expect(match?.memory.text).toBe('yesterday');
  });

  it('falls with distance, slower for wider questions', () => {
    const onDay = timeSpansIn('on December 1, 2023', said);
    const inMonth = timeSpansIn('in November 2023', said);
    const message = [daySpan(new Date('2023-12-05T12:00:00Z'))];
    const dayScore = timeMatch(onDay, message)?.score ?? 0;
    const monthScore = timeMatch(inMonth, message)?.score ?? 0;
    expect(dayScore).toBeGreaterThan(0);
    expect(dayScore).toBeLessThan(0.5);
    expect(monthScore).toBeGreaterThan(dayScore);
    expect(timeMatch(onDay, [daySpan(new Date('2023-06-01T00:00:00Z'))])?.score ?? 1).toBeLessThan(0.001);
  });

  it('matches a year-less question in the memory’s year', () => {
    const question = timeSpansIn('What did she do in May?', new Date('2026-12-03T00:00:00Z'));
    expect(timeMatch(question, [daySpan(new Date('2023-05-20T00:00:00Z'))])?.score).toBe(1);
    expect(timeMatch(question, [daySpan(new Date('2023-08-20T00:00:00Z'))])?.score ?? 1).toBeLessThan(0.1);
  });

  it('is null with no period on either side', () => {
    expect(timeMatch([], [daySpan(said)])).toBeNull();
    expect(timeMatch(timeSpansIn('in 2022', said), [])).toBeNull();
  });

  it('measures days apart symmetrically', () => {
    const a = only('on December 1, 2023');
    const b = only('on December 4, 2023');
    expect(daysApart(a, b)).toBe(3);
    expect(daysApart(b, a)).toBe(3);
    expect(daysApart(a, a)).toBe(0);
  });
});
