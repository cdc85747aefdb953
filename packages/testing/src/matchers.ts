/**
 * Jest matchers for Grove: what a test wants to say about processes.
 *
 * ```ts
 * import { groveMatchers } from '@grove/testing';
 * expect.extend(groveMatchers);          // or: import '@grove/testing/jest';
 *
 * await expect(probe).toReceive({ type: 'done' });        // a Probe got a matching message
 * await expect(pid).toExit('shutdown');                   // the process ends with that reason
 * await expect(watch).toHaveRestarted(3);                 // a RestartWatch saw exactly 3 restarts
 * expect(pid).toHaveMailboxLength(0);                     // right now
 * ```
 *
 * How each one observes, all through public API: `toReceive` reads a {@link Probe}
 * (a process the test owns); `toExit` listens to the exits of the pid's node from
 * the call on (a pid of another node: monitors it from a tracked node and waits for
 * its DOWN); `toHaveRestarted`
 * reads a {@link RestartWatch}; `toHaveMailboxLength` reads `node.processInfo`. The
 * waiting ones take a timeout in real milliseconds (default 1000) and must be awaited.
 */
import { isDownMessage, isPid, type Node, type Pid } from '@grove/core';
import { observerFor, nodeOf } from './nodes';
import { Probe, type MessagePattern } from './probe';
import { RestartWatch } from './restart_watch';
import { WaitTimeoutError } from './wait';

const DEFAULT_TIMEOUT_MS = 1000;

/** Options of the waiting matchers. */
export interface WaitOptions {
  /** How long to wait, in real milliseconds. Default 1000. */
  timeoutMs?: number;
  /** The node to observe from (default: the pid's node, if tracked, else any tracked node). */
  node?: Node;
}

/** What a jest matcher returns (jest's `CustomMatcherResult`, declared here so these types need no @types/jest). */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** The parts of jest's matcher context (`this` in a matcher) the matchers use. */
export interface MatcherContext {
  equals(a: unknown, b: unknown): boolean;
  utils: { printReceived(value: unknown): string; printExpected(value: unknown): string };
}

type Result = MatcherResult;
type Context = MatcherContext;

function show(ctx: Context, v: unknown): string {
  return ctx.utils.printReceived(v);
}

function matcherOf(ctx: Context, pattern: MessagePattern): (msg: unknown) => boolean {
  return typeof pattern === 'function' ? (pattern as (msg: unknown) => boolean) : (msg) => ctx.equals(msg, pattern);
}

async function toReceive(this: Context, probe: unknown, pattern: MessagePattern, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Result> {
  if (!(probe instanceof Probe)) throw new TypeError(`toReceive: expected a Probe, got ${show(this, probe)}`);
  const what = typeof pattern === 'function' ? 'a message for which the predicate holds' : this.utils.printExpected(pattern);
  try {
    const msg = await probe.receive(matcherOf(this, pattern), timeoutMs);
    return { pass: true, message: () => `expected probe ${String(probe.pid)} not to receive ${what} within ${timeoutMs} ms, but it received ${show(this, msg)}` };
  } catch (e) {
    if (!(e instanceof WaitTimeoutError)) throw e;
    return {
      pass: false,
      message: () => `expected probe ${String(probe.pid)} to receive ${what} within ${timeoutMs} ms; it holds ${show(this, probe.messages)}`,
    };
  }
}

/**
 * The exit reason of `pid`, or a timeout. A local pid is watched through its node's
 * exit listener, from the moment of the call (the exact reason, even when the
 * process dies before any other process could run); a remote one through a
 * monitor, whose DOWN says `noproc` when the process is already gone.
 */
function exitOf(observer: Node, pid: Pid, timeoutMs: number): Promise<{ reason: unknown } | 'timeout'> {
  if (observer.isLocal(pid) && observer.creation === pid.creation) {
    if (!observer.isAlive(pid)) return Promise.resolve({ reason: 'noproc' });
    return new Promise((resolve) => {
      const off = observer.onExit((dead, reason) => {
        if (!dead.equals(pid)) return;
        off();
        clearTimeout(timer);
        resolve({ reason });
      });
      const timer = setTimeout(() => {
        off();
        resolve('timeout');
      }, timeoutMs);
    });
  }
  return new Promise((resolve) => {
    const watcher = observer.spawn(async (ctx) => {
      const ref = ctx.monitor(pid);
      const down = await ctx.receive((m) => isDownMessage(m, ref));
      clearTimeout(timer);
      resolve({ reason: (down as { reason: unknown }).reason });
    }, { label: 'toExit' });
    const timer = setTimeout(() => {
      observer.exit(watcher, 'kill');
      resolve('timeout');
    }, timeoutMs);
  });
}

async function toExit(this: Context, pid: unknown, reason?: unknown, options: WaitOptions = {}): Promise<Result> {
  if (!isPid(pid)) throw new TypeError(`toExit: expected a Pid, got ${show(this, pid)}`);
  const observer = options.node ?? observerFor(pid);
  if (observer === undefined) throw new Error(`toExit: no node to observe ${String(pid)} from: pass { node } or trackNode(node)`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const down = await exitOf(observer, pid, timeoutMs);
  const expected = reason === undefined ? 'any reason' : this.utils.printExpected(reason);
  if (down === 'timeout') {
    return { pass: false, message: () => `expected ${String(pid)} to exit with ${expected} within ${timeoutMs} ms; it is still alive` };
  }
  const pass = reason === undefined || this.equals(down.reason, reason);
  const late = down.reason === 'noproc' ? ' (noproc: it was gone before the matcher was called, its real reason is unknown)' : '';
  return {
    pass,
    message: () =>
      pass
        ? `expected ${String(pid)} not to exit with ${expected}, but it exited with ${show(this, down.reason)}`
        : `expected ${String(pid)} to exit with ${expected}, but it exited with ${show(this, down.reason)}${late}`,
  };
}

async function toHaveRestarted(this: Context, watch: unknown, times: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Result> {
  if (!(watch instanceof RestartWatch)) throw new TypeError(`toHaveRestarted: expected a RestartWatch, got ${show(this, watch)}`);
  const deadline = Date.now() + timeoutMs;
  while (watch.restarts < times && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await watch.sync();
  const seen = watch.restarts;
  const pass = seen === times;
  const who = `child ${JSON.stringify(watch.childId)} of ${String(watch.supervisor)}`;
  return {
    pass,
    message: () => (pass ? `expected ${who} not to have been restarted ${times} times` : `expected ${who} to have been restarted ${times} times within ${timeoutMs} ms; it was restarted ${seen} times`),
  };
}

function toHaveMailboxLength(this: Context, pid: unknown, length: number, options: { node?: Node } = {}): Result {
  if (!isPid(pid)) throw new TypeError(`toHaveMailboxLength: expected a Pid, got ${show(this, pid)}`);
  const node = options.node ?? nodeOf(pid);
  if (node === undefined) throw new Error(`toHaveMailboxLength: ${String(pid)} is on no tracked node: pass { node } or trackNode(node)`);
  const info = node.processInfo(pid);
  if (info === undefined) return { pass: false, message: () => `expected ${String(pid)} to have a mailbox of length ${length}, but it is not alive` };
  const pass = info.mailboxLength === length;
  return {
    pass,
    message: () => (pass ? `expected ${String(pid)} not to have a mailbox of length ${length}` : `expected ${String(pid)} to have a mailbox of length ${length}; it has ${info.mailboxLength}`),
  };
}

/** The matchers, for `expect.extend(groveMatchers)` (`@grove/testing/jest` does it and declares their types). */
export const groveMatchers = { toReceive, toExit, toHaveRestarted, toHaveMailboxLength };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** The {@link Probe} receives a message matching `pattern` (a value compared as `toEqual` does, or a predicate) within `timeoutMs`; takes it. */
      toReceive(pattern: unknown, timeoutMs?: number): Promise<R>;
      /** The pid exits (with `reason`, compared as `toEqual` does, when given) within the timeout. */
      toExit(reason?: unknown, options?: WaitOptions): Promise<R>;
      /** The {@link RestartWatch}'s child has been restarted exactly `times` times (waits up to `timeoutMs` for them). */
      toHaveRestarted(times: number, timeoutMs?: number): Promise<R>;
      /** The pid's mailbox holds `length` messages now. */
      toHaveMailboxLength(length: number, options?: { node?: Node }): R;
    }
  }
}
