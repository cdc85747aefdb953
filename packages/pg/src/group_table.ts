/**
 * The membership table of one scope, with its two parts: the group keys it is indexed
 * by, and the pid multisets it holds.
 *
 * The table: OTP keeps it in a protected ETS table that only the scope process writes
 * and every process reads; here it is a plain in-memory structure with the same rule.
 * The scope process is its only writer; `getMembers` and friends read it directly,
 * without a message to the scope, so a read is a map lookup and (for a group that has
 * not changed since the last read) returns a shared frozen array.
 *
 * Reads are served locally and are eventually consistent: a join on another node is
 * visible here once this scope has handled that node's join message.
 *
 * Tables are found by (node, scope name). A table lives as long as its scope
 * process: when the process exits, for whatever reason, the table is dropped (OTP
 * deletes the ETS table with its owner), and reads see empty groups until a scope of
 * that name starts again.
 *
 * Group keys: a group is any term the wire codec can carry, and groups compare like
 * Erlang terms, by structure (map, object and set order ignored), so the table is
 * keyed by each group's canonical string, @grove/core's `termKey` (its encoding is
 * documented in core's `runtime/term_key.ts`). A string group that does not start with
 * U+0000 is its own key: no allocation on a `getMembers` hot path. A group that
 * arrives from another node is a decoded copy; it encodes to the key of the original.
 *
 * Pid bags: a pid joins a group as many times as it likes and must leave as often.
 * Counts live in a map keyed by the pid's stable key, so add and remove are O(1)
 * however large the group; the array a reader gets is built once after a change and
 * shared (frozen) until the next one, so reading a group that did not change
 * allocates nothing.
 */
import { addIntrospection, termKey, type Node, type Pid, type TermKeyPolicy } from '@grove/core';
import { InvalidGroupError } from './errors';

// ---- group keys ----

const GROUPS: TermKeyPolicy = {
  noun: 'a group',
  plain: false,
  error: (path, detail) => new InvalidGroupError(path, detail),
};

/** The canonical key of `group`; throws {@link InvalidGroupError} for a term that cannot cross the wire. */
export function groupKey(group: unknown): string {
  return termKey(group, GROUPS);
}

// ---- the table ----

/** @internal */
export interface GroupEntry {
  /** The group term as first seen (what `whichGroups` returns). */
  readonly group: unknown;
  /** Members on every node. */
  readonly all: PidBag;
  /** Members on this node. */
  readonly local: PidBag;
}

/** @internal */
export class GroupTable {
  readonly groups = new Map<string, GroupEntry>();

  constructor(
    readonly scope: string,
    /** The scope process, the table's only writer. */
    readonly owner: Pid,
  ) {}

  /** Members of a group on every node (a pid once per join). */
  members(key: string): readonly Pid[] {
    return this.groups.get(key)?.all.toArray() ?? PidBag.EMPTY;
  }

  /** Members of a group on this node. */
  localMembers(key: string): readonly Pid[] {
    return this.groups.get(key)?.local.toArray() ?? PidBag.EMPTY;
  }

  /** Groups with at least one member anywhere. */
  whichGroups(): unknown[] {
    const out: unknown[] = [];
    for (const e of this.groups.values()) out.push(e.group);
    return out;
  }

  /** Groups with at least one member on this node. */
  whichLocalGroups(): unknown[] {
    const out: unknown[] = [];
    for (const e of this.groups.values()) if (e.local.size > 0) out.push(e.group);
    return out;
  }

  // ---- writes: the scope process only ----

  /** Adds memberships; `local` says whether the pids are this node's. */
  add(key: string, group: unknown, pids: readonly Pid[], local: boolean): void {
    let e = this.groups.get(key);
    if (e === undefined) this.groups.set(key, (e = { group, all: new PidBag(), local: new PidBag() }));
    for (const pid of pids) {
      e.all.add(pid);
      if (local) e.local.add(pid);
    }
  }

  /** Removes memberships (one per occurrence in `pids`); an emptied group disappears. Returns what was removed. */
  remove(key: string, pids: readonly Pid[], local: boolean): Pid[] {
    const e = this.groups.get(key);
    if (e === undefined) return [];
    const removed: Pid[] = [];
    for (const pid of pids) {
      if (e.all.remove(pid) === 1) {
        removed.push(pid);
        if (local) e.local.remove(pid);
      }
    }
    if (e.all.size === 0) this.groups.delete(key);
    return removed;
  }
}

interface NodeTables {
  readonly byScope: Map<string, GroupTable>;
  readonly byOwner: Map<number, GroupTable>;
  off: () => void;
}

const registry = new WeakMap<Node, NodeTables>();

/** What introspection shows of a node's scopes: each group with its members on every node. */
function snapshot(t: NodeTables): { scope: string; groups: { group: unknown; members: readonly Pid[] }[] }[] {
  return [...t.byScope.values()].map((table) => ({
    scope: table.scope,
    groups: [...table.groups.values()].map((e) => ({ group: e.group, members: e.all.toArray() })),
  }));
}

/** The table of the running scope `scope` on `node`, if any. @internal */
export function tableOf(node: Node, scope: string): GroupTable | undefined {
  return registry.get(node)?.byScope.get(scope);
}

/** Publishes the table of a scope that just started on `node`. @internal */
export function publishTable(node: Node, table: GroupTable): void {
  let tables = registry.get(node);
  if (tables === undefined) {
    const t: NodeTables = { byScope: new Map(), byOwner: new Map(), off: () => undefined };
    // One listener per node, whatever the number of scopes: an exit costs one map lookup.
    const offExit = node.onExit((pid) => {
      const dead = t.byOwner.get(pid.id);
      if (dead === undefined || !dead.owner.equals(pid)) return;
      t.byOwner.delete(pid.id);
      if (t.byScope.get(dead.scope) === dead) t.byScope.delete(dead.scope);
      if (t.byOwner.size === 0) {
        t.off();
        registry.delete(node);
      }
    });
    const offIntrospection = addIntrospection(node, 'pg', () => snapshot(t));
    t.off = () => {
      offExit();
      offIntrospection();
    };
    registry.set(node, (tables = t));
  }
  tables.byScope.set(table.scope, table);
  tables.byOwner.set(table.owner.id, table);
}

// ---- pid bags ----

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
