import { maskEmail, maskPhone, scrubText } from './pii';

describe('PII masking', () => {
  it('keeps only the last two digits of a phone number', () => {
    expect(maskPhone('+15551230001')).toBe('+***01');
  });
  it('masks e-mail local part and domain', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@***.com');
  });
  it('scrubs phone numbers and e-mails out of free text', () => {
    const text = scrubText('caller +1 555 123 0001 wrote to jane@example.org');
    expect(text).not.toContain('555 123');
    expect(text).not.toContain('jane@example.org');
  });
});
