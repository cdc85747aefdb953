/**
 * The table behind one Elixir-style Registry, and the process that owns it.
 *
 * Elixir keeps a registry in ETS tables that callers write directly, and one
 * partition process per partition that links to every registered process (trapping
 * exits) to delete its entries when it dies. Here the table is a pair of maps that
 * callers on the node read and write synchronously (one JS thread, so no locking),
 * and the owner is a GenServer, {@link RegistryServer}, registered under the
 * registry's name: it links to each process that registers and forgets its entries
 * on the `EXIT`. Between the death and the `EXIT` being handled a lookup can still
 * return the dead pid, as in Elixir.
 *
 * No partitions: they spread ETS writes over schedulers, and one JS thread has one.
 */
import { BadArgError } from '../errors';
import { GenServer } from '../gen_server/gen_server';
import { Info } from '../gen_server/decorators';
import type { Node } from '../runtime/node';
import type { Pid } from '../runtime/pid';
import type { Dest, ViaRegistry } from '../runtime/registry';
import { isExitMessage, type ExitMessage } from '../runtime/exit';
import { termKey, type TermKeyPolicy } from '../runtime/term_key';

/** One registration: `pid` registered `key` with `value`. */
export interface RegistryEntry<V = unknown> {
  readonly key: unknown;
  readonly pid: Pid;
  readonly value: V;
}

/** `'unique'`: one process per key. `'duplicate'`: any number (pub-sub). */
export type RegistryKeys = 'unique' | 'duplicate';

/** Options of a registry, given to `Registry.start`. */
export interface RegistryOptions {
  /** Its local name: how every other function finds it. */
  name: string;
  keys: RegistryKeys;
  /** Processes told `{ type: 'register', ... }` and `{ type: 'unregister', ... }`. */
  listeners?: readonly Dest[];
}

/** A listener's message: `key` was registered by `pid` in `registry`. */
export interface RegistryRegisterEvent {
  readonly type: 'register';
  readonly registry: string;
  readonly key: unknown;
  readonly pid: Pid;
  readonly value: unknown;
}

/** A listener's message: `pid` unregistered `key` in `registry` (not sent when it died). */
export interface RegistryUnregisterEvent {
  readonly type: 'unregister';
  readonly registry: string;
  readonly key: unknown;
  readonly pid: Pid;
}

const KEY_POLICY: TermKeyPolicy = {
  noun: 'a registry key',
  plain: false,
  error: (path, detail, value) => new BadArgError(`Registry: a key must be a term (${path}: ${detail})`, value),
};
const NONE: readonly RegistryEntry[] = Object.freeze([]);

/** @internal the entries of one registry; read and written by callers on its node. */
export class KeyTable {
  /** Entries by key. Arrays are never mutated once handed out, except by `push`. */
  readonly byKey = new Map<string, RegistryEntry[]>();
  /** Entries by registered pid (its `key`), for `keys` and for cleanup. */
  readonly byPid = new Map<string, RegistryEntry[]>();

  constructor(
    readonly name: string,
    readonly unique: boolean,
    readonly owner: Pid,
    private readonly node: Node,
    private readonly listeners: readonly Dest[],
  ) {}

  lookup(key: unknown): readonly RegistryEntry[] {
    return this.byKey.get(termKey(key, KEY_POLICY)) ?? NONE;
  }

  /** Adds an entry; returns the holder when a unique key is taken. */
  add(key: unknown, pid: Pid, value: unknown): Pid | undefined {
    const k = termKey(key, KEY_POLICY);
    const entry: RegistryEntry = { key, pid, value };
    let at = this.byKey.get(k);
    if (at !== undefined && this.unique && !this.node.isAlive(at[0]!.pid)) {
      // Its holder died and the EXIT is still on its way to the owner (a supervisor
      // restarting a child under the same via name gets here): forget it now, as Elixir does.
      this.removePid(at[0]!.pid);
      at = this.byKey.get(k);
    }
    if (at === undefined) this.byKey.set(k, [entry]);
    else if (this.unique) return at[0]!.pid;
    else at.push(entry);
    const mine = this.byPid.get(pid.key);
    if (mine === undefined) {
      this.byPid.set(pid.key, [entry]);
      this.linkTo(pid);
    } else mine.push(entry);
    this.tell(() => ({ type: 'register', registry: this.name, key, pid, value }) satisfies RegistryRegisterEvent);
    return undefined;
  }

  /** Removes `pid`'s entries under `key`; the last one unlinks. */
  remove(key: unknown, pid: Pid, notify: boolean): void {
    const k = termKey(key, KEY_POLICY);
    const at = this.byKey.get(k);
    if (at === undefined || !at.some((e) => e.pid.equals(pid))) return;
    const rest = at.filter((e) => !e.pid.equals(pid));
    if (rest.length === 0) this.byKey.delete(k);
    else this.byKey.set(k, rest);
    const mine = (this.byPid.get(pid.key) ?? []).filter((e) => termKey(e.key, KEY_POLICY) !== k);
    if (mine.length === 0) {
      this.byPid.delete(pid.key);
      if (notify) this.unlinkFrom(pid);
    } else this.byPid.set(pid.key, mine);
    if (notify) this.tell(() => ({ type: 'unregister', registry: this.name, key, pid }) satisfies RegistryUnregisterEvent);
  }

  /** Forgets every entry of a process that exited. */
  removePid(pid: Pid): void {
    const mine = this.byPid.get(pid.key);
    if (mine === undefined) return;
    for (const e of mine) this.remove(e.key, pid, false);
  }

  /** Replaces `pid`'s value under a unique `key`; false when `pid` does not hold it. */
  setValue(key: unknown, pid: Pid, value: unknown): boolean {
    const k = termKey(key, KEY_POLICY);
    const at = this.byKey.get(k);
    if (at === undefined || !at[0]!.pid.equals(pid)) return false;
    const entry: RegistryEntry = { key, pid, value };
    this.byKey.set(k, [entry]);
    this.byPid.set(pid.key, (this.byPid.get(pid.key) ?? []).map((e) => (termKey(e.key, KEY_POLICY) === k ? entry : e)));
    return true;
  }

  *entries(): IterableIterator<RegistryEntry> {
    for (const list of this.byKey.values()) yield* list;
  }

  private linkTo(pid: Pid): void {
    const owner = this.node.local(this.owner);
    if (owner !== undefined) this.node.linkFrom(owner, pid);
  }

  private unlinkFrom(pid: Pid): void {
    const owner = this.node.local(this.owner);
    if (owner !== undefined) this.node.unlinkFrom(owner, pid);
  }

  private tell(event: () => RegistryRegisterEvent | RegistryUnregisterEvent): void {
    if (this.listeners.length === 0) return;
    const msg = event();
    for (const l of this.listeners) {
      try {
        this.node.send(l, msg);
      } catch {
        // A listener name nobody holds: skipped, the registration stands.
      }
    }
  }
}

const tablesByNode = new WeakMap<Node, Map<string, KeyTable>>();

/** @internal the running registry `name` of `node`, or a `BadArgError`. */
export function tableOf(node: Node, name: string, what: string): KeyTable {
  const table = tablesByNode.get(node)?.get(name);
  if (table === undefined || !node.isAlive(table.owner)) {
    if (typeof name !== 'string') throw new BadArgError(`Registry.${what}: a registry is named by a string, got ${String(name)}`, name);
    throw new BadArgError(`Registry.${what}: no registry named ${JSON.stringify(name)} runs on ${node.name}`, name);
  }
  return table;
}

/**
 * @internal The registry's owner: a GenServer registered under the registry's name
 * that traps exits, links to registered processes and forgets them when they die.
 */
export class RegistryServer extends GenServer {
  private table: KeyTable | null = null;

  override init(options: RegistryOptions): void {
    this.ctx.trapExit(true);
    let tables = tablesByNode.get(this.ctx.node);
    if (tables === undefined) tablesByNode.set(this.ctx.node, (tables = new Map()));
    this.table = new KeyTable(options.name, options.keys === 'unique', this.self, this.ctx.node, options.listeners ?? []);
    tables.set(options.name, this.table);
  }

  @Info('EXIT') onExit(msg: ExitMessage): void {
    if (isExitMessage(msg)) this.table?.removePid(msg.from);
  }

  override terminate(): void {
    const tables = tablesByNode.get(this.ctx.node);
    if (this.table !== null && tables?.get(this.table.name) === this.table) tables.delete(this.table.name);
  }

  override formatState(): unknown {
    return { name: this.table?.name, unique: this.table?.unique, keys: this.table?.byKey.size };
  }
}

/** @internal `{ via }` for a registry: resolves the registry by name on each use. */
export class RegistryVia implements ViaRegistry {
  constructor(
    private readonly node: Node,
    private readonly registry: string,
    private readonly value: unknown,
  ) {}

  registerName(key: unknown, pid: Pid): boolean {
    const table = tableOf(this.node, this.registry, 'via');
    if (!table.unique) throw new BadArgError(`Registry.via: ${JSON.stringify(this.registry)} has duplicate keys; via names need a unique registry`, this.registry);
    return table.add(key, pid, this.value) === undefined;
  }

  unregisterName(key: unknown): void {
    const table = tableOf(this.node, this.registry, 'via');
    const holder = table.lookup(key)[0];
    if (holder !== undefined) table.remove(key, holder.pid, true);
  }

  whereisName(key: unknown): Pid | undefined {
    const pid = tablesByNode.get(this.node)?.get(this.registry)?.lookup(key)[0]?.pid;
    return pid !== undefined && this.node.isAlive(pid) ? pid : undefined;
  }
}
