/**
 * Bounded mailboxes: an opt-in limit on what a process lets queue up, and what
 * happens to a message past it. An extension: OTP's mailboxes are unbounded (the
 * model is Akka's bounded mailboxes and Proto.Actor's bounded dropping mailbox).
 *
 * Only what is *sent* to the process is bounded (`send`, `cast`, `call`, timers,
 * messages from other nodes; see `Process.post`). What the runtime itself tells a
 * process is never refused or dropped, so that OTP's guarantees hold: `DOWN` and
 * `EXIT` messages, call replies (they never enter the mailbox), `sys` requests, and a
 * behaviour's own ticks and timeouts ({@link kSystemMessage}). They are admitted even
 * over the bound, so `mailboxLength` may exceed `max` by them, and they count like any
 * queued message (a system message is never told apart on the way out, which keeps
 * the mailbox's fast path as it is).
 *
 * Policies, for a message that finds `max` messages queued:
 * - `drop_newest`: the new message is dropped.
 * - `drop_oldest`: the oldest queued message that is not a system message is dropped
 *   and the new one queued (the new one is dropped when there is no such message).
 * - `exit`: the process exits with `{ mailbox_overflow: max }`, which it cannot trap
 *   (as `kill`); what is sent to it from then on is dropped.
 * - `reject`: a `call` fails at once with {@link MailboxFullError} at the caller
 *   (locally or on another node); any other message is dropped.
 *
 * Drops are counted per process (`processInfo(pid).droppedMessages`) and logged as a
 * warning at most once per {@link WARN_EVERY_MS} per process.
 */
import { BadArgError, formatTerm, MailboxFullError } from '../errors';
import { canAnswer, ErrorReply, GenCall, reply } from '../gen';
import { getLogger, logEnabled } from '../logger';
import { isDownMessage, isExitMessage } from './exit';
import { Pid } from './pid';
import type { Process } from './process';
import { inTurn, terminate } from './signals';
import { registerClass } from './term';

/** What happens to a message sent to a full bounded mailbox. */
export type MailboxOverflow = 'drop_newest' | 'drop_oldest' | 'exit' | 'reject';

/** A bounded mailbox: at most `max` queued messages, and what to do past that. */
export interface MailboxOptions {
  /** The most messages the mailbox queues (an integer >= 1). */
  readonly max: number;
  /** What a message that finds the mailbox full does. */
  readonly overflow: MailboxOverflow;
}

/** The exit reason of a process whose bounded mailbox overflowed with policy `'exit'`. */
export interface MailboxOverflowReason {
  readonly mailbox_overflow: number;
}

/** At most one drop warning per process this often. */
export const WARN_EVERY_MS = 10_000;

const POLICIES: readonly MailboxOverflow[] = ['drop_newest', 'drop_oldest', 'exit', 'reject'];

/**
 * @internal marks a message class (on its prototype) or a call request class as the
 * runtime's own: never refused or dropped by a bounded mailbox.
 */
export const kSystemMessage: unique symbol = Symbol('grove.system_message');

/** @internal marks instances of `cls` as system messages (or system call requests), see {@link kSystemMessage}. */
export function markSystemMessage(cls: abstract new (...args: never[]) => unknown): void {
  Object.defineProperty(cls.prototype, kSystemMessage, { value: true });
}

/** @internal a bounded process's limit and counters. */
export class MailboxBound {
  dropped = 0;
  /** Policy `exit` fired: the process is on its way out. */
  overflowed = false;
  private unreported = 0;
  private lastWarn = -Infinity;

  constructor(
    readonly max: number,
    readonly overflow: MailboxOverflow,
  ) {}

  /** Counts a drop and warns, at most once per {@link WARN_EVERY_MS}. */
  drop(p: Process, what: string): void {
    this.dropped++;
    this.unreported++;
    const now = p.node.clock.now();
    if (now - this.lastWarn < WARN_EVERY_MS || !logEnabled('warn')) return;
    this.lastWarn = now;
    log.warn(`${p.pid}${p.name !== null ? ` (${p.name})` : ''}: mailbox full (max ${this.max}, overflow '${this.overflow}'): ${what}`, {
      pid: p.pid.toString(),
      dropped: this.unreported,
      droppedTotal: this.dropped,
    });
    this.unreported = 0;
  }
}

const log = getLogger('process');

/** Checks a spawn option `mailbox`; a BadArgError names what is wrong. @internal */
export function mailboxBound(o: unknown): MailboxBound {
  if (typeof o !== 'object' || o === null) throw new BadArgError(`spawn: mailbox must be { max, overflow }, got ${formatTerm(o)}`, o);
  const { max, overflow } = o as Partial<MailboxOptions>;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new BadArgError(`spawn: mailbox.max must be an integer >= 1, got ${formatTerm(max)}`, max);
  }
  if (!POLICIES.includes(overflow as MailboxOverflow)) {
    throw new BadArgError(`spawn: mailbox.overflow must be one of ${POLICIES.map((x) => `'${x}'`).join(', ')}, got ${formatTerm(overflow)}`, overflow);
  }
  return new MailboxBound(max, overflow as MailboxOverflow);
}

/** True for what the runtime tells a process: never refused or dropped. @internal */
export function isSystemMessage(msg: unknown): boolean {
  if (typeof msg !== 'object' || msg === null) return false;
  if ((msg as { [kSystemMessage]?: unknown })[kSystemMessage] === true) return true;
  if (msg instanceof GenCall) {
    const r = msg.request;
    return typeof r === 'object' && r !== null && (r as { [kSystemMessage]?: unknown })[kSystemMessage] === true;
  }
  return isDownMessage(msg) || isExitMessage(msg);
}

/** A message sent to bounded `p` (its `post`): queued, or the policy acts. @internal */
export function offer(p: Process, b: MailboxBound, msg: unknown): void {
  if (!p.alive) return;
  if (b.overflowed) {
    b.drop(p, 'the process is exiting with mailbox_overflow; message dropped');
    return;
  }
  if (queued(p) < b.max || isSystemMessage(msg) || awaited(p, msg)) {
    p.deliver(msg);
    return;
  }
  switch (b.overflow) {
    case 'drop_newest':
      b.drop(p, 'newest message dropped');
      return;
    case 'drop_oldest':
      dropOldest(p, b, msg);
      return;
    case 'exit':
      b.overflowed = true;
      b.drop(p, 'the process exits with mailbox_overflow');
      // Untrappable, in its turn after what was sent before (like kill).
      p.signals ??= [];
      inTurn(p, (q) => terminate(q, { mailbox_overflow: b.max } satisfies MailboxOverflowReason));
      p.node.scheduler.enqueue(p);
      return;
    case 'reject':
      if (msg instanceof GenCall && canAnswer(msg.from)) {
        b.drop(p, 'call refused');
        reply(p.node, msg.from, new MailboxFullReply(p.pid, b.max));
      } else {
        b.drop(p, 'message dropped');
      }
  }
}

/** Messages waiting for `p`: its mailbox and what waits behind a pending exit signal. */
function queued(p: Process): number {
  return p.mailboxLength + (p.signals === null ? 0 : p.signals.length);
}

/** True when a `receive` waits for exactly this message: it is taken at once, it never queues. */
function awaited(p: Process, msg: unknown): boolean {
  const w = p.waiter;
  if (w === null || p.signals !== null) return false;
  try {
    return w.match === undefined || w.match(msg);
  } catch {
    // Let deliver run the match again and end the process with the error, as for any message.
    return true;
  }
}

function dropOldest(p: Process, b: MailboxBound, msg: unknown): void {
  const mb = p.mailbox;
  const i = mb === null ? -1 : mb.find((m) => !isSystemMessage(m));
  if (i < 0) {
    b.drop(p, 'no droppable queued message; newest message dropped');
    return;
  }
  mb!.takeAt(i);
  b.drop(p, 'oldest message dropped');
  p.deliver(msg);
}

/** What a `'reject'` mailbox answers a call; the caller's `call` rejects with MailboxFullError. @internal */
export class MailboxFullReply extends ErrorReply {
  constructor(
    readonly server: Pid,
    readonly max: number,
  ) {
    super();
  }

  toError(): Error {
    return new MailboxFullError(this.server, this.max);
  }
}

registerClass(MailboxFullReply, {
  name: 'grove.mailbox_full',
  toTerm: (r) => [r.server, r.max],
  fromTerm: (t) => {
    const [server, max] = t as [unknown, unknown];
    if (!(server instanceof Pid) || typeof max !== 'number') throw new BadArgError(`mailbox_full reply: bad term ${formatTerm(t)}`, t);
    return new MailboxFullReply(server, max);
  },
});
