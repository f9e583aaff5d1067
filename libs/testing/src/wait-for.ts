export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between probes (default 25 ms). */
  intervalMs?: number;
  /** What we are waiting for, used in the timeout error ("the gateway to answer /health"). */
  what: string;
}

export type WaitForProbe<T> = () => Promise<T | undefined | false> | T | undefined | false;

/**
 * Polls `probe` until it returns a truthy value and resolves to that value.
 * A probe that throws counts as "not yet"; the last error is attached to the timeout error as its cause.
 */
export async function waitFor<T>(probe: WaitForProbe<T>, options: WaitForOptions): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 25, what } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
