/**
 * The `RemoteRouter` @grove/core hands every operation on another node's process to.
 *
 * It finds (or, for operations that may start a conversation, creates) the
 * {@link Connection} to the target's node and writes one control message to it,
 * recording links and monitors in the connection's table on the way. A connection
 * created on demand is `pending` while the net kernel connects (Erlang's auto-connect
 * on first send): messages queue in order and the sender never waits.
 *
 * Which operations connect on demand: send, send to a name, link, monitor, exit/2
 * and spawn, as in Erlang. A link exit, unlink, demonitor, DOWN or call reply refers
 * to state that only lives as long as a connection does: with no connection it is
 * dropped (its other end already heard `noconnection`), so a process that dies of a
 * lost connection does not reconnect to tell the lost node.
 */
import { checkTerm, getLogger, Pid, type ExitReason, type Membership, type Node, type NodeInbound, type Ref, type RemoteName, type RemoteRouter } from '@grove/core';
import type { Control } from '../transport/transport';
import { Connection, type ConnectionOwner } from './connection';
import { isWirePid } from '../wire/term';
import { fieldText, isVarint } from '../wire/wire';

const log = getLogger('dist');

/** What the router needs from the net kernel. */
export interface RouterHooks {
  /** A connection to `conn.peer` was created on demand: start connecting (adopt or close it later). */
  setup(conn: Connection): void;
  /** A connection adopted its channel. */
  up(conn: Connection): void;
  /** A connection ended (before its table fires). */
  down(conn: Connection, reason: string, wasUp: boolean): void;
  /** A connection's peer sent the mesh's peer list. */
  peerList(conn: Connection, nodes: unknown): void;
}

/** Handles spawn requests and replies (see remote_spawn.ts). */
export type SpawnControlHandler = (conn: Connection, c: Extract<Control, { type: 'spawn_request' | 'spawn_reply' }>) => void;

export class DistRouter implements RemoteRouter, ConnectionOwner {
  /** Live and pending connections by peer name. */
  readonly connections = new Map<string, Connection>();
  /** Set by the net kernel; with none, nothing connects on demand. */
  hooks: RouterHooks | null = null;
  /** Set by the spawn service. */
  spawnHandler: SpawnControlHandler | null = null;
  /** Last connection used: a burst of sends to one peer skips the map. */
  private last: Connection | null = null;

  /** The cluster, for core's `membershipOf` (pg's scopes): set once the node is up. */
  membership: Membership | undefined = undefined;

  constructor(
    readonly node: Node,
    /** Where traffic from other nodes enters this one. */
    readonly inbound: NodeInbound,
  ) {}

  /**
   * The connection to `peer`; with `create`, a new pending one (the net kernel starts
   * connecting) when there is none. Null when there is none and none can be made.
   */
  connection(peer: string, create: boolean): Connection | null {
    const last = this.last;
    if (last !== null && last.peer === peer) return last;
    let c = this.connections.get(peer);
    if (c === undefined) {
      if (!create || this.hooks === null || peer === this.node.name) return null;
      c = this.open(peer);
      this.hooks.setup(c);
      if (c.state === 'down') return null;
    }
    this.last = c;
    return c;
  }

  /**
   * A new pending connection to `peer` (there is none), which the net kernel connects
   * or fills with an incoming channel: what is queued on it meanwhile goes out first.
   */
  open(peer: string): Connection {
    const c = new Connection(this, peer);
    this.connections.set(peer, c);
    return c;
  }

  // ---- ConnectionOwner ----

  connectionUp(conn: Connection): void {
    this.hooks?.up(conn);
  }

  connectionDown(conn: Connection, reason: string, wasUp: boolean): void {
    if (this.connections.get(conn.peer) === conn) this.connections.delete(conn.peer);
    if (this.last === conn) this.last = null;
    this.hooks?.down(conn, reason, wasUp);
  }

  spawnControl(conn: Connection, c: Extract<Control, { type: 'spawn_request' | 'spawn_reply' }>): void {
    this.spawnHandler?.(conn, c);
  }

  peerList(conn: Connection, nodes: unknown): void {
    this.hooks?.peerList(conn, nodes);
  }

  // ---- RemoteRouter ----

  send(from: Pid | undefined, to: Pid, msg: unknown): void {
    const c = this.connection(to.node, true);
    if (c !== null) c.send(from, to, msg);
    else checkTerm(msg);
  }

  sendNamed(from: Pid | undefined, to: RemoteName, msg: unknown): void {
    const c = this.connection(to[1], true);
    if (c !== null) c.regSend(from, to[0], msg);
    else checkTerm(msg);
  }

  /**
   * A call's `From` arrives as data (any term can be sent as a `$gen_call`), so a reply
   * address that is not a pid and a tag the wire carries is dropped with a warning,
   * as OTP's `gen:reply` drops a reply it cannot send: the replying server goes on and
   * the stream to the addressee's node stays valid.
   */
  reply(to: Pid, tag: number, value: unknown): void {
    if (!isWirePid(to) || !isVarint(tag)) {
      log.warn(`${this.node.name}: dropped a call reply to ${isWirePid(to) ? String(to) : fieldText(to)} with tag ${fieldText(tag)}: not the address of a caller`);
      return;
    }
    const c = this.connection(to.node, false);
    if (c === null) return;
    c.write({ type: 'reply', to, tag, value });
    // The caller waits: the reply leaves when the replying process's run ends, not behind
    // the rest of the turn's work (other processes, the rest of the input). Several
    // replies in one run still go out together. Toward a BEAM node, not: with these
    // earlier writes an OTP 25.2.3 erl peer died of its known SIGSEGV (distribution
    // README, Known limits) in 3 of about 45 runs of erlang_global.test.ts, 0 of 50
    // without, 0 of 25 before the change.
    if (!c.replying && c.state === 'up' && c.channel!.protocol !== 'erlang') {
      c.replying = true;
      if (this.replying.push(c) === 1) this.node.scheduler.afterRun(this.flushReplies);
    }
  }

  /** Connections with a call reply written in the current process run (see {@link reply}). */
  private readonly replying: Connection[] = [];

  private readonly flushReplies = (): void => {
    for (const c of this.replying) {
      c.replying = false;
      if (c.state === 'up') c.channel!.flush?.();
    }
    this.replying.length = 0;
  };

  link(from: Pid, to: Pid): void {
    const c = this.connection(to.node, true);
    if (c === null) {
      // Core records the link after this returns; the signal is acted on later, so it finds it.
      this.inbound.exit(to, from, 'noconnection', true);
      return;
    }
    c.addLink(from, to);
    c.write({ type: 'link', from, to });
  }

  unlink(from: Pid, to: Pid): void {
    const c = this.connection(to.node, false);
    if (c === null) return;
    c.removeLink(from, to);
    c.write({ type: 'unlink', from, to, id: 0 });
  }

  exit(from: Pid, to: Pid, reason: ExitReason, link: boolean): void {
    if (link) {
      const c = this.connection(to.node, false);
      if (c === null) return;
      c.removeLink(from, to);
      c.write({ type: 'exit', from, to, reason });
    } else {
      this.connection(to.node, true)?.write({ type: 'exit2', from, to, reason });
    }
  }

  monitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    const isPid = target instanceof Pid;
    const c = this.connection(isPid ? target.node : target[1], true);
    if (c === null) {
      this.inbound.down(watcher, ref, 'noconnection');
      return;
    }
    c.monitorsOut.set(ref.key, { watcher, ref });
    c.write({ type: 'monitor', from: watcher, to: isPid ? target : target[0], ref });
  }

  demonitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    const isPid = target instanceof Pid;
    const c = this.connection(isPid ? target.node : target[1], false);
    if (c === null || !c.monitorsOut.delete(ref.key)) return;
    c.write({ type: 'demonitor', from: watcher, to: isPid ? target : target[0], ref });
  }

  down(watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: ExitReason): void {
    const c = this.connection(watcher.node, false);
    if (c === null || !c.monitorsIn.delete(ref.key)) return;
    c.write({ type: 'monitor_exit', from: target instanceof Pid ? target : target[0], to: watcher, ref, reason });
  }

  /** Visible, hidden or every connected peer (up connections only). */
  peers(kind: 'visible' | 'hidden' | 'connected'): string[] {
    const out: string[] = [];
    for (const c of this.connections.values()) {
      if (c.state !== 'up') continue;
      if (kind === 'connected' || (kind === 'hidden') === c.hidden) out.push(c.peer);
    }
    return out;
  }
}
