/**
 * Spawning on another node (OTP 23's `spawn_request`): code is never shipped, so a
 * node registers *spawnables* by name (a process body, or a GenServer class) and a
 * peer asks for one by name with arguments.
 *
 * Steps: the requester sends SPAWN_REQUEST (a ref of its own, its pid, the name,
 * the args, link and monitor flags); the target spawns (for a GenServer: starts it,
 * so the reply comes after `init`), makes the link or monitor *before* the new
 * process can run or die, and answers SPAWN_REPLY with the pid or a reason. The
 * reply is written before anything the new process causes, so the requester records
 * its side of the link or monitor before it can hear of an exit. An unknown name,
 * a failed start, or a lost connection rejects the requester's promise with a
 * {@link SpawnError}.
 *
 * A spawnable registered with `allowFrom` (allow_from.ts) is spawned only for those
 * nodes (the requester's node is the connection's peer); another is answered as for a
 * name that is not registered.
 *
 * Deliberate difference from OTP: `spawn` on a remote node returns a promise of
 * the pid (JS cannot block), and a name the target does not know is an error at the
 * caller rather than a process that dies with `undef`.
 */
import { BadArgError, checkTerm, formatTerm, Pid, Ref, type Node, type ProcessContext } from '@grove/core';
import type { Control } from '../transport/transport';
import type { Connection } from './connection';
import type { DistRouter } from './dist_router';
import { SpawnError } from '../errors';
import { allows, checkAllowFrom, type Allow, type AllowFrom } from './allow_from';

/** A process body a peer may spawn: called with the new process's context and the request's arguments. */
export type SpawnFunction = (ctx: ProcessContext, ...args: any[]) => unknown;

/**
 * Anything with a static-`start`-like function, e.g. a GenServer class: started with
 * `start(node, args[0], { parent })`, the reply follows init. For a spawn_link
 * (a supervisor's {@link remoteChild}) `parent` is the requester, which the spawn
 * protocol links to the new process: its exit signal (a supervisor's `shutdown`)
 * then runs a trapping GenServer's `terminate`, as for a local child. Otherwise
 * `parent` is absent: an unlinked server is its own parent.
 */
export interface SpawnStarter {
  start(from: Node, args?: any, options?: { parent?: Pid }): Promise<Pid | 'ignore'>;
}

/** What `DistNode.registerSpawnable` accepts. */
export type Spawnable = SpawnFunction | SpawnStarter;

/** Options of `registerSpawnable`. */
export interface SpawnableOptions {
  /**
   * Only these nodes may spawn it (their names, or a predicate on a node's name); any
   * other gets the answer for a name that is not registered (`unknown_spawnable`). The
   * node itself always may. Default: every connected node.
   */
  readonly allowFrom?: AllowFrom;
}

interface Registered {
  readonly spawnable: Spawnable;
  readonly allow: Allow;
}

type SpawnRequest = Extract<Control, { type: 'spawn_request' }>;
type SpawnReply = Extract<Control, { type: 'spawn_reply' }>;

/** How the requester asks. */
export interface RemoteSpawnOptions {
  link: boolean;
  monitor: boolean;
}

/** A successful remote spawn: the pid, and the monitor's ref for spawn_monitor. */
export interface RemoteSpawnResult {
  pid: Pid;
  ref: Ref | undefined;
}

function isStarter(s: Spawnable): s is SpawnStarter {
  return typeof (s as { start?: unknown }).start === 'function';
}

/** The spawnables of one node, and both ends of the spawn protocol. */
export class SpawnService {
  private readonly table = new Map<string, Registered>();

  constructor(private readonly node: Node, private readonly router: DistRouter) {
    router.spawnHandler = (conn, c) => (c.type === 'spawn_request' ? this.serve(conn, c) : this.answered(conn, c));
  }

  /** Lets peers (with `allowFrom`, only those) spawn `spawnable` as `name`. Replaces nothing: a name is registered once. */
  register(name: string, spawnable: Spawnable, options?: SpawnableOptions): void {
    if (typeof name !== 'string' || name.length === 0) throw new BadArgError(`registerSpawnable: name must be a non-empty string, got ${formatTerm(name)}`, name);
    if (typeof spawnable !== 'function' && !(typeof spawnable === 'object' && spawnable !== null && isStarter(spawnable))) {
      throw new BadArgError(`registerSpawnable(${JSON.stringify(name)}): expected a function or a GenServer class, got ${formatTerm(spawnable)}`, spawnable);
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new BadArgError(`registerSpawnable(${JSON.stringify(name)}): options must be an object, got ${formatTerm(options)}`, options);
    }
    const allow = checkAllowFrom(options?.allowFrom, `registerSpawnable(${JSON.stringify(name)})`);
    const held = this.table.get(name);
    if (held !== undefined && held.spawnable !== spawnable) {
      throw new BadArgError(`registerSpawnable: ${JSON.stringify(name)} is already registered`, name);
    }
    this.table.set(name, { spawnable, allow });
  }

  /** Stops peers from spawning `name`; false when it was not registered. */
  unregister(name: string): boolean {
    return this.table.delete(name);
  }

  /** The registered names. */
  registered(): string[] {
    return [...this.table.keys()];
  }

  // ---- requester ----

  /** Asks `peer` to spawn `name(args)` for `requester` (a live local process). */
  request(requester: Pid, peer: string, name: string, args: readonly unknown[], opts: RemoteSpawnOptions): Promise<RemoteSpawnResult> {
    if (typeof peer !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(peer)) {
      return Promise.reject(new BadArgError(`spawn: node must be a node name like name@host, got ${formatTerm(peer)}`, peer));
    }
    if (typeof name !== 'string' || name.length === 0) return Promise.reject(new BadArgError(`spawn: name must be a non-empty string, got ${formatTerm(name)}`, name));
    if (!Array.isArray(args)) return Promise.reject(new BadArgError(`spawn: args must be an array, got ${formatTerm(args)}`, args));
    try {
      checkTerm(args);
    } catch (e) {
      return Promise.reject(e);
    }
    if (peer === this.node.name) return this.spawnHere(requester, name, args, opts);
    const conn = this.router.connection(peer, true);
    if (conn === null) return Promise.reject(new SpawnError(peer, name, 'noconnection', undefined));
    const ref = this.node.makeRef();
    return new Promise<RemoteSpawnResult>((resolve, reject) => {
      conn.spawns.set(ref.key, {
        fail: (reason) => reject(new SpawnError(peer, name, reason, undefined)),
        settle: (reply: SpawnReply) => {
          if (reply.pid === undefined) {
            const r = reply.reason as { error?: unknown; detail?: unknown } | undefined;
            reject(new SpawnError(peer, name, String(r?.error ?? 'error'), r?.detail));
          } else {
            resolve({ pid: reply.pid, ref: this.adopt(conn, requester, reply.pid, ref, opts) });
          }
        },
      });
      try {
        conn.write({ type: 'spawn_request', ref, from: requester, name, args, link: opts.link, monitor: opts.monitor, options: undefined });
      } catch (e) {
        conn.spawns.delete(ref.key);
        reject(e);
      }
    });
  }

  /** A "remote" spawn on this very node (OTP's `spawn(node(), ...)`): the same table, local links. */
  private async spawnHere(requester: Pid, name: string, args: readonly unknown[], opts: RemoteSpawnOptions): Promise<RemoteSpawnResult> {
    const spawnable = this.table.get(name)?.spawnable;
    if (spawnable === undefined) throw new SpawnError(this.node.name, name, 'unknown_spawnable', `no spawnable named ${JSON.stringify(name)} is registered on ${this.node.name}`);
    const ctx = this.router.inbound.contextOf(requester);
    if (ctx === undefined) throw new SpawnError(this.node.name, name, 'noproc', undefined);
    let pid: Pid;
    if (isStarter(spawnable)) {
      const r = await spawnable.start(this.node, args[0], parentOf(requester, opts.link)).catch((e: unknown) => {
        throw new SpawnError(this.node.name, name, 'start_failed', startReason(e));
      });
      if (r === 'ignore') throw new SpawnError(this.node.name, name, 'ignore', null);
      pid = r;
      if (opts.link) ctx.link(pid);
    } else {
      pid = ctx.spawn((c) => spawnable(c, ...args), { link: opts.link, label: name });
    }
    return { pid, ref: opts.monitor ? ctx.monitor(pid) : undefined };
  }

  /** Records the requester's side of the link or monitor the target already made. */
  private adopt(conn: Connection, requester: Pid, pid: Pid, ref: Ref, opts: RemoteSpawnOptions): Ref | undefined {
    if (opts.link) {
      conn.addLink(requester, pid);
      // A requester that died meanwhile answers the child with exit noproc (through the router).
      this.router.inbound.link(pid, requester);
    }
    if (!opts.monitor) return undefined;
    if (!this.router.inbound.monitorMade(requester, pid, ref)) {
      conn.write({ type: 'demonitor', from: requester, to: pid, ref });
      return undefined;
    }
    conn.monitorsOut.set(ref.key, { watcher: requester, ref });
    return ref;
  }

  private answered(conn: Connection, c: SpawnReply): void {
    const pending = conn.spawns.get(c.ref.key);
    if (pending === undefined) return;
    conn.spawns.delete(c.ref.key);
    pending.settle(c);
  }

  // ---- target ----

  private serve(conn: Connection, c: SpawnRequest): void {
    const entry = this.table.get(c.name);
    // A node allowFrom leaves out is told what it would be told of a name never registered.
    const spawnable = entry !== undefined && allows(entry.allow, conn.peer, this.node.name) ? entry.spawnable : undefined;
    if (spawnable === undefined) return this.fail(conn, c, 'unknown_spawnable', `no spawnable named ${JSON.stringify(c.name)} is registered on ${this.node.name}`);
    if (!isStarter(spawnable)) {
      const args = c.args;
      let pid: Pid;
      try {
        pid = this.node.spawn((ctx) => spawnable(ctx, ...args), { label: c.name });
      } catch (e) {
        return this.fail(conn, c, 'spawn_failed', formatTerm(e));
      }
      // Linked and monitored before the new process first runs (it is only queued yet).
      return this.succeed(conn, c, pid);
    }
    spawnable.start(this.node, c.args[0], parentOf(c.from, c.link)).then(
      (pid) => (pid === 'ignore' ? this.fail(conn, c, 'ignore', null) : this.succeed(conn, c, pid)),
      (e: unknown) => this.fail(conn, c, 'start_failed', startReason(e)),
    );
  }

  private succeed(conn: Connection, c: SpawnRequest, pid: Pid): void {
    if (conn.state === 'down') {
      // The requester's node is gone: a child it linked to gets what a link to a lost node gets.
      if (c.link) this.node.exit(pid, 'noconnection');
      return;
    }
    conn.write({ type: 'spawn_reply', ref: c.ref, to: c.from, link: c.link, monitor: c.monitor, pid, reason: undefined });
    if (c.link) {
      conn.addLink(pid, c.from);
      this.router.inbound.link(c.from, pid);
    }
    if (c.monitor) {
      conn.monitorsIn.set(c.ref.key, { target: pid, ref: c.ref });
      this.router.inbound.monitor(c.from, pid, c.ref);
    }
  }

  private fail(conn: Connection, c: SpawnRequest, error: string, detail: unknown): void {
    const reason = { error, detail };
    try {
      checkTerm(detail);
    } catch {
      reason.detail = formatTerm(detail);
    }
    conn.write({ type: 'spawn_reply', ref: c.ref, to: c.from, link: c.link, monitor: c.monitor, pid: undefined, reason });
  }
}

/** A starter's options: the requester is the parent of what it spawn_links. */
function parentOf(requester: Pid, link: boolean): { parent: Pid } | undefined {
  return link ? { parent: requester } : undefined;
}

/** A start failure's reason as a term: StartError's `reason` when it has one. */
function startReason(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'reason' in e ? (e as { reason: unknown }).reason : e;
}
