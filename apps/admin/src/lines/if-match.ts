import { ValidationFailed } from '@tether/errors';

/**
 * The versions an `If-Match` header allows a write against: `undefined` when absent or `*` (the write applies
 * whatever the version), else each listed entity tag as a version number, bare (`3`) or quoted (`"3"`, `W/"3"`).
 */
export function versionsFromIfMatch(header: string | string[] | undefined): number[] | undefined {
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return undefined;
  return raw.split(',').map((tag) => {
    const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(tag);
    if (match === null)
      throw new ValidationFailed(
        `If-Match must be the version from GET's ETag (e.g. "3"), not ${tag.trim()}`,
      );
    return Number(match[1]);
  });
}

/** The ETag of a version of a line's routing rules. */
export function etagOf(version: number): string {
  return `"${version}"`;
}
