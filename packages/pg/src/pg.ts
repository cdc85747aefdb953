/**
 * The pg API (OTP `pg`'s exported functions). Every function takes the caller
 * first: a process context, or a node (for code outside any process). Each exists
 * in two shapes, as in OTP: without a scope (the default scope, {@link DEFAULT_SCOPE})
 * and with the scope's name before the group.
 *
 * Writes (`join`, `leave`) and subscriptions (`monitorScope`, `monitor`,
 * `demonitor`) are calls to the local scope process. Reads (`getMembers`,
 * `getLocalMembers`, `whichGroups`, `whichLocalGroups`) are served from the scope's
 * table without a message: fast, and eventually consistent with the other nodes.
 */
import {
  BadArgError,
  callServer,
  isPid,
  isRef,
  Node,
  TIMEOUT,
  type ChildSpec,
  type Pid,
  type ProcessContext,
  type Ref,
} from '@grove/core';
import { NotLocalError } from './errors';
import { groupKey, PidBag, tableOf } from './group_table';
import { isGroupEvent, type Request } from './protocol';
import { startScope, type ScopeOptions } from './scope';

/** The default scope's name (OTP: `pg`). */
export const DEFAULT_SCOPE = 'pg';

/** Who acts: a process context, or a node (its root process, from outside any process). */
export type Caller = ProcessContext | Node;

/** One pid or several (a pid listed twice joins or leaves twice). */
export type PidOrPids = Pid | readonly Pid[];

/** What {@link monitorScope} returns: the subscription's ref and every group with its members. */
export interface ScopeSnapshot {
  readonly ref: Ref;
  readonly groups: Map<unknown, readonly Pid[]>;
}

/** What {@link monitor} returns: the subscription's ref and the group's members. */
export interface GroupSnapshot {
  readonly ref: Ref;
  readonly members: readonly Pid[];
}

// ---- starting ----

/**
 * Starts a scope process, not linked (OTP `pg:start/1`). Resolves with its pid once it
 * is registered under `scope` and has sent `discover` to the connected nodes; rejects
 * with a StartError when the name is taken.
 */
export function start(from: Caller, scope: string = DEFAULT_SCOPE, options: ScopeOptions = {}): Promise<Pid> {
  return startChecked(from, scope, options, false);
}

/** Starts a scope process linked to `from` (OTP `pg:start_link/1`). */
export function startLink(from: Caller, scope: string = DEFAULT_SCOPE, options: ScopeOptions = {}): Promise<Pid> {
  return startChecked(from, scope, options, true);
}

/**
 * A child spec that runs the scope `scope` under a Supervisor: a permanent worker
 * (OTP's kernel starts the default scope the same way).
 */
export function childSpec(scope: string = DEFAULT_SCOPE, options: ScopeOptions & { id?: string } = {}): ChildSpec {
  checkScope(scope);
  const { id, ...scopeOptions } = options;
  return {
    id: id ?? `pg:${scope}`,
    start: (parent: ProcessContext) => startScope(parent, scope, scopeOptions, true),
    restart: 'permanent',
    shutdown: 5000,
    type: 'worker',
  };
}

function startChecked(from: Caller, scope: string, options: ScopeOptions, link: boolean): Promise<Pid> {
  try {
    checkCaller(from);
    checkScope(scope);
  } catch (e) {
    return Promise.reject(e);
  }
  return startScope(from, scope, options, link);
}

// ---- join / leave ----

/**
 * Joins `pids` (processes of this node) to `group`, creating it if needed. A process
 * may join a group many times and must then leave it as many times. Resolves once the
 * local scope has the membership (so a local `getMembers` sees it).
 * Throws NotLocalError for another node's pid, InvalidGroupError for a group that
 * cannot cross the wire, CallExitError when the scope is not running.
 */
export function join(from: Caller, group: unknown, pids: PidOrPids): Promise<void>;
export function join(from: Caller, scope: string, group: unknown, pids: PidOrPids): Promise<void>;
export async function join(from: Caller, ...args: unknown[]): Promise<void> {
  const [scope, group, pids] = scoped(args, 2, 'join');
  const list = localPids(from, pids, 'join');
  groupKey(group);
  await request(from, scope as string, ['join', group, list]);
}

/**
 * Makes `pids` leave `group` once each. Resolves `'not_joined'` when none of them was
 * a member, else `'ok'`.
 */
export function leave(from: Caller, group: unknown, pids: PidOrPids): Promise<'ok' | 'not_joined'>;
export function leave(from: Caller, scope: string, group: unknown, pids: PidOrPids): Promise<'ok' | 'not_joined'>;
export async function leave(from: Caller, ...args: unknown[]): Promise<'ok' | 'not_joined'> {
  const [scope, group, pids] = scoped(args, 2, 'leave');
  const list = localPids(from, pids, 'leave');
  groupKey(group);
  return (await request(from, scope as string, ['leave', group, list])) as 'ok' | 'not_joined';
}

// ---- reads: local, no message ----

/** Every member of `group`, on all nodes, a pid once per join; empty when there is none. In no specific order. */
export function getMembers(from: Caller, group: unknown): readonly Pid[];
export function getMembers(from: Caller, scope: string, group: unknown): readonly Pid[];
export function getMembers(from: Caller, scopeOrGroup: unknown, group?: unknown): readonly Pid[] {
  // Hot path: no rest arguments, no allocation for a string group that did not change.
  const scope = arguments.length > 2 ? checkScope(scopeOrGroup) : DEFAULT_SCOPE;
  const key = groupKey(arguments.length > 2 ? group : scopeOrGroup);
  return tableOf(nodeOf(from), scope)?.members(key) ?? PidBag.EMPTY;
}

/** The members of `group` that run on this node. */
export function getLocalMembers(from: Caller, group: unknown): readonly Pid[];
export function getLocalMembers(from: Caller, scope: string, group: unknown): readonly Pid[];
export function getLocalMembers(from: Caller, scopeOrGroup: unknown, group?: unknown): readonly Pid[] {
  const scope = arguments.length > 2 ? checkScope(scopeOrGroup) : DEFAULT_SCOPE;
  const key = groupKey(arguments.length > 2 ? group : scopeOrGroup);
  return tableOf(nodeOf(from), scope)?.localMembers(key) ?? PidBag.EMPTY;
}

/** Every group with at least one member on some node. */
export function whichGroups(from: Caller, scope: string = DEFAULT_SCOPE): unknown[] {
  checkScope(scope);
  return tableOf(nodeOf(from), scope)?.whichGroups() ?? [];
}

/** Every group with at least one member on this node. */
export function whichLocalGroups(from: Caller, scope: string = DEFAULT_SCOPE): unknown[] {
  checkScope(scope);
  return tableOf(nodeOf(from), scope)?.whichLocalGroups() ?? [];
}

// ---- monitors ----

/**
 * Subscribes the calling process to every change in the scope: it receives a
 * {@link GroupEvent} `{type: 'pg', ref, event: 'join' | 'leave', group, pids}` for each.
 * Returns the ref and the scope's current groups. Ends with {@link demonitor}, or
 * when the process exits.
 */
export async function monitorScope(ctx: ProcessContext, scope: string = DEFAULT_SCOPE): Promise<ScopeSnapshot> {
  checkProcess(ctx, 'monitorScope');
  checkScope(scope);
  return (await request(ctx, scope, ['monitor_scope'])) as ScopeSnapshot;
}

/** Subscribes the calling process to the changes of one group; returns the ref and its members. */
export function monitor(ctx: ProcessContext, group: unknown): Promise<GroupSnapshot>;
export function monitor(ctx: ProcessContext, scope: string, group: unknown): Promise<GroupSnapshot>;
export async function monitor(ctx: ProcessContext, ...args: unknown[]): Promise<GroupSnapshot> {
  checkProcess(ctx, 'monitor');
  const [scope, group] = scoped(args, 1, 'monitor');
  groupKey(group);
  return (await request(ctx, scope as string, ['monitor', group])) as GroupSnapshot;
}

/**
 * Ends a subscription made by {@link monitorScope} or {@link monitor} and removes its
 * events already in the caller's mailbox. `'ok'`, or false when `ref` was no
 * subscription of this scope.
 */
export function demonitor(ctx: ProcessContext, ref: Ref): Promise<'ok' | false>;
export function demonitor(ctx: ProcessContext, scope: string, ref: Ref): Promise<'ok' | false>;
export async function demonitor(ctx: ProcessContext, ...args: unknown[]): Promise<'ok' | false> {
  checkProcess(ctx, 'demonitor');
  const [scope, ref] = scoped(args, 1, 'demonitor');
  if (!isRef(ref)) throw new BadArgError(`pg.demonitor: expected a monitor ref, got ${String(ref)}`, ref);
  const r = (await request(ctx, scope as string, ['demonitor', ref])) as 'ok' | false;
  if (r === 'ok') while ((await ctx.receive((m) => isGroupEvent(m, ref), 0)) !== TIMEOUT);
  return r;
}

// ---- helpers ----

/** Splits `[scope?, ...rest]` by arity: `n` arguments without a scope, `n + 1` with one. */
function scoped(args: unknown[], n: number, fn: string): unknown[] {
  if (args.length === n) return [DEFAULT_SCOPE, ...args];
  if (args.length !== n + 1) throw new BadArgError(`pg.${fn}: expected ${n} or ${n + 1} arguments after the caller, got ${args.length}`);
  checkScope(args[0]);
  return args;
}

/** A call to the local scope `scope` (a GenServer), without a timeout as in OTP. */
function request(from: Caller, scope: string, req: Request): Promise<unknown> {
  checkCaller(from);
  return callServer(from, scope, req, 'infinity');
}

function localPids(from: Caller, pids: unknown, fn: string): readonly Pid[] {
  const node = nodeOf(from).name;
  if (isPid(pids)) {
    if (pids.node !== node) throw new NotLocalError(pids, node);
    return [pids];
  }
  if (!Array.isArray(pids)) throw new BadArgError(`pg.${fn}: expected a pid or an array of pids, got ${String(pids)}`, pids);
  for (const pid of pids) if (!isPid(pid) || pid.node !== node) throw new NotLocalError(pid, node);
  // A copy: the scope keeps and forwards the list, and the caller may reuse its array.
  return pids.slice() as Pid[];
}

function nodeOf(from: Caller): Node {
  checkCaller(from);
  return from instanceof Node ? from : from.node;
}

function checkCaller(from: unknown): asserts from is Caller {
  if (from instanceof Node) return;
  if (typeof from === 'object' && from !== null && 'self' in from && (from as { node?: unknown }).node instanceof Node) return;
  throw new BadArgError(`pg: expected a process context or a Node as the caller, got ${String(from)}`, from);
}

function checkProcess(ctx: unknown, fn: string): asserts ctx is ProcessContext {
  if (ctx instanceof Node || typeof ctx !== 'object' || ctx === null || !('self' in ctx)) {
    throw new BadArgError(`pg.${fn}: events go to a process; call it from a process context, got ${String(ctx)}`, ctx);
  }
}

function checkScope(scope: unknown): string {
  if (typeof scope !== 'string' || scope.length === 0 || scope.length > 255) {
    throw new BadArgError(`pg: a scope is a non-empty name of at most 255 characters, got ${String(scope)}`, scope);
  }
  return scope;
}
