/**
 * What the parts of `global` share: what a name is, and what name servers say to
 * each other (and what a registrar, a lock client or a sync asks of them).
 *
 * Names are terms, compared by structure, so a name table is keyed by the name's
 * canonical string (core's `termKey`). A string name that does not start with
 * U+0000 is its own key, so the common case (`whereisName('db')`) allocates nothing.
 * Deliberate difference from OTP: names are limited to strings, numbers, bigints,
 * booleans, null, undefined, pids, and arrays or plain objects of those (no Map,
 * Set, Date, binary or class instance), which covers atoms (strings) and tuples
 * (arrays).
 *
 * Every request is a call to `[global_name_server, node]` ({@link ask}); a
 * `del_lock` and the sync's `synced` notice are plain messages. All of it is made of
 * copyable terms.
 */
import { BadArgError, call, isPid, termKey, type Pid, type ProcessContext, type TermKeyPolicy, type TimeoutMs } from '@grove/core';
import { fieldText } from '../wire/wire';
import { kernelOf } from '../node/net_kernel';
import { otpAsk } from '../erlang/global_bridge';


/** The name of the global name server on every node. */
export const GLOBAL_NAME_SERVER = 'global_name_server';

/** How long a lock or table request to one node's server may take before it counts as refused. */
export const GLOBAL_REQUEST_TIMEOUT_MS = 10_000;
/** The resource every name change locks (OTP's `global` lock id). */
export const GLOBAL_RESOURCE = 'global';

// ---- names ----

/** A global name: a string, or a number, boolean, pid, or an array / plain object of those. */
export type GlobalName = unknown;

const NAMES: TermKeyPolicy = {
  noun: 'a global name',
  plain: true,
  error: (path, detail, value) =>
    new BadArgError(`not a valid global name (at ${path}): ${detail}; names are strings, numbers, bigints, booleans, null, undefined, pids, and arrays or plain objects of those`, value),
};

/** The canonical key of `name`; throws BadArgError for a name outside the supported terms. */
export function nameKey(name: GlobalName): string {
  return termKey(name, NAMES);
}

/** True when `name` can be a global name. */
export function isGlobalName(name: unknown): boolean {
  try {
    nameKey(name);
    return true;
  } catch {
    return false;
  }
}

// ---- messages ----

/** A name as it travels between servers: the name, its pid, and where its resolve method lives. */
export interface NameRecord {
  readonly name: unknown;
  readonly pid: Pid;
  /** A built-in resolver's name, or the node that holds the custom function. */
  readonly method: string;
}

/** One change to the table, applied in order. */
export type NameOp = { readonly op: 'insert'; readonly rec: NameRecord } | { readonly op: 'delete'; readonly name: unknown };

/** A set_lock request to a node's server (the holder is the caller's pid). */
export interface SetLockRequest {
  readonly type: 'global.set_lock';
  readonly resource: string;
  readonly requester: string;
}

/** A del_lock message (sent, not called: releases need no answer, and order per sender holds). */
export interface DelLockMessage {
  readonly type: 'global.del_lock';
  readonly resource: string;
  readonly requester: string;
  readonly pid: Pid;
}

/** Requests a server answers (as calls). */
export type GlobalRequest =
  | SetLockRequest
  | { readonly type: 'global.register'; readonly rec: NameRecord; readonly force: boolean }
  | { readonly type: 'global.unregister'; readonly name: unknown; readonly pid: Pid | null }
  | { readonly type: 'global.names' }
  | { readonly type: 'global.nodes' }
  | { readonly type: 'global.apply'; readonly ops: readonly NameOp[] }
  | { readonly type: 'global.resolve'; readonly name: unknown; readonly pid1: Pid; readonly pid2: Pid }
  | { readonly type: 'global.sync' };

/** Answer to `global.register`: done, or the pid that holds the name. */
export type RegisterReply = 'ok' | { readonly taken: Pid };

// ---- checking what arrives ----

/** Request types a server answers. */
const REQUEST_TYPES: ReadonlySet<unknown> = new Set<GlobalRequest['type']>(['global.set_lock', 'global.register', 'global.unregister', 'global.names', 'global.nodes', 'global.apply', 'global.resolve', 'global.sync']);

/** True for a request of one of the types a server answers (well-formed or not: see {@link malformedRequest}). */
export function isGlobalRequest(req: unknown): req is GlobalRequest {
  return typeof req === 'object' && req !== null && REQUEST_TYPES.has((req as { type?: unknown }).type);
}

/**
 * What is wrong with a request of a known type from another node, or null when it is
 * well-formed: checked in full before a server acts on it, so a bad one changes
 * nothing (an `apply` is not half done).
 */
export function malformedRequest(req: GlobalRequest): string | null {
  const r = req as unknown as Record<string, unknown>;
  switch (req.type) {
    case 'global.set_lock':
      return typeof r['resource'] === 'string' && typeof r['requester'] === 'string' ? null : `set_lock needs a string resource and requester, got ${fieldText(r['resource'])}, ${fieldText(r['requester'])}`;
    case 'global.register':
      return badRecord(r['rec']) ?? (typeof r['force'] === 'boolean' ? null : `register needs a boolean force, got ${fieldText(r['force'])}`);
    case 'global.unregister':
      return badName(r['name']) ?? (r['pid'] === null || isPid(r['pid']) ? null : `unregister needs a pid or null, got ${fieldText(r['pid'])}`);
    case 'global.apply': {
      const ops = r['ops'];
      if (!Array.isArray(ops)) return `apply needs an array of operations, got ${fieldText(ops)}`;
      for (const op of ops as unknown[]) {
        const o = (typeof op === 'object' && op !== null ? op : {}) as Record<string, unknown>;
        const bad = o['op'] === 'insert' ? badRecord(o['rec']) : o['op'] === 'delete' ? badName(o['name']) : `an operation must be an insert or a delete, got ${fieldText(o['op'])}`;
        if (bad !== null) return `apply: ${bad}`;
      }
      return null;
    }
    case 'global.resolve':
      return badName(r['name']) ?? (isPid(r['pid1']) && isPid(r['pid2']) ? null : 'resolve needs two pids');
    default:
      return null;
  }
}

function badName(name: unknown): string | null {
  try {
    nameKey(name);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** True for a well-formed name record (a pid, a method name, a valid name). */
export function isNameRecord(rec: unknown): rec is NameRecord {
  return badRecord(rec) === null;
}

function badRecord(rec: unknown): string | null {
  if (typeof rec !== 'object' || rec === null) return `a name record must be an object, got ${fieldText(rec)}`;
  const r = rec as Partial<NameRecord>;
  if (!isPid(r.pid)) return `a name record needs a pid, got ${fieldText(r.pid)}`;
  if (typeof r.method !== 'string') return `a name record needs a method name, got ${fieldText(r.method)}`;
  return badName(r.name);
}

/**
 * Calls `peer`'s name server with `request`, waiting at most `timeoutMs` (default
 * {@link GLOBAL_REQUEST_TIMEOUT_MS}); the call fails at once if the peer's node or
 * server goes.
 */
export function ask(caller: ProcessContext, peer: string, request: GlobalRequest, timeoutMs: TimeoutMs = GLOBAL_REQUEST_TIMEOUT_MS): Promise<unknown> {
  // A BEAM node's global_name_server takes OTP's requests (erlang/global_bridge.ts).
  if (kernelOf(caller.node)?.isErlang(peer) === true) return otpAsk(caller, peer, request, timeoutMs);
  return call(caller, [GLOBAL_NAME_SERVER, peer], request, timeoutMs);
}
