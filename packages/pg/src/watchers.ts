/**
 * Who watches a scope (`monitorScope`) or one group (`monitor`), and the events they
 * get. The scope monitors each watcher process and uses that monitor's ref as the
 * subscription's ref (as OTP does), so a watcher that exits is forgotten when its
 * DOWN arrives, and one map by ref id finds any subscription.
 */
import type { Pid, ProcessContext, Ref } from '@grove/core';
import type { GroupEvent } from './protocol';

interface Watch {
  readonly pid: Pid;
  readonly ref: Ref;
  /** The group key watched, or null for the whole scope. */
  readonly key: string | null;
}

/** @internal */
export class Watchers {
  private readonly byRef = new Map<number, Watch>();
  private readonly scopeWide = new Map<number, Watch>();
  private readonly byGroup = new Map<string, Map<number, Watch>>();

  /** Subscribes `pid` (already monitored with `ref`) to the scope, or to one group key. */
  add(pid: Pid, ref: Ref, key: string | null): void {
    const w: Watch = { pid, ref, key };
    this.byRef.set(ref.id, w);
    if (key === null) {
      this.scopeWide.set(ref.id, w);
    } else {
      let m = this.byGroup.get(key);
      if (m === undefined) this.byGroup.set(key, (m = new Map()));
      m.set(ref.id, w);
    }
  }

  /** Removes the subscription with this monitor ref; false when there is none. */
  remove(ref: Ref): boolean {
    const w = this.byRef.get(ref.id);
    if (w === undefined || !w.ref.equals(ref)) return false;
    this.byRef.delete(ref.id);
    if (w.key === null) {
      this.scopeWide.delete(ref.id);
    } else {
      const m = this.byGroup.get(w.key)!;
      m.delete(ref.id);
      if (m.size === 0) this.byGroup.delete(w.key);
    }
    return true;
  }

  /** Tells the scope's watchers and the group's watchers that `pids` joined or left `group`. */
  notify(ctx: ProcessContext, event: 'join' | 'leave', key: string, group: unknown, pids: readonly Pid[]): void {
    if (pids.length === 0) return;
    if (this.scopeWide.size > 0) for (const w of this.scopeWide.values()) send(ctx, w, event, group, pids);
    const m = this.byGroup.get(key);
    if (m !== undefined) for (const w of m.values()) send(ctx, w, event, group, pids);
  }
}

function send(ctx: ProcessContext, w: Watch, event: 'join' | 'leave', group: unknown, pids: readonly Pid[]): void {
  const msg: GroupEvent = { type: 'pg', ref: w.ref, event, group, pids };
  ctx.send(w.pid, msg);
}
