import { ValidationArguments, ValidationOptions, registerDecorator } from 'class-validator';
import { CHANNELS } from '@tether/routing';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** { "<skill>": <integer level 1-10> } with sane skill names. */
export function IsSkillMap(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isSkillMap',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= 100 &&
          Object.entries(value).every(
            ([skill, level]) =>
              /^[A-Za-z0-9_.-]{1,64}$/.test(skill) &&
              Number.isInteger(level) &&
              (level as number) >= 1 &&
              (level as number) <= 10,
          ),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be an object of skill name -> integer level 1-10 (e.g. {"billing": 7})`,
      },
    });
}

/** { "voice": 1, "chat": 3 }: known channels, integer capacity 0-100. */
export function IsCapacityMap(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCapacityMap',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.entries(value).every(
            ([channel, slots]) =>
              (CHANNELS as readonly string[]).includes(channel) &&
              Number.isInteger(slots) &&
              (slots as number) >= 0 &&
              (slots as number) <= 100,
          ),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be an object of channel (${CHANNELS.join(', ')}) -> integer 0-100 (e.g. {"voice": 1, "chat": 3})`,
      },
    });
}
