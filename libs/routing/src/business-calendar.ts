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

  isOpen(at: Date): boolean {
    const local = localTime(at, this.calendar.timeZone);
    if (this.holidays.has(local.date)) return false;
    const day = this.intervals[WEEKDAYS.indexOf(local.weekday)];
    for (const [from, to] of day) if (local.minute >= from && local.minute < to) return true;
    return false;
  }
}
