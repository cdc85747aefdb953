/**
 * A pg scope: the process that owns one scope's membership on this node, after OTP
 * 23+ `pg.erl`. Every node that runs a scope of the same name forms, with the others,
 * one overlay network; scopes of different names are independent.
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
 *  6. Anything else (an unknown message or call, a malformed peer message) crashes
 *     the scope with an {@link UnexpectedMessageError} (OTP: `erlang:error(badarg)`).
 *     Its supervisor restarts it with an empty local membership (as OTP: local
 *     membership is not preserved across a restart), and peers drop its members.
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
import {
  GenCall,
  isDownMessage,
  isPid,
  reply,
  start,
  type DownMessage,
  type Node,
  type Pid,
  type ProcessContext,
  type Ref,
} from '@grove/core';
import { UnexpectedMessageError } from './errors';
import { groupKey, GroupTable, publishTable } from './group_table';
import { isNodeEvent, membershipOf, Peers, type Membership } from './peers';
import {
  isRequest,
  isWellFormed,
  peerMessageType,
  Watchers,
  type Discover,
  type Join,
  type Leave,
  type PeerMessage,
  type Request,
  type Sync,
} from './protocol';

/** A local member: the monitor on it and how many times it joined each group. */
interface LocalMember {
  readonly pid: Pid;
  readonly ref: Ref;
  readonly groups: Map<string, { readonly group: unknown; n: number }>;
}

/** @internal the state and handlers of a running scope process. */
export class ScopeServer {
  readonly table: GroupTable;
  private readonly local = new Map<string, LocalMember>();
  private readonly watchers = new Watchers();
  private readonly peers: Peers;

  constructor(
    readonly scope: string,
    private readonly ctx: ProcessContext,
    membership: Membership | null,
  ) {
    this.table = new GroupTable(scope, ctx.self);
    this.peers = new Peers(ctx, this.table, this.watchers, membership);
    publishTable(ctx.node, this.table);
    this.peers.start();
  }

  /** The handler: one message of the scope's mailbox. */
  handle(msg: unknown): void {
    if (msg instanceof GenCall) return this.handleCall(msg);
    if (isDownMessage(msg)) return this.handleDown(msg);
    const t = peerMessageType(msg);
    if (t !== null) {
      if (!isWellFormed(msg as PeerMessage)) throw new UnexpectedMessageError(this.scope, msg);
      if (t === 'pg_discover') return this.peers.onDiscover((msg as Discover).peer);
      if (t === 'pg_sync') return this.peers.sync(msg as Sync);
      if (t === 'pg_join') return this.peers.join(msg as Join);
      return this.peers.leave(msg as Leave);
    }
    if (isNodeEvent(msg)) {
      // nodedown is ignored: the DOWN of the peer scope's monitor says it all.
      if (msg.type === 'nodeup') this.peers.nodeUp(msg.node);
      return;
    }
    throw new UnexpectedMessageError(this.scope, msg);
  }

  private handleCall(c: GenCall): void {
    const req = c.request;
    if (!isRequest(req)) throw new UnexpectedMessageError(this.scope, req);
    reply(this.ctx.node, c.from, this.answer(req, c.from.pid));
  }

  private answer(req: Request, caller: Pid): unknown {
    switch (req[0]) {
      case 'join':
        this.join(req[1], this.localPids(req, req[2]));
        return 'ok';
      case 'leave':
        return this.leave(req[1], this.localPids(req, req[2]));
      case 'monitor_scope': {
        const ref = this.ctx.monitor(caller);
        this.watchers.add(caller, ref, null);
        const groups = new Map<unknown, readonly Pid[]>();
        for (const e of this.table.groups.values()) groups.set(e.group, e.all.toArray());
        return { ref, groups };
      }
      case 'monitor': {
        const key = groupKey(req[1]);
        const ref = this.ctx.monitor(caller);
        this.watchers.add(caller, ref, key);
        return { ref, members: this.table.members(key) };
      }
      case 'demonitor':
        if (!this.watchers.remove(req[1])) return false;
        this.ctx.demonitor(req[1], { flush: true });
        return 'ok';
    }
  }

  /** The client checked this already; a request from elsewhere with another node's pids is garbage. */
  private localPids(req: Request, pids: readonly Pid[]): readonly Pid[] {
    const here = this.ctx.node.name;
    for (const pid of pids) if (pid.node !== here) throw new UnexpectedMessageError(this.scope, req);
    return pids;
  }

  private join(group: unknown, pids: readonly Pid[]): void {
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
  }

  private leave(group: unknown, pids: readonly Pid[]): 'ok' | 'not_joined' {
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

  private forget(m: LocalMember): void {
    this.local.delete(m.pid.key);
    this.ctx.demonitor(m.ref, { flush: true });
  }

  private handleDown(msg: DownMessage): void {
    if (this.watchers.remove(msg.ref)) return;
    const pid = msg.pid;
    if (!isPid(pid)) return;
    if (pid.node === this.ctx.node.name) this.memberDown(pid, msg.ref);
    else this.peers.down(pid, msg.ref);
    // Anything else is a stale DOWN (a monitor removed while its DOWN was queued).
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
  let server: ScopeServer | null = null;
  const init = (ctx: ProcessContext): { ok: true } => {
    const membership = options.membership === undefined ? membershipOf(ctx.node) : options.membership;
    server = new ScopeServer(scope, ctx, membership);
    return { ok: true };
  };
  const handler = (msg: unknown): void => server!.handle(msg);
  const startOptions = { link, name: scope, label: 'pg', ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) };
  return start(from, init, handler, startOptions) as Promise<Pid>;
}
