import type { Line } from '@tether/routing';

/**
 * What a line's name may be: lower-case letters, digits and `_`, starting with a letter, at most 32 characters
 * (the `lines_name_format` CHECK of the `lines` table). The name becomes the line's environment variable
 * (`<NAME>_PORT`) and its advisory-lock key, so it must be stable and plain.
 */
export const LINE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/** A row of the `lines` table. */
export interface LineDefinition {
  name: Line;
  /** for people: OpenAPI titles, dashboards */
  title: string;
  /** the port its line app listens on when neither PORT nor `<NAME>_PORT` is set; null: one of those is required */
  defaultPort: number | null;
  createdAt: string;
}
