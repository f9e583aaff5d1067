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
