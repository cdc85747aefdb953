/**
 * Global locks (OTP `global:set_lock/3`, `del_lock/2`): a lock `{resource, requester}`
 * is set on a list of nodes, and held on each by the processes that asked for it.
 *
 * Server side ({@link LockTable}, one per global name server): a resource is free,
 * or held by one requester id (any term) for one or more holder pids. A request for
 * a held resource by another requester is refused at once: nothing ever waits for a
 * lock while holding another, so there is no deadlock. A holder's locks go when it
 * exits or its node goes down (the server monitors holders).
 *
 * Client side ({@link setLockOn}): the lock is asked of the nodes' servers, the
 * smallest node name first and then the rest together, so requesters that contend
 * for the same nodes meet on one node first (OTP's "boss" node). One refusal
 * releases everything obtained in this attempt; the requester backs off for a
 * random, growing time and tries again, up to `retries` times (OTP's livelock
 * avoidance). A node that is gone (or runs no global server) counts as granted:
 * it takes no part, and it syncs names when it comes back.
 */
import { CallExitError, CallTimeoutError, type Node, type Pid, type ProcessContext } from '@grove/core';
import { distOf } from '../node/dist_node';
import { kernelOf } from '../node/net_kernel';
import { otpDelLock } from '../erlang/global_bridge';
import { ask, GLOBAL_NAME_SERVER, type DelLockMessage, type SetLockRequest } from './protocol';

interface Lock {
  readonly requester: string;
  /** Holder pid key → pid and how many times it set the lock. */
  readonly holders: Map<string, { pid: Pid; count: number }>;
}

/** The locks set on one node. */
export class LockTable {
  private readonly locks = new Map<string, Lock>();

  /**
   * Sets `resource` for `requester` held by `pid`: false when another requester holds
   * it. `nest` false (OTP's own set_lock, from a BEAM node): a holder that sets it again
   * still holds it once.
   */
  set(resource: string, requester: string, pid: Pid, nest = true): boolean {
    let lock = this.locks.get(resource);
    if (lock === undefined) this.locks.set(resource, (lock = { requester, holders: new Map() }));
    else if (lock.requester !== requester) return false;
    const h = lock.holders.get(pid.key);
    if (h === undefined) lock.holders.set(pid.key, { pid, count: 1 });
    else if (nest) h.count++;
    return true;
  }

  /** Releases one hold of `resource` by `pid` for `requester` (nothing when it holds none). */
  del(resource: string, requester: string, pid: Pid): void {
    const lock = this.locks.get(resource);
    if (lock === undefined || lock.requester !== requester) return;
    const h = lock.holders.get(pid.key);
    if (h === undefined) return;
    if (--h.count === 0) lock.holders.delete(pid.key);
    if (lock.holders.size === 0) this.locks.delete(resource);
  }

  /** Releases every lock `pid` holds (it exited, or its node went down). */
  dropPid(pid: Pid): void {
    for (const [resource, lock] of this.locks) {
      if (lock.holders.delete(pid.key) && lock.holders.size === 0) this.locks.delete(resource);
    }
  }

  /** True when `pid` holds some lock. */
  holds(pid: Pid): boolean {
    for (const lock of this.locks.values()) if (lock.holders.has(pid.key)) return true;
    return false;
  }

  /** The requester holding `resource`, if any. */
  holder(resource: string): string | undefined {
    return this.locks.get(resource)?.requester;
  }
}

// ---- client side ----

async function lockOne(caller: ProcessContext, peer: string, resource: string, requester: string): Promise<boolean> {
  const req: SetLockRequest = { type: 'global.set_lock', resource, requester };
  try {
    return (await ask(caller, peer, req)) === true;
  } catch (e) {
    // A node that is gone, or runs no global server, takes no part in the lock.
    if (e instanceof CallExitError) return e.noconnection || e.noproc;
    // No answer in time: refused (and tried again). The node may still grant it late, and
    // a grant nobody releases would hold the lock forever: a release follows the request
    // (the node handles them in order; if it refused, the release changes nothing).
    if (e instanceof CallTimeoutError) {
      delLockOn(caller, [peer], resource, requester);
      return false;
    }
    // Anything else (the caller's node stopped) ends the attempt.
    throw e;
  }
}

/** Releases `resource` held by `caller` for `requester` on `nodes`. */
export function delLockOn(caller: ProcessContext, nodes: readonly string[], resource: string, requester: string): void {
  const msg: DelLockMessage = { type: 'global.del_lock', resource, requester, pid: caller.self };
  const node = caller.node;
  const connected = new Set(distOf(node)?.nodes('connected'));
  const kernel = kernelOf(node);
  for (const n of nodes) {
    // A lock on a node this one is no longer connected to went with the connection
    // (the holder's monitor fired noconnection there); a send would only dial it again.
    if (n !== node.name && !connected.has(n)) continue;
    try {
      if (kernel?.isErlang(n) === true) otpDelLock(caller, n, resource, requester);
      else node.send([GLOBAL_NAME_SERVER, n], msg);
    } catch {
      // No global server here (the node is stopping): nothing to release.
    }
  }
}

/**
 * Sets the lock on every node of `nodes`, held by `caller`: true once set on all,
 * false when `retries` attempts were refused (OTP `set_lock`).
 */
export async function setLockOn(caller: ProcessContext, nodes: readonly string[], resource: string, requester: string, retries: number | 'infinity'): Promise<boolean> {
  const sorted = [...new Set(nodes)].sort();
  if (sorted.length === 0) return true;
  const [boss, ...rest] = sorted as [string, ...string[]];
  for (let attempt = 0; ; attempt++) {
    // Only what this attempt obtained is released: a requester may hold the lock already (it nests).
    const granted: string[] = [];
    if (await lockOne(caller, boss, resource, requester)) {
      granted.push(boss);
      const got = await Promise.all(rest.map((n) => lockOne(caller, n, resource, requester)));
      for (let i = 0; i < rest.length; i++) if (got[i]) granted.push(rest[i]!);
      if (granted.length === sorted.length) return true;
    }
    delLockOn(caller, granted, resource, requester);
    if (retries !== 'infinity' && attempt >= retries) return false;
    await backoff(caller.node, attempt);
  }
}

/** A random wait that grows with the attempt (at most about a second). */
function backoff(node: Node, attempt: number): Promise<void> {
  const ms = 1 + Math.floor(Math.random() * Math.min(1000, 4 << Math.min(attempt, 8)));
  return new Promise((resolve) => node.clock.setTimeout(resolve, ms));
}
