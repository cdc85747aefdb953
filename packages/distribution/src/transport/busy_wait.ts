/**
 * Busy waiting after a write to a peer, as BEAM schedulers busy-wait before they
 * sleep (`erl +sbwt`). For `busyWaitUs` microseconds after a node writes to a
 * connection, the event loop keeps turning (one `setImmediate` a turn, so libuv polls
 * its sockets with a zero timeout) instead of sleeping in the kernel: the peer's
 * answer is read as soon as it arrives, without the wake-up of a sleeping thread (on
 * a virtual machine, tens of microseconds a message, more than the rest of a round
 * trip). A write extends the wait; timers and I/O run as usual meanwhile.
 *
 * The cost is CPU: at most `busyWaitUs` of polling after a node's last write (a
 * request every 10 ms with 200 µs is 2% of a core). `busyWaitUs: 0` turns it off.
 *
 * Internal to the package, not part of its API.
 */

/** Default microseconds of polling after a write (`DistOptions.busyWaitUs`), unless `GROVE_BUSY_WAIT_US` says otherwise. */
export const DEFAULT_BUSY_WAIT_US = 200;
/** Largest accepted `busyWaitUs`. */
export const MAX_BUSY_WAIT_US = 100_000;
/**
 * Turns at most per microsecond of waiting: a turn costs a poll system call (about a
 * microsecond), so the wait ends even where the clock does not move (fake timers).
 */
const TURNS_PER_US = 4;

const now = performance.now.bind(performance);
const nextTurn = setImmediate;
let deadline = 0;
let turnsLeft = 0;
let spinning = false;
/** Counters for tests and tools (`busyWaitStats`). */
const stats = { waits: 0, turns: 0 };

const turn = (): void => {
  stats.turns++;
  if (--turnsLeft > 0 && now() < deadline) nextTurn(turn);
  else spinning = false;
};

/** Keeps the event loop polling for at least `us` microseconds from now (0: nothing). */
export function busyWait(us: number): void {
  if (us <= 0) return;
  const until = now() + us / 1000;
  if (until > deadline) deadline = until;
  const turns = us * TURNS_PER_US;
  if (turns > turnsLeft) turnsLeft = turns;
  if (!spinning) {
    spinning = true;
    stats.waits++;
    nextTurn(turn);
  }
}

/**
 * What busy waiting did in this thread: `waits` started (a write while none ran),
 * `turns` of the event loop spent in them, and whether one runs now.
 */
export function busyWaitStats(): { waits: number; turns: number; spinning: boolean } {
  return { waits: stats.waits, turns: stats.turns, spinning };
}

/**
 * The `busyWaitUs` option resolved: a number of microseconds from 0 to
 * {@link MAX_BUSY_WAIT_US}; when absent, `GROVE_BUSY_WAIT_US` from `env`, else
 * {@link DEFAULT_BUSY_WAIT_US}. A string says what is wrong with a bad value.
 */
export function busyWaitOption(value: unknown, env: NodeJS.ProcessEnv = process.env): number | string {
  const range = `a number of microseconds from 0 to ${MAX_BUSY_WAIT_US}`;
  if (value === undefined) {
    const text = env.GROVE_BUSY_WAIT_US;
    if (text === undefined || text.trim() === '') return DEFAULT_BUSY_WAIT_US;
    const n = Number(text);
    return validUs(n) ? n : `GROVE_BUSY_WAIT_US must be ${range}, got ${JSON.stringify(text)}`;
  }
  return validUs(value) ? value : `busyWaitUs must be ${range}, got ${String(value)}`;
}

function validUs(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= MAX_BUSY_WAIT_US;
}
