/**
 * Registry: Elixir's `Registry`, a key-value process registry on one node, for
 * naming many processes by any term (`unique` keys) and for pub-sub (`duplicate`
 * keys with `dispatch`). Not to be confused with the node's own table of local
 * names (runtime/registry.ts: `register`, `whereis`), which this one does not touch.
 *
 * ```ts
 * await Registry.start(node, { name: 'rooms', keys: 'duplicate' });
 * Registry.register(ctx, 'rooms', 'lobby', { joinedAt: 1 });
 * Registry.dispatch(ctx, 'rooms', 'lobby', (entries) => { for (const e of entries) ctx.send(e.pid, 'hi'); });
 * await Room.start(node, args, { name: Registry.via(node, 'names', 'room:1') });
 * ```
 *
 * The table and its owning process are in key_table.ts.
 */
import { BadArgError } from '../errors';
import type { ChildSpec } from '../supervisor/child_spec';
import type { ProcessContext } from '../runtime/context';
import type { Pid } from '../runtime/pid';
import type { ViaName } from '../runtime/registry';
import { callerOf, type Caller, type ChildSpecOptions } from '../gen_server/client';
import { serverChildSpec } from '../gen_server/gen_server';
import { startServer } from '../gen_server/start';
import type { Node } from '../runtime/node';
import { Process } from '../runtime/process';
import { RegistryServer, RegistryVia, tableOf, type RegistryEntry, type RegistryKeys, type RegistryOptions } from './key_table';

/** What `register` answers: `'ok'`, or the process already holding a unique key. */
export type RegisterResult = 'ok' | { readonly alreadyRegistered: Pid };

const KEYS: readonly RegistryKeys[] = ['unique', 'duplicate'];

function checkOptions(options: RegistryOptions): RegistryOptions {
  if (typeof options !== 'object' || options === null) throw new BadArgError('Registry.start: expected { name, keys, listeners? }', options);
  if (typeof options.name !== 'string' || options.name === '') throw new BadArgError(`Registry.start: name must be a non-empty string, got ${String(options.name)}`, options.name);
  if (!KEYS.includes(options.keys)) throw new BadArgError(`Registry.start: keys must be 'unique' or 'duplicate', got ${String(options.keys)}`, options.keys);
  if (options.listeners !== undefined && !Array.isArray(options.listeners)) throw new BadArgError('Registry.start: listeners must be an array', options.listeners);
  return options;
}

function self(ctx: ProcessContext, what: string): Pid {
  if (!(ctx instanceof Process)) throw new BadArgError(`Registry.${what}: needs the registering process's context, got ${String(ctx)}`, ctx);
  return ctx.self;
}

function callerNode(from: Caller, what = 'Registry'): Node {
  return callerOf(from, what).node;
}

function launch(from: Caller, options: RegistryOptions, link: boolean): Promise<Pid> {
  try {
    checkOptions(options);
  } catch (e) {
    return Promise.reject(e);
  }
  return startServer(RegistryServer, from, options, { name: options.name }, link) as Promise<Pid>;
}

/** Elixir's Registry. Every function names the registry by the name it was started with. */
export const Registry = {
  /** Starts a registry (not linked), registered under `options.name`; resolves with its pid. */
  start(from: Caller, options: RegistryOptions): Promise<Pid> {
    return launch(from, options, false);
  },

  /** Starts a registry linked to `parent`. */
  startLink(parent: ProcessContext, options: RegistryOptions): Promise<Pid> {
    return launch(parent, options, true);
  },

  /** A child spec (a worker; id: the registry's name unless given). */
  childSpec(options: RegistryOptions, specOptions: Omit<ChildSpecOptions, 'name'> = {}): ChildSpec {
    checkOptions(options);
    return serverChildSpec(RegistryServer, options, { id: options.name, ...specOptions, name: options.name });
  },

  /**
   * Registers the calling process under `key` with `value`; the entry goes when the
   * process exits. A unique registry answers `{ alreadyRegistered: pid }` for a key
   * taken (by this process too); a duplicate one accepts any number.
   */
  register<V>(ctx: ProcessContext, registry: string, key: unknown, value: V): RegisterResult {
    const pid = self(ctx, 'register');
    const holder = tableOf(ctx.node, registry, 'register').add(key, pid, value);
    return holder === undefined ? 'ok' : { alreadyRegistered: holder };
  },

  /** Removes the calling process's entries under `key` (all of them in a duplicate registry). */
  unregister(ctx: ProcessContext, registry: string, key: unknown): void {
    tableOf(ctx.node, registry, 'unregister').remove(key, self(ctx, 'unregister'), true);
  },

  /** Replaces the calling process's value under a unique `key`; false when it does not hold it. */
  updateValue<V>(ctx: ProcessContext, registry: string, key: unknown, value: V): boolean {
    const table = tableOf(ctx.node, registry, 'updateValue');
    if (!table.unique) throw new BadArgError(`Registry.updateValue: ${JSON.stringify(registry)} has duplicate keys`, registry);
    return table.setValue(key, self(ctx, 'updateValue'), value);
  },

  /** The `{ pid, value }` entries under `key` (at most one in a unique registry). */
  lookup<V = unknown>(from: Caller, registry: string, key: unknown): RegistryEntry<V>[] {
    return tableOf(callerNode(from), registry, 'lookup').lookup(key).slice() as RegistryEntry<V>[];
  },

  /** The entries under `key` whose value `match` accepts (Elixir's match pattern and guards). */
  match<V = unknown>(from: Caller, registry: string, key: unknown, match: (value: V) => boolean): RegistryEntry<V>[] {
    return (tableOf(callerNode(from), registry, 'match').lookup(key) as RegistryEntry<V>[]).filter((e) => match(e.value));
  },

  /** Every entry that `match` accepts, any key (Elixir's match specification). */
  select<V = unknown>(from: Caller, registry: string, match: (entry: RegistryEntry<V>) => boolean = () => true): RegistryEntry<V>[] {
    const out: RegistryEntry<V>[] = [];
    for (const e of tableOf(callerNode(from), registry, 'select').entries()) if (match(e as RegistryEntry<V>)) out.push(e as RegistryEntry<V>);
    return out;
  },

  /**
   * Calls `fn` with the entries under `key`, once, in the caller (pub-sub: send to
   * each). The array is the registry's own: read it, do not keep it. Nothing is
   * called when nobody registered the key. No array or promise is made per call.
   */
  dispatch<V = unknown>(from: Caller, registry: string, key: unknown, fn: (entries: readonly RegistryEntry<V>[]) => void): void {
    const entries = tableOf(callerNode(from), registry, 'dispatch').lookup(key);
    if (entries.length > 0) fn(entries as readonly RegistryEntry<V>[]);
  },

  /** The keys `pid` registered. */
  keys(from: Caller, registry: string, pid: Pid): unknown[] {
    return (tableOf(callerNode(from), registry, 'keys').byPid.get(pid.key) ?? []).map((e) => e.key);
  },

  /** The number of entries. */
  count(from: Caller, registry: string): number {
    let n = 0;
    for (const list of tableOf(callerNode(from), registry, 'count').byKey.values()) n += list.length;
    return n;
  },

  /**
   * A `{ via }` name for GenServer (and anything that takes a `ViaName`): the process
   * registers `key` with `value` in the unique registry `registry` of `from`'s node
   * as it starts. The registry is looked up on each use, so a child spec may name
   * one that starts before it.
   */
  via(from: Caller, registry: string, key: unknown, value?: unknown): ViaName {
    if (typeof registry !== 'string') throw new BadArgError(`Registry.via: a registry is named by a string, got ${String(registry)}`, registry);
    return { via: new RegistryVia(callerNode(from), registry, value), name: key };
  },
} as const;
