/**
 * Cluster-wide names (OTP `global`): a name registered once for the whole cluster,
 * found on any node with a local read, usable as a `via` name for GenServers and
 * Supervisors.
 *
 * Every change (register, re-register, unregister) runs as OTP's `trans_all_known`:
 * set the global lock on this node and every visible node it knows (lock.ts; the
 * BEAM nodes among them in OTP's shape, erlang/global_bridge.ts),
 * check, change the table on all of them (each node's global name server,
 * name_server.ts), release. So two nodes registering one name at once cannot both
 * win: the second to get the lock finds the name taken. Names leave when their
 * process exits or their node goes down; partitions that heal are merged by
 * sync.ts, clashes decided by the registration's resolve function.
 *
 * Deliberate differences from OTP: the operations return promises (a node cannot
 * block); the resolve function is a JS function that stays on the node that
 * registered (see resolve.ts); the default resolver exits the loser with
 * `{ globalNameConflict: name }` rather than `kill`; names are the terms protocol.ts
 * accepts.
 */
import { BadArgError, call, formatTerm, getLogger, isPid, Node, NoProcError, type Pid, type ProcessContext, type TimeoutMs, type ViaName, type ViaRegistry } from '@grove/core';
import { callerOf, DistNode, knownGroveNodes, type DistCaller } from '../node/dist_node';
import { DistNodeError } from '../errors';
import { delLockOn, setLockOn } from './lock';
import { globalServerOf, GlobalServer } from './name_server';
import { ask, GLOBAL_RESOURCE, nameKey, type GlobalName, type GlobalRequest, type NameRecord, type RegisterReply } from './protocol';
import { builtinName, randomExitName, type ResolveFn } from './resolve';

/** A lock id (OTP `{ResourceId, LockRequesterId}`): the resource, and who asks (any term). */
export type LockId = readonly [resource: unknown, requester: unknown];

/**
 * The global name registry as one node sees it. Get it with {@link globalOf}; pass
 * it as a `via` registry (`{ via: globalOf(node), name }`, or {@link GlobalRegistry.via}).
 */
export class GlobalRegistry implements ViaRegistry {
  /** @internal use {@link globalOf}. */
  constructor(
    /** The node this registry reads and writes from. */
    readonly node: Node,
    /** Who holds the locks {@link setLock} sets: the process it was got from, or the node's root. */
    private readonly caller: ProcessContext,
  ) {}

  /** The node's name server: the one running now (a restarted one replaces the last). */
  private get server(): GlobalServer {
    return globalServerOf(this.node)!;
  }

  /**
   * Registers `name` for `pid` across the cluster (OTP `register_name/3`): true, or
   * false when the name is taken or `pid` already holds another global name (logged,
   * as OTP). `resolve` decides a clash found when partitions heal (default
   * {@link randomExitName}). Resolves once every node this node is connected to has
   * the name (or has gone), so a `whereisName` on any of them sees it.
   */
  async registerName(name: GlobalName, pid: Pid, resolve: ResolveFn = randomExitName): Promise<boolean> {
    const key = nameKey(name);
    checkPid(pid, 'registerName');
    const method = methodOf(resolve, this.server);
    if (this.server.whereis(name) !== undefined || this.severalNames(name, pid)) return false;
    return this.transAllKnown(async (root, nodes) => {
      if (this.server.whereis(name) !== undefined || this.severalNames(name, pid)) return false;
      const rkey = GlobalServer.resolverKey(key, pid);
      if (method === this.node.name) this.server.customResolvers.set(rkey, resolve);
      const rec: NameRecord = { name, pid, method };
      const replies = await Promise.all(nodes.map((n) => ask(root, n, { type: 'global.register', rec, force: false }, 'infinity').catch(() => 'gone')));
      if (!replies.some(isTaken)) return true;
      // Another node holds the name (its table was ahead of ours): undo where it went in.
      await Promise.all(nodes.filter((_n, i) => replies[i] === 'ok').map((n) => ask(root, n, { type: 'global.unregister', name, pid }).catch(() => undefined)));
      if (this.server.customResolvers.get(rkey) === resolve) this.server.customResolvers.delete(rkey);
      return false;
    });
  }

  /**
   * Registers `name` for `pid` whoever holds it now (OTP `re_register_name/3`; as
   * there, `pid` may already hold other names).
   */
  async reRegisterName(name: GlobalName, pid: Pid, resolve: ResolveFn = randomExitName): Promise<void> {
    const key = nameKey(name);
    checkPid(pid, 'reRegisterName');
    const method = methodOf(resolve, this.server);
    await this.transAllKnown(async (root, nodes) => {
      if (method === this.node.name) this.server.customResolvers.set(GlobalServer.resolverKey(key, pid), resolve);
      const rec: NameRecord = { name, pid, method };
      await Promise.all(nodes.map((n) => ask(root, n, { type: 'global.register', rec, force: true }, 'infinity').catch(() => undefined)));
    });
  }

  /** True (and logged, as OTP's `check_dupname`) when `pid` holds a global name already. */
  private severalNames(name: GlobalName, pid: Pid): boolean {
    if (!this.server.holdsName(pid)) return false;
    const held = this.server.namesOf(pid);
    log.error(`global: ${pid} registered under several names: ${formatTerm([name, ...held])}`);
    return true;
  }

  /** Removes `name` across the cluster (OTP `unregister_name/1`); nothing when it is not registered. */
  async unregisterName(name: GlobalName): Promise<void> {
    nameKey(name);
    await this.transAllKnown(async (root, nodes) => {
      await Promise.all(nodes.map((n) => ask(root, n, { type: 'global.unregister', name, pid: null }, 'infinity').catch(() => undefined)));
    });
  }

  /** The pid registered as `name`, read from this node's table (OTP `whereis_name/1`). */
  whereisName(name: GlobalName): Pid | undefined {
    return this.server.whereis(name);
  }

  /** Sends `msg` to the process registered as `name` and returns its pid; throws NoProcError when none is (OTP `send/2`). */
  send(name: GlobalName, msg: unknown): Pid {
    const pid = this.server.whereis(name);
    if (pid === undefined) throw new NoProcError(name, 'global send to');
    this.caller.send(pid, msg);
    return pid;
  }

  /** Every globally registered name, as this node knows them (OTP `registered_names/0`). */
  registeredNames(): GlobalName[] {
    return this.server.registeredNames();
  }

  /**
   * Resolves once this node has synced its table with every node it is connected to
   * (OTP `sync/0`): names registered anywhere in the cluster are then visible here.
   */
  async sync(timeoutMs: TimeoutMs = 'infinity'): Promise<void> {
    await call(callerOf(this.node, 'global'), this.server.self, { type: 'global.sync' } satisfies GlobalRequest, timeoutMs);
  }

  /** A `via` name: `GenServer.start(node, args, { name: globalOf(node).via('db') })`. */
  via(name: GlobalName): ViaName {
    nameKey(name);
    return { via: this, name };
  }

  // ---- locks (OTP set_lock / del_lock / trans) ----

  /**
   * Sets lock `id` on `nodes` (default: this node and the visible ones), held by the
   * process this registry was got from. True once set; false after `retries` refused
   * attempts. Locks are released by {@link delLock}, or when the holder exits.
   */
  setLock(id: LockId, nodes?: readonly string[], retries: number | 'infinity' = 'infinity'): Promise<boolean> {
    const [resource, requester] = checkLockId(id);
    checkRetries(retries);
    return setLockOn(this.caller, this.lockNodes(nodes), resource, requester, retries);
  }

  /** Releases lock `id` on `nodes` (default: this node and the visible ones). */
  delLock(id: LockId, nodes?: readonly string[]): void {
    const [resource, requester] = checkLockId(id);
    delLockOn(this.caller, this.lockNodes(nodes), resource, requester);
  }

  /** Runs `fn` holding lock `id` (OTP `trans/4`): its result, or `'aborted'` when the lock was not set. */
  async trans<T>(id: LockId, fn: () => T | Promise<T>, nodes?: readonly string[], retries: number | 'infinity' = 'infinity'): Promise<T | 'aborted'> {
    const list = this.lockNodes(nodes);
    if (!(await this.setLock(id, list, retries))) return 'aborted';
    try {
      return await fn();
    } finally {
      this.delLock(id, list);
    }
  }

  /** This node, the visible Grove nodes, and the BEAM nodes its global knows (OTP's `[node() | known]`). */
  private knownNodes(): string[] {
    return [...knownGroveNodes(this.node), ...this.server.otp.knownNodes()];
  }

  private lockNodes(nodes: readonly string[] | undefined): string[] {
    if (nodes === undefined) return this.knownNodes();
    if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string')) throw new BadArgError(`global lock: nodes must be an array of node names, got ${String(nodes)}`, nodes);
    return [...nodes];
  }

  /**
   * OTP `trans_all_known`: sets the global lock on this node and every visible node,
   * again if nodes came up meanwhile, runs `fn` with that list, then releases.
   */
  private async transAllKnown<T>(fn: (root: ProcessContext, nodes: string[]) => Promise<T>): Promise<T> {
    const root = callerOf(this.node, 'global');
    const requester = `reg ${this.node.name} ${this.node.makeRef().key}`;
    for (;;) {
      const nodes = this.knownNodes();
      await setLockOn(root, nodes, GLOBAL_RESOURCE, requester, 'infinity');
      const now = this.knownNodes();
      if (now.every((n) => nodes.includes(n))) {
        try {
          return await fn(root, nodes);
        } finally {
          delLockOn(root, nodes, GLOBAL_RESOURCE, requester);
        }
      }
      delLockOn(root, nodes, GLOBAL_RESOURCE, requester);
    }
  }
}

/** The global registry of `from`'s node (a process context, a node, or a distributed node). */
export function globalOf(from: DistCaller): GlobalRegistry {
  const caller = callerOf(from, 'globalOf');
  const node = caller.node;
  if (globalServerOf(node) === undefined) throw new DistNodeError(`global: node ${node.name} is not distributed (start it with startDistributed)`);
  if (from instanceof Node || from instanceof DistNode) {
    let g = rootRegistries.get(node);
    if (g === undefined) rootRegistries.set(node, (g = new GlobalRegistry(node, caller)));
    return g;
  }
  return new GlobalRegistry(node, caller);
}

const rootRegistries = new WeakMap<Node, GlobalRegistry>();
const log = getLogger('dist');

function isTaken(r: unknown): boolean {
  return typeof r === 'object' && r !== null && isPid((r as Exclude<RegisterReply, 'ok'>).taken);
}

function methodOf(resolve: unknown, server: GlobalServer): string {
  if (typeof resolve !== 'function') throw new BadArgError(`global: resolve must be a function (name, pid1, pid2, node) => pid | 'none', got ${String(resolve)}`, resolve);
  return builtinName(resolve as ResolveFn) ?? server.node.name;
}

function checkPid(pid: unknown, fn: string): void {
  if (!isPid(pid)) throw new BadArgError(`global.${fn}: expected a pid, got ${String(pid)}`, pid);
}

function checkLockId(id: unknown): [string, string] {
  if (!Array.isArray(id) || id.length !== 2) throw new BadArgError(`global lock: id must be [resource, requester], got ${String(id)}`, id);
  return [nameKey(id[0]), nameKey(id[1])];
}

function checkRetries(r: unknown): void {
  if (r !== 'infinity' && !(typeof r === 'number' && Number.isInteger(r) && r >= 0)) {
    throw new BadArgError(`global lock: retries must be an integer >= 0 or 'infinity', got ${String(r)}`, r);
  }
}
