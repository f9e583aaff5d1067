import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, Subject } from 'rxjs';
import type { TetherConfig } from '@tether/config';
import { IntakeAdmissionInterceptor, IntakeAtCapacity } from './intake-admission.interceptor';

const context = {} as ExecutionContext;

/** A handler whose answer comes when the test says: a webhook in flight. */
function pending(): { handler: CallHandler; finish: () => void } {
  const answer = new Subject<unknown>();
  return {
    handler: { handle: () => answer.asObservable() },
    finish: () => {
      answer.next({ ok: true });
      answer.complete();
    },
  };
}

function interceptor(intakeMaxInFlight: number): IntakeAdmissionInterceptor {
  return new IntakeAdmissionInterceptor({
    intakeMaxInFlight,
    intakeRetryAfterSeconds: 2,
  } as TetherConfig);
}

describe('IntakeAdmissionInterceptor', () => {
  it('admits up to the limit at once, refuses one more with a retry-after, and admits again as webhooks finish', async () => {
    const admission = interceptor(2);
    const first = pending();
    const second = pending();
    const firstAnswer = lastValueFrom(admission.intercept(context, first.handler));
    const secondAnswer = lastValueFrom(admission.intercept(context, second.handler));

    let refused: unknown;
    try {
      admission.intercept(context, pending().handler);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(IntakeAtCapacity);
    expect(refused).toEqual(
      expect.objectContaining({ code: 'intake_at_capacity', kind: 'unavailable', retryAfterSeconds: 2 }),
    );

    first.finish();
    await firstAnswer;
    const third = pending();
    const thirdAnswer = lastValueFrom(admission.intercept(context, third.handler));
    second.finish();
    third.finish();
    await expect(Promise.all([secondAnswer, thirdAnswer])).resolves.toHaveLength(2);
  });

  it('a failed webhook frees its place too', async () => {
    const admission = interceptor(1);
    const failing: CallHandler = {
      handle: () => {
        const answer = new Subject<unknown>();
        setImmediate(() => answer.error(new Error('database down')));
        return answer.asObservable();
      },
    };
    await expect(lastValueFrom(admission.intercept(context, failing))).rejects.toThrow('database down');
    const next = pending();
    const answer = lastValueFrom(admission.intercept(context, next.handler));
    next.finish();
    await expect(answer).resolves.toEqual({ ok: true });
  });

  it('0 means no limit', () => {
    const admission = interceptor(0);
    for (let i = 0; i < 1000; i++) admission.intercept(context, pending().handler);
  });
});
