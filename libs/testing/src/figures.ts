/**
 * Small figures for tests that measure (fault and race suites): percentiles of a list of durations and a plain
 * two-column table to print, so a run's numbers can be read in the test output and quoted.
 */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** The p-th percentile (0-100, nearest rank) of `values`; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    mean: values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length,
  };
}

/** "p50 12 ms / p99 40 ms / max 52 ms (n=100)", or "none" */
export function describeMs(values: readonly number[]): string {
  if (values.length === 0) return 'none';
  const s = summarize(values);
  return `p50 ${Math.round(s.p50)} ms / p99 ${Math.round(s.p99)} ms / max ${Math.round(s.max)} ms (n=${s.n})`;
}

export type FigureRow = readonly [label: string, value: string | number | boolean | null | undefined];

/** A boxed two-column table headed by `title`. */
export function formatFigures(title: string, rows: readonly FigureRow[]): string {
  const width = Math.max(...rows.map(([label]) => label.length), 10);
  const lines = rows.map(
    ([label, value]) =>
      `  ${label.padEnd(width)}  ${value === undefined || value === null ? '-' : String(value)}`,
  );
  const rule = '-'.repeat(Math.max(title.length + 4, ...lines.map((line) => line.length)));
  return [rule, `  ${title}`, rule, ...lines, rule].join('\n');
}

/** Prints the table to the test output (console.log, so jest shows it with the file's results). */
export function printFigures(title: string, rows: readonly FigureRow[]): void {
  console.log(formatFigures(title, rows));
}
