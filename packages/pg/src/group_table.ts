/**
 * The membership table of one scope: OTP keeps it in a protected ETS table that only
 * the scope process writes and every process reads; here it is a plain in-memory
 * structure with the same rule. The scope process is its only writer; `getMembers`
 * and friends read it directly, without a message to the scope, so a read is a map
 * lookup and (for a group that has not changed since the last read) returns a shared
 * frozen array.
 *
 * Reads are served locally and are eventually consistent: a join on another node is
 * visible here once this scope has handled that node's join message.
 *
 * Tables are found by (node, scope name). A table lives as long as its scope
 * process: when the process exits, for whatever reason, the table is dropped (OTP
 * deletes the ETS table with its owner), and reads see empty groups until a scope of
 * that name starts again.
 */
import type { Node, Pid } from '@grove/core';
import { PidBag } from './pid_bag';

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
    t.off = node.onExit((pid) => {
      const dead = t.byOwner.get(pid.id);
      if (dead === undefined || !dead.owner.equals(pid)) return;
      t.byOwner.delete(pid.id);
      if (t.byScope.get(dead.scope) === dead) t.byScope.delete(dead.scope);
      if (t.byOwner.size === 0) {
        t.off();
        registry.delete(node);
      }
    });
    registry.set(node, (tables = t));
  }
  tables.byScope.set(table.scope, table);
  tables.byOwner.set(table.owner.id, table);
}
