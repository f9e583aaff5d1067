import { registerDecorator, ValidationOptions } from 'class-validator';

const KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** attribute -> values: at most 50 attributes named like identifiers, each with 1-1000 non-empty strings (≤ 200). */
export function isAttributeMap(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 50) return false;
  return entries.every(
    ([key, values]) =>
      KEY.test(key) &&
      Array.isArray(values) &&
      values.length >= 1 &&
      values.length <= 1000 &&
      values.every((v) => typeof v === 'string' && v.length >= 1 && v.length <= 200),
  );
}

export function IsAttributeMap(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAttributeMap',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must map attribute names (letters, digits, _ . -) to non-empty lists of values`,
        ...options,
      },
      validator: { validate: isAttributeMap },
    });
}
