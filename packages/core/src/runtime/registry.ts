/**
 * Names: the local registry (unique names per node, released on exit) and `via`
 * registries (global, custom) that name processes by any term.
 */
import type { Pid } from './pid';
import type { RemoteName } from './remote';

/**
 * A registry a process can be named through (OTP's `{via, Module, Name}`), e.g. the
 * cluster-wide `global` of @grove/distribution.
 */
export interface ViaRegistry {
  /** Registers `name` for `pid`; false (or a promise of false) when taken. */
  registerName(name: unknown, pid: Pid): boolean | Promise<boolean>;
  /** Removes the name. */
  unregisterName(name: unknown): void | Promise<void>;
  /** The pid holding `name`, if any. */
  whereisName(name: unknown): Pid | undefined;
}

/** `{ via: registry, name }`: a name held by a {@link ViaRegistry}. */
export interface ViaName {
  readonly via: ViaRegistry;
  readonly name: unknown;
}

/**
 * Where a message can go: a pid, a local registered name, `[name, node]`, or a via name.
 */
export type Dest = Pid | string | RemoteName | ViaName;

/** True for a `[name, node]` pair. */
export function isRemoteName(dest: unknown): dest is RemoteName {
  return Array.isArray(dest) && dest.length === 2 && typeof dest[0] === 'string' && typeof dest[1] === 'string';
}

/** True for a `{ via, name }` destination. */
export function isViaName(dest: unknown): dest is ViaName {
  return typeof dest === 'object' && dest !== null && 'via' in dest && 'name' in dest;
}

/** Valid local names: non-empty, printable, at most 255 characters (an atom's limit). */
export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= 255;
}
