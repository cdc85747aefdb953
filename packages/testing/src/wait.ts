/**
 * Waiting in tests without sleeping: poll a condition until it holds, with a
 * deadline that fails with what was awaited.
 */

/** Thrown by {@link waitFor} when its condition did not hold in time. */
export class WaitTimeoutError extends Error {
  readonly code = 'wait_timeout' as const;
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Resolves once `cond()` is true (it may be async); rejects with a
 * {@link WaitTimeoutError} naming `what` after `timeoutMs` (default 10,000). Polls on
 * real timers every 10 ms: it never asserts a time, and a virtual clock does not move it.
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One turn of the event loop: what is ready runs (processes, microtasks, I/O callbacks). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
