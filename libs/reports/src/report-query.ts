import { ValidationFailed } from '@tether/errors';
import {
  DEFAULT_REPEAT_DAYS,
  MAX_REPORT_PAGE_SIZE,
  MAX_REPORT_RANGE_DAYS,
  REPORT_BUCKETS,
  ReportBucket,
  ReportQuery,
} from './report.types';

const DAY_MS = 86_400_000;

/** A report query with its defaults filled in and its bounds checked. */
export interface CheckedReportQuery extends ReportQuery {
  repeatDays: number;
  page: number;
  pageSize: number;
}

/** Checks what the transport cannot: the range's order and size; throws ValidationFailed naming the field. */
export function checkReportQuery(query: ReportQuery): CheckedReportQuery {
  const { from, to } = query;
  if (!(from instanceof Date) || Number.isNaN(from.getTime()))
    throw new ValidationFailed('from must be a time');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new ValidationFailed('to must be a time');
  if (to.getTime() <= from.getTime()) throw new ValidationFailed('to must be after from');
  if (to.getTime() - from.getTime() > MAX_REPORT_RANGE_DAYS * DAY_MS)
    throw new ValidationFailed(`to must be at most ${MAX_REPORT_RANGE_DAYS} days after from`);
  if (!REPORT_BUCKETS.includes(query.bucket))
    throw new ValidationFailed(`bucket must be one of: ${REPORT_BUCKETS.join(', ')}`);
  const pageSize = query.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_REPORT_PAGE_SIZE)
    throw new ValidationFailed(`pageSize must be an integer from 1 to ${MAX_REPORT_PAGE_SIZE}`);
  const page = query.page ?? 1;
  if (!Number.isInteger(page) || page < 1) throw new ValidationFailed('page must be a positive integer');
  const repeatDays = query.repeatDays ?? DEFAULT_REPEAT_DAYS;
  if (!Number.isInteger(repeatDays) || repeatDays < 1 || repeatDays > 90)
    throw new ValidationFailed('repeatDays must be an integer from 1 to 90');
  return { ...query, page, pageSize, repeatDays };
}

/** The SQL expression that puts a timestamptz column in its bucket (UTC). Only these three texts are ever built. */
export function bucketSql(bucket: ReportBucket, column: string): string {
  switch (bucket) {
    case '15m':
      return `date_bin('15 minutes', ${column}, timestamptz '2000-01-03 00:00:00+00')`;
    case 'day':
      return `(date_trunc('day', ${column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
    case 'week':
      return `(date_trunc('week', ${column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
  }
}

/** a / b as a percentage with one decimal, null when there is nothing to divide by */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

/** a / b with two decimals, null when there is nothing to divide by */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 100) / 100 : null;
}
