import { WEEKDAYS, type BusinessCalendar, type Weekday } from './rule-set.types';

/** A weekday and minute of the day, and the local date, at an instant in a time zone. */
interface LocalTime {
  date: string;
  weekday: Weekday;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `timeZone` is one this runtime knows (IANA name). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(at: Date, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: parts.weekday.toLowerCase().slice(0, 3) as Weekday,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** `"09:30"` -> 570; `"24:00"` is the end of the day. */
export function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** The local wall clock at `at` as if it were UTC (ms): the zone's offset is this minus `at`. */
function wallMs(at: Date, timeZone: string): number {
  const local = localTime(at, timeZone);
  const [y, m, d] = local.date.split('-').map(Number);
  return Date.UTC(y, m - 1, d) + local.minute * 60_000;
}

/**
 * The first instant whose local time in `timeZone` is `date` at `minute` or later that day (minute resolution): the
 * earlier of two when clocks go back, the end of the gap when they skip it.
 */
export function instantOf(date: string, minute: number, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d) + minute * 60_000;
  const offsetAt = (ms: number) => wallMs(new Date(ms), timeZone) - ms;
  // the offsets a day either side: at most one change between them
  const before = offsetAt(wall - 86_400_000);
  const after = offsetAt(wall + 86_400_000);
  const matches = [wall - before, wall - after]
    .filter((ms) => wallMs(new Date(ms), timeZone) === wall)
    .sort((a, b) => a - b);
  if (matches.length > 0) return new Date(matches[0]);
  // the wall time does not exist (clocks skipped it): the first minute after the gap
  let low = Math.min(wall - before, wall - after);
  let high = Math.max(wall - before, wall - after);
  while (high - low > 60_000) {
    const mid = low + Math.max(1, Math.floor((high - low) / 120_000)) * 60_000;
    if (wallMs(new Date(mid), timeZone) >= wall) high = mid;
    else low = mid;
  }
  return new Date(high);
}

/** A calendar prepared once per rules version: open intervals per weekday in minutes, holidays as a set. */
export class CompiledCalendar {
  private readonly intervals: readonly (readonly [number, number])[][];
  private readonly holidays: ReadonlySet<string>;

  constructor(private readonly calendar: BusinessCalendar) {
    this.intervals = WEEKDAYS.map((day) =>
      (calendar.weekly[day] ?? []).map(([from, to]) => [minuteOfDay(from), minuteOfDay(to)] as const),
    );
    this.holidays = new Set(calendar.holidays ?? []);
  }

  /**
   * When the line is next open at or after `after`: `after` itself when open then, else the start of the next open
   * interval (holidays skipped), as an instant in the calendar's time zone, DST included: an opening in the hour
   * clocks skip (spring) is the first instant after the gap; one in the hour they repeat (autumn) is its first
   * occurrence. Null when the calendar never opens within the next 400 days.
   */
  nextOpening(after: Date): Date | null {
    if (this.isOpen(after)) return after;
    const start = localTime(after, this.calendar.timeZone).date;
    const [y, m, d] = start.split('-').map(Number);
    for (let i = 0; i <= 400; i++) {
      const day = new Date(Date.UTC(y, m - 1, d + i));
      const date = day.toISOString().slice(0, 10);
      if (this.holidays.has(date)) continue;
      // getUTCDay: 0 = Sunday; WEEKDAYS starts on Monday
      const intervals = [...this.intervals[(day.getUTCDay() + 6) % 7]].sort((a, b) => a[0] - b[0]);
      for (const [from] of intervals) {
        const opening = instantOf(date, from, this.calendar.timeZone);
        if (opening.getTime() > after.getTime()) return opening;
      }
    }
    return null;
  }

  isOpen(at: Date): boolean {
    const local = localTime(at, this.calendar.timeZone);
    if (this.holidays.has(local.date)) return false;
    const day = this.intervals[WEEKDAYS.indexOf(local.weekday)];
    for (const [from, to] of day) if (local.minute >= from && local.minute < to) return true;
    return false;
  }
}
