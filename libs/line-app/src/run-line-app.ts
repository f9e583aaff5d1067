import type { Line } from '@tether/routing';
import { runSingleApp } from '@tether/runtime';
import { lineAppBuilder } from './build-line-app';

/**
 * A line app's whole entry point: `void runLineApp('billing')`. The line must be a row of `lines`; it listens on
 * PORT, else `<LINE>_PORT` (`BILLING_PORT`), else the row's `default_port`, and refuses to start without any.
 */
export function runLineApp(line: Line): Promise<void> {
  return runSingleApp(line, lineAppBuilder(line));
}
