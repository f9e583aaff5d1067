import { expect } from '@jest/globals';
import { CompiledCalendar, instantOf } from './business-calendar';

const berlin = new CompiledCalendar({
  timeZone: 'Europe/Berlin',
  weekly: {
    mon: [
      ['13:00', '17:00'],
      ['09:00', '12:00'],
    ],
    tue: [['09:00', '17:00']],
    wed: [['09:00', '17:00']],
    thu: [['09:00', '17:00']],
    fri: [['09:00', '17:00']],
    sun: [['02:30', '04:00']],
  },
  holidays: ['2026-12-25'],
});
const at = (iso: string) => new Date(iso);
const next = (calendar: CompiledCalendar, iso: string) =>
  calendar.nextOpening(at(iso))?.toISOString() ?? null;

describe('CompiledCalendar.nextOpening', () => {
  it('open now: now; closed: the next interval the same day, the next day, after the weekend', () => {
    // Tue 2026-12-01 10:00 local (CET, +01:00) is open
    expect(next(berlin, '2026-12-01T09:00:00.000Z')).toBe('2026-12-01T09:00:00.000Z');
    // Mon 2026-11-30 12:30 local: the lunch break, open again at 13:00 local (unsorted intervals)
    expect(next(berlin, '2026-11-30T11:30:00.000Z')).toBe('2026-11-30T12:00:00.000Z');
    // Tue 2026-12-01 17:00 local (end exclusive): Wednesday 09:00 local
    expect(next(berlin, '2026-12-01T16:00:00.000Z')).toBe('2026-12-02T08:00:00.000Z');
    // Mon 2026-11-30 07:00 local: 09:00 local the same day
    expect(next(berlin, '2026-11-30T06:00:00.000Z')).toBe('2026-11-30T08:00:00.000Z');
    // Fri 2026-12-04 18:00 local: Sunday 02:30 local
    expect(next(berlin, '2026-12-04T17:00:00.000Z')).toBe('2026-12-06T01:30:00.000Z');
  });

  it('skips holidays', () => {
    // Thu 2026-12-24 18:00 local: Friday the 25th is a holiday, Saturday has no hours: Sunday 02:30 local
    expect(next(berlin, '2026-12-24T17:00:00.000Z')).toBe('2026-12-27T01:30:00.000Z');
  });

  it('DST: the summer offset after the spring change, the winter offset after the autumn one', () => {
    // Fri 2026-03-27 18:00 CET -> Sunday 2026-03-29 02:30 does not exist (02:00 -> 03:00): the end of the gap, 03:00
    // CEST = 01:00Z
    expect(next(berlin, '2026-03-27T17:00:00.000Z')).toBe('2026-03-29T01:00:00.000Z');
    // Sun 2026-03-29 05:00 CEST -> Monday 09:00 CEST = 07:00Z
    expect(next(berlin, '2026-03-29T03:00:00.000Z')).toBe('2026-03-30T07:00:00.000Z');
    // Fri 2026-10-23 18:00 CEST -> Sunday 2026-10-25 02:30 happens twice (03:00 CEST -> 02:00 CET): the first, CEST
    expect(next(berlin, '2026-10-23T16:00:00.000Z')).toBe('2026-10-25T00:30:00.000Z');
    // Sun 2026-10-25 04:30 CET -> Monday 09:00 CET = 08:00Z
    expect(next(berlin, '2026-10-25T03:30:00.000Z')).toBe('2026-10-26T08:00:00.000Z');
  });

  it('a zone west of UTC, a day boundary in UTC; a calendar that never opens: null', () => {
    const newYork = new CompiledCalendar({
      timeZone: 'America/New_York',
      weekly: { sat: [['20:00', '24:00']] },
    });
    // Sat 2026-11-07 19:00 EST (-05:00): 20:00 EST = Sun 01:00Z
    expect(next(newYork, '2026-11-08T00:00:00.000Z')).toBe('2026-11-08T01:00:00.000Z');
    expect(
      next(new CompiledCalendar({ timeZone: 'UTC', weekly: {} }), '2026-12-01T00:00:00.000Z'),
    ).toBeNull();
    expect(
      next(
        new CompiledCalendar({ timeZone: 'UTC', weekly: { tue: [['00:00', '24:00']] }, holidays: [] }),
        '2026-12-02T05:00:00.000Z',
      ),
    ).toBe('2026-12-08T00:00:00.000Z');
  });

  it('instantOf: a local time to its instant, either side of a change', () => {
    expect(instantOf('2026-07-01', 9 * 60, 'Europe/Berlin').toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(instantOf('2026-01-01', 9 * 60, 'Europe/Berlin').toISOString()).toBe('2026-01-01T08:00:00.000Z');
    expect(instantOf('2026-03-08', 2 * 60 + 30, 'America/New_York').toISOString()).toBe(
      '2026-03-08T07:00:00.000Z',
    );
  });
});
