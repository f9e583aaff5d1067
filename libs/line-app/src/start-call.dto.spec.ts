import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { JsonBodyPipe, describeValidationErrors } from '@tether/transport';
import { StartCallDto } from './start-call.dto';

/** What the webhook pipeline (JsonBodyPipe, then whitelisting validation) says about a body. */
function problems(body: unknown): string[] {
  try {
    new JsonBodyPipe().transform(body, { type: 'body', metatype: StartCallDto });
  } catch (error) {
    return [(error as Error).message];
  }
  const errors = validateSync(plainToInstance(StartCallDto, body), {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  });
  return describeValidationErrors(errors);
}

const valid = {
  callId: 'CA1',
  from: '+15551230001',
  to: '+15550000001',
  ivr: { intent: 'billing', digits: '2', language: 'ru' },
};

describe('StartCallDto', () => {
  it('accepts the contract example', () => expect(problems(valid)).toEqual([]));

  it('accepts a body without ivr', () =>
    expect(problems({ callId: 'CA1', from: '+1', to: '+2' })).toEqual([]));

  it.each([
    [{ ...valid, callId: 5 }, 'callId must be a string'],
    [{ ...valid, callId: undefined }, 'callId should not be null or undefined'],
    [{ ...valid, from: '' }, 'from should not be empty'],
    [{ ...valid, to: ['x'] }, 'to must be a string'],
    [{ ...valid, ivr: 'billing' }, 'ivr must be an object'],
    [{ ...valid, ivr: { intent: 7 } }, 'ivr.intent must be a string'],
    [{ ...valid, ivr: { digits: 'abc' } }, 'ivr.digits may hold only 0-9, * and #'],
    [{ ...valid, extra: 1 }, 'property extra should not exist'],
  ])('names the field: %j', (body, message) => {
    expect(problems(body)).toContain(message);
  });

  it('rejects any body with a field removed, mistyped or added (property)', () => {
    const mutations = fc.oneof(
      fc.constantFrom('callId', 'from', 'to').map((field) => (b: Record<string, unknown>) => {
        const copy = { ...b };
        delete copy[field];
        return copy;
      }),
      fc
        .tuple(
          fc.constantFrom('callId', 'from', 'to'),
          fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())),
        )
        .map(([field, value]) => (b: Record<string, unknown>) => ({ ...b, [field]: value })),
      fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((key) => !['callId', 'from', 'to', 'ivr', '__proto__', 'constructor'].includes(key))
        .map((key) => (b: Record<string, unknown>) => ({ ...b, [key]: 'x' })),
    );
    fc.assert(
      fc.property(mutations, (mutate) => problems(mutate(valid)).length > 0),
      { numRuns: 10_000 },
    );
  });
});
