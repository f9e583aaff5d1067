import type { INestApplicationContext } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

/**
 * Provided by an app whose default port is data rather than configuration: a line app provides its line's
 * `default_port` (null when it has none). Read when neither PORT nor the app's `<APP>_PORT` is set.
 */
export const APP_DEFAULT_PORT = Symbol('APP_DEFAULT_PORT');

/** The default port an app provides (`APP_DEFAULT_PORT`), for `portFor`'s fallback; null when it provides none. */
export function defaultPortOf(app: INestApplicationContext): number | null {
  // through ModuleRef: the application's own `get` ends the process on an unknown token (Nest's abortOnError)
  try {
    return app
      .get(ModuleRef)
      .get<typeof APP_DEFAULT_PORT, number | null>(APP_DEFAULT_PORT, { strict: false });
  } catch {
    return null; // not provided: only the app's variable (or the fixed default) counts
  }
}
