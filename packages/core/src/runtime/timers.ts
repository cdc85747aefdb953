/**
 * Timers (`erlang:send_after/3`, `erlang:cancel_timer/1`): a message sent to a
 * destination after a delay, on the node's clock.
 *
 * A timer set by a process belongs to it and is cancelled when it exits (OTP's BIF
 * timers outlive their setter: a deliberate difference); a timer to a local pid is
 * cancelled when that process exits (as OTP), and one to a dead local pid is never
 * armed. A timer to a name resolves the name when it fires and is dropped when
 * nobody holds it then. Each live timer sits in the node's table (for
 * `cancelTimer` and `halt`) and in its owner's and destination's `timers` sets.
 */
import { BadArgError, formatTerm } from '../errors';
import type { Node } from './node';
import { Pid } from './pid';
import type { Process } from './process';
import { Ref } from './ref';
import type { Dest } from './registry';

/** @internal */
export interface Timer {
  refId: number;
  handle: unknown;
  owner: Process | null;
  dest: Process | null;
  due: number;
}

/** @internal a node's timers. */
export class Timers {
  private readonly table = new Map<number, Timer>();

  constructor(private readonly node: Node) {}

  /** Sends `msg` to `dest` after `ms`; `owner` is the setter (null outside any process). */
  start(owner: Process | null, dest: Dest, msg: unknown, ms: number): Ref {
    const node = this.node;
    if (!(typeof ms === 'number' && ms >= 0 && Number.isFinite(ms))) {
      throw new BadArgError(`sendAfter: ms must be a finite number >= 0, got ${formatTerm(ms)}`, ms);
    }
    if (node.checkMessages) node.copy(msg);
    const refId = node.newRefId();
    const destProc = dest instanceof Pid ? node.local(dest) ?? null : null;
    if (dest instanceof Pid && destProc === null && node.isLocal(dest)) return new Ref(node.name, node.creation, refId, true);
    const t: Timer = { refId, handle: null, owner, dest: destProc, due: node.clock.now() + ms };
    t.handle = node.clock.setTimeout(() => {
      this.drop(t);
      try {
        node.sendFrom(owner?.pid, dest, msg);
      } catch {
        // A name that is not registered when the timer fires: dropped, as in Erlang.
      }
    }, ms);
    this.table.set(refId, t);
    if (owner !== null) (owner.timers ??= new Set()).add(t);
    if (destProc !== null && destProc !== owner) (destProc.timers ??= new Set()).add(t);
    return new Ref(node.name, node.creation, refId, true);
  }

  /** Cancels a timer: the milliseconds it had left, or false when it already fired or was cancelled. */
  cancel(ref: Ref): number | false {
    const t = ref.node === this.node.name ? this.table.get(ref.key as number) : undefined;
    if (t === undefined) return false;
    this.drop(t);
    return Math.max(0, Math.round(t.due - this.node.clock.now()));
  }

  /** Disarms `t` and forgets it everywhere. */
  drop(t: Timer): void {
    if (!this.table.delete(t.refId)) return;
    this.node.clock.clearTimeout(t.handle);
    t.owner?.timers?.delete(t);
    t.dest?.timers?.delete(t);
  }

  /** Disarms every timer (the node halts). */
  dropAll(): void {
    for (const t of [...this.table.values()]) this.drop(t);
  }
}
