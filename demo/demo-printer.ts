/**
 * One readable line per event, with the time: what a newcomer watches scroll by. Phone numbers never appear in
 * clear (`maskPhone`), and customers are named by a short id, not by name.
 */
export class DemoPrinter {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  event(tag: string, text: string): void {
    this.write(`${new Date().toISOString().slice(11, 19)}  ${tag.padEnd(8)} ${text}`);
  }

  note(text: string): void {
    this.write(text);
  }
}

/** `+15550100003` → `+1•••••••03`: the country code and the last two digits, enough to tell callers apart. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+/, '');
  if (digits.length <= 4) return '•'.repeat(digits.length);
  const country = digits.startsWith('1') ? '1' : digits.slice(0, 2);
  return `+${country}${'•'.repeat(digits.length - country.length - 2)}${digits.slice(-2)}`;
}

/** The first 8 characters of an id: enough to find it in the console or the API. */
export const shortId = (id: string): string => id.slice(0, 8);
