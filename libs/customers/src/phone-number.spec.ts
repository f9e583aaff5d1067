import { normalizePhone, parsePhone } from './phone-number';

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

describe('normalizePhone fast path', () => {
  it('agrees with libphonenumber on North American numbers in E.164, drawn from the whole range', () => {
    let seed = 42;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
    const numbers = ['+12000000000', '+19999999999', '+15551230001', '+18005550100', '+12125550000'];
    for (let i = 0; i < 20_000; i++)
      numbers.push(`+1${2 + (next() % 8)}${String(next() % 1e9).padStart(9, '0')}`);
    for (const number of numbers) expect(normalizePhone(number)).toBe(parsePhone(number));
  });

  it('does not take the fast path for what is not a 10-digit NANP number after +1', () => {
    expect(normalizePhone('+11234567890')).toBe(parsePhone('+11234567890'));
    expect(normalizePhone('+1555123000')).toBe(parsePhone('+1555123000'));
    expect(normalizePhone(' +15551230001')).toBe('+15551230001');
  });
});
