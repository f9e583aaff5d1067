import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Normalises a caller id to E.164 so "+1 (555) 123-0001" and "+15551230001" are the same customer. Numbers that are
 * possible but not assigned (test ranges like 555) still normalise; withheld or non-numeric ids return null.
 */
export function normalizePhone(raw: string): string | null {
  const trimmed = raw.trim();
  const parsed = parsePhoneNumberFromString(trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed);
  if (parsed?.isPossible()) return parsed.number;
  const digits = trimmed.replace(/[\s().-]/g, '');
  if (/^\+[1-9]\d{6,14}$/.test(digits)) return digits;
  return null;
}

export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/**
 * A messenger or social handle as an identity: `<network>:<name>` (network lower-cased: letters, digits, - and _;
 * the name as written, 1-200 characters without spaces); null for anything else.
 */
export function normalizeHandle(raw: string): string | null {
  const match = /^([A-Za-z0-9_-]{1,32}):(\S{1,200})$/.exec(raw.trim());
  return match ? `${match[1].toLowerCase()}:${match[2]}` : null;
}
