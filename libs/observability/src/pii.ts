/** Masks personal data before it reaches a log line: keep enough to correlate, never the whole value. */
export function maskPhone(value: string | null | undefined): string | null | undefined {
  if (!value) return value;
  const digits = value.replace(/\D/g, '');
  if (digits.length <= 4) return '***';
  return `${value.startsWith('+') ? '+' : ''}***${digits.slice(-2)}`;
}

export function maskEmail(value: string | null | undefined): string | null | undefined {
  if (!value) return value;
  const at = value.indexOf('@');
  if (at <= 0) return '***';
  return `${value[0]}***@${value.slice(at + 1).replace(/^[^.]*/, '***')}`;
}

/** an international number (+ and 7+ digits, separators allowed) or a bare run of 9-15 digits; ISO dates do not match */
const PHONE_LIKE = /\+\d[\d\s().-]{5,}\d|\b\d{9,15}\b/g;
const EMAIL_LIKE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Scrubs free text (error messages, notes) of anything that looks like a phone number or e-mail address. */
export function scrubText(text: string): string {
  return text
    .replace(EMAIL_LIKE, (m) => maskEmail(m) ?? '***')
    .replace(PHONE_LIKE, (m) => maskPhone(m) ?? '***');
}

/** pino redact paths: fields that carry personal data wherever they appear in a logged object. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["x-tether-signature"]',
  'req.headers.cookie',
  '*.from',
  '*.to',
  '*.phone',
  '*.phones',
  '*.email',
  '*.emails',
  '*.name',
  '*.notes',
  '*.body',
  '*.token',
  'from',
  'to',
  'phone',
  'phones',
  'email',
  'emails',
  'notes',
  'token',
];
