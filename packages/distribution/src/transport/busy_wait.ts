/**
 * Busy waiting after a write to a peer, as BEAM schedulers busy-wait before they
 * sleep (`erl +sbwt`). For `busyWaitUs` microseconds after a node writes to a
 * connection whose peer sent something in the last {@link ANSWER_WINDOW_MS} (and after
 * each handshake message), the event loop keeps turning (one `setImmediate` a turn, so libuv polls
 * its sockets with a zero timeout) instead of sleeping in the kernel: the peer's
 * answer is read as soon as it arrives, without the wake-up of a sleeping thread (on
 * a virtual machine, tens of microseconds a message, more than the rest of a round
 * trip). A write extends the wait; timers and I/O run as usual meanwhile.
 *
 * The cost is CPU: at most `busyWaitUs` of polling after a node's last write (a
 * request every 10 ms with 200 µs is 2% of a core). `busyWaitUs: 0` turns it off.
 *
 * Polling only pays while the thread has a core of its own. Where threads wait for a
 * core (more busy processes than cores), a polling thread takes time from the one that
 * would answer: so, on Linux, every millisecond of polling the thread reads how long
 * it waited for a core (`/proc/thread-self/schedstat`); past a tenth of the time it
 * stops polling for a while (5 ms, doubling while it lasts, at most a second).
 *
 * Internal to the package, not part of its API.
 */
import { close, openSync, readSync } from 'node:fs';

/** Default microseconds of polling after a write (`DistOptions.busyWaitUs`), unless `GROVE_BUSY_WAIT_US` says otherwise. */
export const DEFAULT_BUSY_WAIT_US = 200;
/** Largest accepted `busyWaitUs`. */
export const MAX_BUSY_WAIT_US = 100_000;
/**
 * Turns at most per microsecond of waiting: a turn costs a poll system call (about a
 * microsecond), so the wait ends even where the clock does not move (fake timers).
 */
const TURNS_PER_US = 4;

/** How often (ms of polling) the wait for a core is read. */
const WINDOW_MS = 1;
/** Waiting for a core more than this share of a window stops polling. */
const CONTENDED = 0.1;
const BACKOFF_MIN_MS = 5;
const BACKOFF_MAX_MS = 1000;

const now = performance.now.bind(performance);
const nextTurn = setImmediate;
let deadline = 0;
let turnsLeft = 0;
let spinning = false;
/** Counters for tests and tools (`busyWaitStats`). */
const stats = { waits: 0, turns: 0, backoffs: 0 };

// Contention: the thread's time spent waiting for a core, from the kernel's schedstat.
let schedFd: number | undefined;
const schedBuf = Buffer.alloc(96);
/** Start of the current window (ms), and the core wait (ns) at its start; NaN: none open. */
let windowStart = Number.NaN;
let windowWaitNs = 0;
let backoffUntil = 0;
let backoffMs = BACKOFF_MIN_MS;

/** Nanoseconds this thread has waited for a core so far; -1 where the kernel does not say. */
function coreWaitNs(): number {
  if (schedFd === -1) return -1;
  try {
    // Kept open for the thread's life (Node closes a worker thread's files when it ends).
    schedFd ??= openSync('/proc/thread-self/schedstat', 'r');
    const n = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
    // "<run ns> <wait ns> <slices>\n": the second field.
    let i = 0;
    while (i < n && schedBuf[i] !== 0x20) i++;
    let v = 0;
    for (i++; i < n; i++) {
      const c = schedBuf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    return v;
  } catch {
    // No schedstat here (or it stopped reading): never asked again.
    const fd = schedFd;
    schedFd = -1;
    if (fd !== undefined && fd >= 0) close(fd, () => undefined); // a failed close is of no consequence
    return -1;
  }
}

/** Closes a window of polling: true (and backs off) when the thread waited for a core too long in it. */
function contended(t: number): boolean {
  const w = coreWaitNs();
  if (w < 0) {
    windowStart = Number.POSITIVE_INFINITY; // never judged again: no schedstat here
    return false;
  }
  const waitedMs = (w - windowWaitNs) / 1e6;
  const span = t - windowStart;
  windowStart = t;
  windowWaitNs = w;
  if (waitedMs <= CONTENDED * span) {
    backoffMs = BACKOFF_MIN_MS;
    return false;
  }
  stats.backoffs++;
  backoffUntil = t + backoffMs;
  backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
  windowStart = Number.NaN;
  return true;
}

const turn = (): void => {
  stats.turns++;
  const t = now();
  if (t - windowStart >= WINDOW_MS && contended(t)) spinning = false;
  else if (--turnsLeft > 0 && t < deadline) nextTurn(turn);
  else spinning = false;
};

/**
 * A connection that heard from its peer within this long is in a conversation (calls,
 * replies, monitors): a write to it is likely answered. A node that only sends (a
 * stream of casts, say) does not poll after its writes.
 */
export const ANSWER_WINDOW_MS = 100;

/** The clock {@link busyWaitForAnswer} compares with (ms, `performance.now`). */
export const busyWaitClock: () => number = now;

/** {@link busyWait}, when the connection last heard from its peer (`lastInAt`, {@link busyWaitClock}) within {@link ANSWER_WINDOW_MS}. */
export function busyWaitForAnswer(us: number, lastInAt: number): void {
  if (us <= 0) return;
  const t = now();
  if (t - lastInAt < ANSWER_WINDOW_MS) startWait(us, t);
}

/** Keeps the event loop polling for at least `us` microseconds from now (0: nothing). */
export function busyWait(us: number): void {
  if (us > 0) startWait(us, now());
}

function startWait(us: number, t: number): void {
  if (t < backoffUntil) return;
  const until = t + us / 1000;
  if (until > deadline) deadline = until;
  const turns = us * TURNS_PER_US;
  if (turns > turnsLeft) turnsLeft = turns;
  if (!spinning) {
    spinning = true;
    stats.waits++;
    // A window spans the polls of a burst of writes and the gaps between them; one
    // left open a long time (the thread slept) starts again.
    if (!(t - windowStart < 50 * WINDOW_MS)) {
      windowWaitNs = coreWaitNs();
      windowStart = windowWaitNs < 0 ? Number.POSITIVE_INFINITY : t; // no schedstat: never judged
    }
    nextTurn(turn);
  }
}

/**
 * What busy waiting did in this thread: `waits` started (a write while none ran),
 * `turns` of the event loop spent in them, `backoffs` (polling stopped because the
 * thread waited for a core), and whether one runs now.
 */
export function busyWaitStats(): { waits: number; turns: number; backoffs: number; spinning: boolean } {
  return { waits: stats.waits, turns: stats.turns, backoffs: stats.backoffs, spinning };
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
