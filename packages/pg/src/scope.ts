/**
 * A pg scope: the GenServer that owns one scope's membership on this node, after OTP
 * 23+ `pg.erl` (a gen_server too). Every node that runs a scope of the same name
 * forms, with the others, one overlay network; scopes of different names are
 * independent.
 *
 * Protocol (as OTP):
 *  1. On start the scope registers its name, publishes its table (group_table.ts),
 *     subscribes to nodeup/nodedown and sends `discover` to `[scope, node]` on every
 *     connected node. On each later `nodeup` it sends `discover` to that node.
 *  2. On `discover` from a peer it answers `sync` with all its local memberships, and
 *     when the peer is new, monitors it and sends `discover` back (so both sides end
 *     up monitoring and synced).
 *  3. On `sync` it replaces what it knew of that peer's members by what the sync
 *     says (applying the difference), monitoring the peer if it was unknown.
 *  4. join/leave of local pids are calls to the local scope: it monitors each member,
 *     updates the table, tells watchers, and broadcasts `join`/`leave` to its peers.
 *     A local member that exits leaves all its groups the same way.
 *  5. `join`/`leave` from a peer it does not know are ignored (a late message from a
 *     node that left), and so are `discover` and a first `sync` from a node that is
 *     no longer connected (OTP sends with `noconnect`: answering would dial it
 *     again; the next `nodeup` starts afresh). The DOWN of a peer monitor (the peer
 *     scope exited, or its node went away: `noconnection`) removes all that peer's
 *     members. `nodedown` itself is ignored. A node where the scope does not run
 *     never answers `discover`, so it is simply not synced with.
 *  6. Anything else (an unknown message, call or cast, a malformed request or peer
 *     message) crashes the scope with an {@link UnexpectedMessageError} (OTP:
 *     `erlang:error(badarg)` in each fallback clause), so the scope overrides
 *     GenServer's forgiving fallbacks. Its supervisor restarts it with an empty
 *     local membership (as OTP: local membership is not preserved across a
 *     restart), and peers drop its members.
 *
 * Steps 1-3 and the peers' half of 4-5 live in peers.ts; the calls, the local
 * members and the watchers here. Stopping (`stopServer`, a supervisor's shutdown),
 * crash reports and introspection are GenServer's.
 *
 * Deliberate differences from OTP pg:
 *  - Scope names are strings (registered names), groups any copyable term keyed by
 *    a canonical encoding (group_table.ts), so groups compare structurally.
 *  - The table is an in-memory structure shared by the scope (sole writer) and the
 *    read API, found by node and scope name; reads of a scope that is not running
 *    return empty results (OTP's `which_groups` raises badarg).
 *  - A `sync` that changes a group already known from that peer tells watchers the
 *    difference (OTP updates that rare case silently).
 *  - Leave events and `leave` broadcasts carry only pids that actually left (OTP
 *    passes the request's list); a peer's `leave` removes only memberships that peer
 *    announced.
 *  - Messages are tagged objects (`pg_discover` with a version, `pg_sync`, `pg_join`,
 *    `pg_leave`; events `{type: 'pg', ref, event, group, pids}`); `sync` is a plain
 *    message, not a cast.
 *  - Node membership comes from a {@link Membership} service (dist's net kernel, or
 *    one given at start) instead of `net_kernel` directly.
 */
import { Call, GenServer, Info, isDownMessage, isPid, isRef, type DownMessage, type Membership, type Node, type Pid, type ProcessContext, type Ref } from '@grove/core';
import { UnexpectedMessageError } from './errors';
import { groupKey, GroupTable, publishTable } from './group_table';
import { isNodeEvent, membershipOf, Peers, type NodeEvent } from './peers';
import { isWellFormed, Watchers, type Discover, type Join, type Leave, type PeerMessage, type Sync } from './protocol';

/** A local member: the monitor on it and how many times it joined each group. */
interface LocalMember {
  readonly pid: Pid;
  readonly ref: Ref;
  readonly groups: Map<string, { readonly group: unknown; n: number }>;
}

/** What a scope's `init` gets: its name, and its membership service (undefined: the node's default). */
interface ScopeArgs {
  readonly scope: string;
  readonly membership: Membership | null | undefined;
}

/** @internal the scope process (OTP: the `pg` gen_server of one scope). */
export class Scope extends GenServer {
  private scope = '';
  private table!: GroupTable;
  private peers!: Peers;
  private readonly local = new Map<string, LocalMember>();
  private readonly watchers = new Watchers();

  override init({ scope, membership }: ScopeArgs): void {
    const ctx = this.ctx;
    this.scope = scope;
    this.table = new GroupTable(scope, ctx.self);
    this.peers = new Peers(ctx, this.table, this.watchers, membership === undefined ? membershipOf(ctx.node) : membership);
    publishTable(ctx.node, this.table);
    this.peers.start();
  }

  // ---- calls: the API's requests (protocol.ts's Request) ----

  /** Local `pids` join `group`, each once per listing. */
  @Call('join')
  join(group: unknown, pids: readonly Pid[]): 'ok' {
    if (arguments.length !== 2 || !this.areLocal(pids)) throw this.malformed('join', arguments);
    const key = groupKey(group);
    for (const pid of pids) {
      let m = this.local.get(pid.key);
      if (m === undefined) this.local.set(pid.key, (m = { pid, ref: this.ctx.monitor(pid), groups: new Map() }));
      const g = m.groups.get(key);
      if (g === undefined) m.groups.set(key, { group, n: 1 });
      else g.n++;
    }
    this.table.add(key, group, pids, true);
    this.watchers.notify(this.ctx, 'join', key, group, pids);
    const msg: Join = { type: 'pg_join', peer: this.ctx.self, group, pids };
    this.peers.broadcast(msg);
    return 'ok';
  }

  /** Local `pids` leave `group` once per listing; `'not_joined'` when none was a member. */
  @Call('leave')
  leave(group: unknown, pids: readonly Pid[]): 'ok' | 'not_joined' {
    if (arguments.length !== 2 || !this.areLocal(pids)) throw this.malformed('leave', arguments);
    const key = groupKey(group);
    const left: Pid[] = [];
    for (const pid of pids) {
      const m = this.local.get(pid.key);
      const g = m?.groups.get(key);
      if (m === undefined || g === undefined) continue;
      if (--g.n === 0) m.groups.delete(key);
      if (m.groups.size === 0) this.forget(m);
      left.push(pid);
    }
    if (left.length === 0) return 'not_joined';
    const term = this.table.groups.get(key)!.group;
    this.table.remove(key, left, true);
    this.watchers.notify(this.ctx, 'leave', key, term, left);
    const msg: Leave = { type: 'pg_leave', peer: this.ctx.self, pids: left, groups: [term] };
    this.peers.broadcast(msg);
    return 'ok';
  }

  /** Subscribes the caller to the whole scope; answers every group with its members. */
  @Call('monitor_scope')
  monitorScope(): { ref: Ref; groups: Map<unknown, readonly Pid[]> } {
    if (arguments.length !== 0) throw this.malformed('monitor_scope', arguments);
    const caller = this.from.pid;
    const ref = this.ctx.monitor(caller);
    this.watchers.add(caller, ref, null);
    const groups = new Map<unknown, readonly Pid[]>();
    for (const e of this.table.groups.values()) groups.set(e.group, e.all.toArray());
    return { ref, groups };
  }

  /** Subscribes the caller to one group; answers its members. */
  @Call('monitor')
  monitor(group: unknown): { ref: Ref; members: readonly Pid[] } {
    if (arguments.length !== 1) throw this.malformed('monitor', arguments);
    const key = groupKey(group);
    const caller = this.from.pid;
    const ref = this.ctx.monitor(caller);
    this.watchers.add(caller, ref, key);
    return { ref, members: this.table.members(key) };
  }

  /** Ends a subscription; false when `ref` is none of this scope's. */
  @Call('demonitor')
  demonitor(ref: Ref): 'ok' | false {
    if (arguments.length !== 1 || !isRef(ref)) throw this.malformed('demonitor', arguments);
    if (!this.watchers.remove(ref)) return false;
    this.ctx.demonitor(ref, { flush: true });
    return 'ok';
  }

  // ---- infos: monitors, peers, nodes ----

  /** A watcher, a local member or a peer scope went away. */
  @Info('DOWN')
  down(msg: DownMessage): void {
    if (!isDownMessage(msg)) throw this.unexpected(msg);
    if (this.watchers.remove(msg.ref)) return;
    const pid = msg.pid;
    if (!isPid(pid)) return;
    if (pid.node === this.ctx.node.name) this.memberDown(pid, msg.ref);
    else this.peers.down(pid, msg.ref);
    // Anything else is a stale DOWN (a monitor removed while its DOWN was queued).
  }

  // Peer scopes' messages (protocol steps 2-5): checked, then handed to the peers.

  @Info('pg_discover')
  discover(msg: Discover): void {
    this.peers.onDiscover(this.wellFormed(msg).peer);
  }

  @Info('pg_sync')
  sync(msg: Sync): void {
    this.peers.sync(this.wellFormed(msg));
  }

  @Info('pg_join')
  peerJoin(msg: Join): void {
    this.peers.join(this.wellFormed(msg));
  }

  @Info('pg_leave')
  peerLeave(msg: Leave): void {
    this.peers.leave(this.wellFormed(msg));
  }

  @Info('nodeup')
  nodeUp(msg: NodeEvent): void {
    if (!isNodeEvent(msg)) throw this.unexpected(msg);
    this.peers.nodeUp(msg.node);
  }

  /** Ignored: the DOWN of the peer scope's monitor says it all (as OTP). */
  @Info('nodedown')
  nodeDown(msg: NodeEvent): void {
    if (!isNodeEvent(msg)) throw this.unexpected(msg);
  }

  // ---- anything else crashes the scope (OTP: erlang:error(badarg)) ----

  override handleCall(request: unknown): never {
    throw this.unexpected(request);
  }

  override handleCast(request: unknown): never {
    throw this.unexpected(request);
  }

  override handleInfo(msg: unknown): never {
    throw this.unexpected(msg);
  }

  /** What a crash report shows: sizes, not the whole table. */
  override formatState(): unknown {
    return { scope: this.scope, groups: this.table.groups.size, localMembers: this.local.size, peers: this.peers.pids().map(String) };
  }

  // ---- helpers ----

  /** True when `pids` is a list of this node's pids (the API checked; a request from elsewhere may not be). */
  private areLocal(pids: unknown): pids is readonly Pid[] {
    if (!Array.isArray(pids)) return false;
    const here = this.ctx.node.name;
    for (const p of pids) if (!isPid(p) || p.node !== here) return false;
    return true;
  }

  /** The scope's end for what it does not understand: its exit reason. */
  private unexpected(received: unknown): UnexpectedMessageError {
    return new UnexpectedMessageError(this.scope, received);
  }

  /**
   * A request the API never sends (it came from elsewhere): garbage. Handlers check
   * their arity too, so that `[name, ...args]` with a missing or extra argument
   * crashes the scope as any other malformed request does.
   */
  private malformed(name: string, args: IArguments): UnexpectedMessageError {
    return this.unexpected([name, ...args]);
  }

  /** `msg` when it is a well-formed peer message; else the scope crashes. */
  private wellFormed<M extends PeerMessage>(msg: M): M {
    if (!isWellFormed(msg)) throw this.unexpected(msg);
    return msg;
  }

  private forget(m: LocalMember): void {
    this.local.delete(m.pid.key);
    this.ctx.demonitor(m.ref, { flush: true });
  }

  /** A local member exited: it leaves every group, as many times as it joined. */
  private memberDown(pid: Pid, ref: Ref): void {
    const m = this.local.get(pid.key);
    if (m === undefined || !m.ref.equals(ref)) return;
    this.local.delete(pid.key);
    const groups: unknown[] = [];
    for (const [key, { group, n }] of m.groups) {
      const pids: Pid[] = new Array(n).fill(pid);
      this.table.remove(key, pids, true);
      this.watchers.notify(this.ctx, 'leave', key, group, pids);
      for (let i = 0; i < n; i++) groups.push(group);
    }
    const msg: Leave = { type: 'pg_leave', peer: this.ctx.self, pids: [pid], groups };
    this.peers.broadcast(msg);
  }
}

/** Options of a scope process. */
export interface ScopeOptions {
  /**
   * Where the scope learns which nodes are connected. Default: the one set with
   * `setMembership(node, ...)`, else the node's distribution layer, else none. `null`
   * makes the scope local-only.
   */
  membership?: Membership | null;
  /** How long init may take (default 5000 ms). */
  timeoutMs?: number;
}

/** Starts the scope process `scope` from `from`; `link` links it to the starter. @internal */
export function startScope(from: ProcessContext | Node, scope: string, options: ScopeOptions, link: boolean): Promise<Pid> {
  const args: ScopeArgs = { scope, membership: options.membership };
  const startOptions = { name: scope, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) };
  return link ? Scope.startLink(from, args, startOptions) : Scope.start(from, args, startOptions);
}
