import { ValidationFailed } from '@tether/errors';
import { checkReportQuery, percent, ratio } from './report-query';

describe('checkReportQuery', () => {
  const from = new Date('2026-11-01T00:00:00Z');
  const day = 86_400_000;

  it('fills in the defaults: page 1 of 100, a 7-day repeat window', () => {
    expect(checkReportQuery({ from, to: new Date(from.getTime() + day), bucket: 'day' })).toMatchObject({
      page: 1,
      pageSize: 100,
      repeatDays: 7,
    });
  });

  it.each([
    [{ to: from }, /^to must be after from/],
    [{ to: new Date(from.getTime() + 94 * day) }, /^to must be at most 93 days/],
    [{ bucket: 'hour' }, /^bucket must be one of: 15m, day, week/],
    [{ pageSize: 1001 }, /^pageSize /],
    [{ page: 0 }, /^page /],
    [{ repeatDays: 0 }, /^repeatDays /],
    [{ from: new Date('nope') }, /^from must be a time/],
  ])('refuses %p naming the field', (change, message) => {
    const query = {
      from,
      to: new Date(from.getTime() + day),
      bucket: 'day' as const,
      ...change,
    } as Parameters<typeof checkReportQuery>[0];
    expect(() => checkReportQuery(query)).toThrow(ValidationFailed);
    expect(() => checkReportQuery(query)).toThrow(message);
  });

  it('a range of exactly 93 days is accepted', () => {
    expect(() =>
      checkReportQuery({ from, to: new Date(from.getTime() + 93 * day), bucket: 'week' }),
    ).not.toThrow();
  });
});

describe('percent and ratio', () => {
  it('one decimal of a percentage, two of a ratio, null over nothing', () => {
    expect(percent(2, 3)).toBe(66.7);
    expect(percent(0, 0)).toBeNull();
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(1, 0)).toBeNull();
  });
});
