import 'reflect-metadata';
import {
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
  getMetadataStorage,
  registerDecorator,
  validateSync,
} from 'class-validator';
import { Type, plainToInstance } from 'class-transformer';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Ivr {
  @IsOptional()
  @IsString()
  intent?: string;
}

class Base {
  @IsString()
  callId!: string;
}

class Call extends Base {
  @IsString({ groups: ['strict'] })
  @MaxLength(8, { always: true })
  from!: string;

  @ValidateNested()
  @Type(() => Ivr)
  ivr?: Ivr;
}

const storage = getMetadataStorage();
type Target = Parameters<typeof storage.getTargetValidationMetadatas>[0];
const argumentSets: [Target, string, boolean, boolean, string[] | undefined][] = [
  [Call, '', false, false, undefined],
  [Call, '', true, false, undefined],
  [Call, '', false, true, ['strict']],
  [Call, '', false, true, undefined],
  [Call, '', false, false, ['strict']],
  [Base, '', false, false, undefined],
  [Ivr, '', false, false, undefined],
];
const describeRules = (target: Target, ...rest: [string, boolean, boolean, string[] | undefined]) =>
  storage
    .getTargetValidationMetadatas(target, ...rest)
    .map((m) => `${m.propertyName}:${m.name ?? m.type}`)
    .sort();

describe('cacheValidationMetadata', () => {
  // the library's own answers, before the memo is installed on the (global) storage
  const before = argumentSets.map((args) => describeRules(...args));

  beforeAll(() => cacheValidationMetadata());

  it('answers what class-validator answers, inherited, grouped and `always` rules included', () => {
    expect(argumentSets.map((args) => describeRules(...args))).toEqual(before);
    expect(before[0]).toEqual(
      expect.arrayContaining(['callId:isString', 'from:maxLength', 'ivr:nestedValidation']),
    );
    // strict groups and none asked: the grouped rule is left out, the `always` one kept
    expect(before[3]).not.toContain('from:isString');
    expect(before[3]).toContain('from:maxLength');
    expect(before[2]).toContain('from:isString');
  });

  it('answers a repeated look-up from memory (the same array, and the same grouping of it)', () => {
    const first = storage.getTargetValidationMetadatas(Call, '', false, false, undefined);
    const again = storage.getTargetValidationMetadatas(Call, '', false, false, undefined);
    expect(again).toBe(first);
    expect(storage.groupByPropertyName(again)).toBe(storage.groupByPropertyName(first));
    // other arguments, another answer
    expect(storage.getTargetValidationMetadatas(Call, '', false, false, ['strict'])).not.toBe(first);
  });

  it('forgets its answers when a rule is registered on a class already looked up, and on its subclasses', () => {
    class Parent {
      @IsString()
      name!: string;
    }
    class Child extends Parent {
      @IsInt()
      age!: number;
    }
    expect(validateSync(plainToInstance(Child, { name: 'ann', age: 3, nick: 'x'.repeat(20) }))).toEqual([]);
    registerDecorator({
      target: Parent,
      propertyName: 'nick',
      name: 'shortNick',
      validator: { validate: (value: unknown) => typeof value === 'string' && value.length <= 4 },
    });
    const errors = validateSync(plainToInstance(Child, { name: 'ann', age: 3, nick: 'x'.repeat(20) }));
    expect(errors.map((e) => e.property)).toEqual(['nick']);
    expect(validateSync(plainToInstance(Parent, { name: 'ann', nick: 'x'.repeat(20) }))).toHaveLength(1);
  });

  it('still validates nested bodies and names the failing field', () => {
    const errors = validateSync(plainToInstance(Call, { callId: 7, from: '+1555', ivr: { intent: 5 } }));
    expect(errors.map((e) => e.property).sort()).toEqual(['callId', 'ivr']);
    expect(errors.find((e) => e.property === 'ivr')?.children?.[0].property).toBe('intent');
  });

  it('is installed once: a second call wraps nothing again', () => {
    const lookUp = storage.getTargetValidationMetadatas;
    const register = storage.addValidationMetadata;
    cacheValidationMetadata();
    expect(storage.getTargetValidationMetadatas).toBe(lookUp);
    expect(storage.addValidationMetadata).toBe(register);
  });
});
