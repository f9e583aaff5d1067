import { normalizePhone } from './phone-number';

describe('normalizePhone', () => {
  it.each([
    ['+15551230001', '+15551230001'],
    ['+1 (555) 123-0001', '+15551230001'],
    ['0015551230001', '+15551230001'],
    ['+7 912 345-67-89', '+79123456789'],
  ])('%s -> %s', (raw, e164) => expect(normalizePhone(raw)).toBe(e164));

  it.each(['anonymous', '', '12', 'restricted'])('%s is not a phone number', (raw) =>
    expect(normalizePhone(raw)).toBeNull(),
  );
});
