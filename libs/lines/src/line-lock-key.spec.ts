import { lineLockKey } from './line-lock-key';

describe('lineLockKey', () => {
  it('is stable: the keys of the default lines never change (instances of different versions share them)', () => {
    expect(lineLockKey('sales')).toBe(-2_639_711_842_066_353_949n);
    expect(lineLockKey('presales')).toBe(-5_129_811_532_180_691_743n);
    expect(lineLockKey('service')).toBe(8_147_575_446_800_215_630n);
  });

  it('gives distinct keys to distinct lines, within PostgreSQL bigint', () => {
    const names = ['sales', 'presales', 'service', 'billing', 'sales_2', 'support'];
    const keys = names.map(lineLockKey);
    expect(new Set(keys).size).toBe(names.length);
    for (const key of keys) {
      expect(key).toBeGreaterThanOrEqual(-(2n ** 63n));
      expect(key).toBeLessThan(2n ** 63n);
    }
  });

  it('depends on the name only', () => {
    expect(lineLockKey('billing')).toBe(lineLockKey('billing'));
    expect(lineLockKey('billing')).not.toBe(lineLockKey('Billing'));
  });
});
