/**
 * A multiset of pids: a pid joins a group as many times as it likes and must leave
 * as often. Counts live in a map keyed by the pid's stable key, so add and remove are
 * O(1) however large the group; the array a reader gets is built once after a change
 * and shared (frozen) until the next one, so reading a group that did not change
 * allocates nothing.
 */
import type { Pid } from '@grove/core';

interface Slot {
  readonly pid: Pid;
  n: number;
}

const EMPTY: readonly Pid[] = Object.freeze([]);

/** @internal */
export class PidBag {
  private readonly slots = new Map<string, Slot>();
  private total = 0;
  private view: readonly Pid[] | null = EMPTY;

  /** Number of memberships (a pid that joined twice counts twice). */
  get size(): number {
    return this.total;
  }

  /** Adds `n` memberships of `pid`. */
  add(pid: Pid, n = 1): void {
    const slot = this.slots.get(pid.key);
    if (slot === undefined) this.slots.set(pid.key, { pid, n });
    else slot.n += n;
    this.total += n;
    this.view = null;
  }

  /** Removes up to `n` memberships of `pid`; returns how many were removed. */
  remove(pid: Pid, n = 1): number {
    const slot = this.slots.get(pid.key);
    if (slot === undefined) return 0;
    const taken = Math.min(n, slot.n);
    slot.n -= taken;
    if (slot.n === 0) this.slots.delete(pid.key);
    this.total -= taken;
    this.view = null;
    return taken;
  }

  /** Memberships of `pid`. */
  count(pid: Pid): number {
    return this.slots.get(pid.key)?.n ?? 0;
  }

  /** Every membership as a (shared, frozen) array, a pid repeated once per join. */
  toArray(): readonly Pid[] {
    if (this.view !== null) return this.view;
    const arr: Pid[] = new Array(this.total);
    let i = 0;
    for (const slot of this.slots.values()) for (let k = 0; k < slot.n; k++) arr[i++] = slot.pid;
    return (this.view = Object.freeze(arr));
  }

  /** Each distinct pid with its count. */
  entries(): IterableIterator<Slot> {
    return this.slots.values();
  }

  /** The memberships of `other` missing here, as pids (repeated per count): `other -- this`. */
  missingFrom(other: PidBag): Pid[] {
    const out: Pid[] = [];
    for (const slot of other.slots.values()) {
      const have = this.slots.get(slot.pid.key)?.n ?? 0;
      for (let k = have; k < slot.n; k++) out.push(slot.pid);
    }
    return out;
  }

  /** A bag of `pids` (a pid listed twice counts twice). */
  static of(pids: readonly Pid[]): PidBag {
    const bag = new PidBag();
    for (const pid of pids) bag.add(pid);
    return bag;
  }

  /** The shared empty array. */
  static readonly EMPTY = EMPTY;
}
