import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, Subject } from 'rxjs';
import type { TetherConfig } from '@tether/config';
import {
  IntakeAdmissionInterceptor,
  IntakeAtCapacity,
  IntakeOverloaded,
} from './intake-admission.interceptor';

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

function interceptor(intakeMaxInFlight: number, intakeTargetMs = 0): IntakeAdmissionInterceptor {
  return new IntakeAdmissionInterceptor({
    intakeMaxInFlight,
    intakeRetryAfterSeconds: 2,
    intakeTargetMs,
    intakeHoldFloor: 128,
  } as TetherConfig);
}

function refusal(admit: () => unknown): unknown {
  try {
    admit();
  } catch (error) {
    return error;
  }
  return undefined;
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

  describe('with a latency target (TETHER_INTAKE_TARGET_MS)', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('webhooks waiting past the target for an interval and more arriving: 503 intake_overloaded; then admits again', async () => {
      const admission = interceptor(2000, 50);
      const waiting = Array.from({ length: 5 }, () => pending());
      const answers = waiting.map((w) => lastValueFrom(admission.intercept(context, w.handler)));
      jest.advanceTimersByTime(150);
      // the queue stands: held at 128 waiting, then more is past what the line serves
      const held = Array.from({ length: 123 }, () => pending());
      const heldAnswers = held.map((h) => lastValueFrom(admission.intercept(context, h.handler)));
      const refused = refusal(() => admission.intercept(context, pending().handler));
      expect(refused).toBeInstanceOf(IntakeOverloaded);
      expect(refused).toEqual(
        expect.objectContaining({ code: 'intake_overloaded', kind: 'unavailable', retryAfterSeconds: 2 }),
      );
      expect((refused as Error).message).toMatch(/within 50 ms \(TETHER_INTAKE_TARGET_MS\).*retry in 2 s/);

      for (const w of [...waiting, ...held]) w.finish();
      await Promise.all([...answers, ...heldAnswers]);
      // the rate dropped: webhooks answered at once, one at a time; within an interval nobody is refused any more
      for (let i = 0; i < 30; i++) {
        const next = pending();
        const answer = lastValueFrom(admission.intercept(context, next.handler));
        jest.advanceTimersByTime(5);
        next.finish();
        await answer;
      }
      const burst = Array.from({ length: 50 }, () =>
        refusal(() => admission.intercept(context, pending().handler)),
      );
      expect(burst.filter((error) => error !== undefined)).toEqual([]);
    });

    it.each([
      [0, false],
      [60, true],
    ])(
      'the wait counts from the arrival Fastify saw (reply.elapsedTime %i ms before the interceptor): refused %s',
      (elapsedTime, refused) => {
        const admission = interceptor(2000, 50);
        const http = {
          getType: () => 'http',
          switchToHttp: () => ({ getResponse: () => ({ elapsedTime }) }),
        } as unknown as ExecutionContext;
        const first = pending();
        admission.intercept(http, first.handler).subscribe();
        jest.advanceTimersByTime(40);
        admission.intercept(http, pending().handler);
        // answered 40 ms after the interceptor: in time, unless it had waited 60 ms before it
        first.finish();
        jest.advanceTimersByTime(70);
        // 150 more at once: past the hold (128 waiting) only if the queue stands
        const answers = Array.from({ length: 150 }, () =>
          refusal(() => admission.intercept(http, pending().handler)),
        );
        expect(answers.some((answer) => answer instanceof IntakeOverloaded)).toBe(refused);
      },
    );
  });
});
