/**
 * One logical connection to one peer node, and everything that depends on it.
 *
 * Erlang's runtime keeps, per distribution channel, the links and monitors that
 * cross it, so that losing the channel can tell every local end: linked processes
 * get an exit signal `noconnection`, monitors a DOWN `noconnection`, and monitors the
 * peer held on local processes are dropped. This class is that table, plus the
 * inbound dispatch of control messages to the node through core's seam
 * (`NodeInbound.deliver`, `link`, ...).
 *
 * Life: `pending` (created by the first use, while the net kernel connects: control
 * messages queue here, in order, so a sender is never blocked), `up` (a channel is
 * adopted: the queue is written first, then every write goes straight to it),
 * `down` (once; the queue is dropped and the table fired). A new connection to the
 * same peer is a new object, so a late event of an old channel cannot touch it.
 *
 * Per-pair ordering: every control message from this node to the peer goes through
 * this one object and one channel, in call order.
 *
 * Every message the peer sends (to a pid or a name) is marked, when it is an rpc
 * request, with the peer's name (`stampRpcCaller`): the handshake proved it, so rex's
 * `allowFrom` checks it rather than a name the request could forge.
 */
import { checkTerm, type Node, type NodeInbound, type Pid, type Ref } from '@grove/core';
import type { Channel, ChannelHandler, ConnectAttempt, Control } from '../transport/transport';
import { stampRpcCaller } from '../rpc/rex';
import { isPeerList } from './net_kernel';

/** pending: connecting; up: a channel is adopted; down: gone for good. */
export type ConnectionState = 'pending' | 'up' | 'down';

/** A link between a local and a remote process. */
interface LinkEntry {
  readonly local: Pid;
  readonly remote: Pid;
}

/** A local process monitors a remote one. */
interface OutMonitor {
  readonly watcher: Pid;
  readonly ref: Ref;
}

/** A remote process monitors a local one (`target` as resolved when the monitor was made). */
interface InMonitor {
  readonly target: Pid | string;
  readonly ref: Ref;
}

/** What a connection reports to, and asks of, its owner (the router). */
export interface ConnectionOwner {
  readonly node: Node;
  /** Where traffic from the peer enters the local node (core's seam). */
  readonly inbound: NodeInbound;
  /** The connection adopted a channel. */
  connectionUp(conn: Connection): void;
  /** The connection ended; `wasUp` says whether it had been up. Called before the table fires. */
  connectionDown(conn: Connection, reason: string, wasUp: boolean): void;
  /** A `spawn_request` or `spawn_reply` arrived. */
  spawnControl(conn: Connection, c: Extract<Control, { type: 'spawn_request' | 'spawn_reply' }>): void;
  /** The peer sent the mesh's list of the nodes it knows. */
  peerList(conn: Connection, nodes: unknown): void;
}

/** A spawn request sent and not yet answered. */
export interface PendingSpawn {
  /** The answer arrived. */
  settle(reply: Extract<Control, { type: 'spawn_reply' }>): void;
  /** The connection went before the answer (`noconnection`). */
  fail(reason: string): void;
}

export class Connection implements ChannelHandler {
  state: ConnectionState = 'pending';
  /** The adopted channel while up. */
  channel: Channel | null = null;
  /** The peer's incarnation, once up. */
  peerCreation = 0;
  /** True when either end is hidden (known once up). */
  hidden = false;
  /** Why the connection went down. */
  downReason: string | null = null;
  /** Control messages that arrived or were sent: the net kernel's tick compares them. */
  inCount = 0;
  outCount = 0;
  /** @internal A call reply was written in the current process run: the router flushes the channel after it. */
  replying = false;
  /** Tick intervals in a row with nothing received. */
  idleTicks = 0;
  /** @internal outCount at the last tick check. */
  lastOutCount = 0;
  /** @internal inCount at the last tick check. */
  lastInCount = 0;
  /** While pending: the attempt (a dial or an accepted handshake) it waits for; see net_kernel.ts. */
  attempt: ConnectAttempt | null = null;
  /** While up: an incoming connection from the peer that restarted (the handshake answered `alive`), to take over once this one is gone. */
  replacement: ConnectAttempt | null = null;

  private queue: Control[] | null = [];
  /** Links across this connection, by `local.key remote.key`. */
  readonly links = new Map<string, LinkEntry>();
  /** Monitors held by local processes on the peer's processes, by ref key. */
  readonly monitorsOut = new Map<number | string, OutMonitor>();
  /** Monitors held by the peer's processes on local ones, by ref key. */
  readonly monitorsIn = new Map<number | string, InMonitor>();
  /** Spawn requests sent and not yet answered, by ref key. */
  readonly spawns = new Map<number | string, PendingSpawn>();

  constructor(private readonly owner: ConnectionOwner, readonly peer: string) {}

  /**
   * Queues `c` for the peer. Throws at the sender when its payload cannot be encoded.
   * On a busy channel the sending process is held until it drains (see {@link busy}).
   */
  write(c: Control): void {
    if (this.state === 'up') {
      const ok = this.channel!.write(c);
      this.outCount++;
      if (!ok) this.busy('from' in c && typeof c.from === 'object' ? c.from : undefined);
    } else if (this.state === 'pending') {
      checkPayload(c);
      this.queue!.push(c);
    }
    // down: dropped, as a send to a lost connection is.
  }

  /** {@link write} of a `send`, without a message object when up (the hot path). */
  send(from: Pid | undefined, to: Pid, msg: unknown): void {
    if (this.state === 'up') {
      const ok = this.channel!.send(from, to, msg);
      this.outCount++;
      if (!ok) this.busy(from);
    } else {
      this.write({ type: 'send', from, to, msg });
    }
  }

  /** {@link write} of a `reg_send`. */
  regSend(from: Pid | undefined, to: string, msg: unknown): void {
    if (this.state === 'up') {
      const ok = this.channel!.regSend(from, to, msg);
      this.outCount++;
      if (!ok) this.busy(from);
    } else {
      this.write({ type: 'reg_send', from, to, msg });
    }
  }

  /**
   * The channel is busy: the local process that sent is held until it drains, as OTP
   * suspends a process sending on a busy distribution port. A send from outside any
   * process cannot be held; the channel caps those (`maxSendQueueBytes`).
   */
  private busy(from: Pid | undefined): void {
    if (from !== undefined && from.node === this.owner.node.name) this.owner.inbound.suspend(from, this.channel!.drained());
  }

  /**
   * Takes over an authenticated channel: the queue goes out first, in order; then the
   * owner is told (node monitors get their nodeup); then what the peer sent reaches
   * the node, so that, as OTP guarantees, the nodeup comes before any message the
   * peer sent through the connection.
   */
  adopt(channel: Channel): void {
    if (this.state !== 'pending') {
      channel.close('connection_closed');
      return;
    }
    this.state = 'up';
    this.channel = channel;
    this.peerCreation = channel.peerCreation;
    const queue = this.queue!;
    this.queue = null;
    for (const c of queue) {
      try {
        channel.write(c);
        this.outCount++;
      } catch {
        // Checked when queued; a registered class may still refuse at encode time: dropped.
      }
    }
    this.owner.connectionUp(this);
    if (this.state === 'up') channel.handler = this;
  }

  /** Ends the connection (a failed connect, a disconnect, a tick timeout). */
  close(reason: string): void {
    if (this.state === 'up') this.channel!.close(reason);
    // A channel reports its close asynchronously: tear down now so nothing else uses it.
    this.teardown(reason);
  }

  // ---- link and monitor bookkeeping (called by the router for local operations) ----

  addLink(local: Pid, remote: Pid): void {
    this.links.set(linkKey(local, remote), { local, remote });
  }

  removeLink(local: Pid, remote: Pid): void {
    this.links.delete(linkKey(local, remote));
  }

  // ---- inbound ----

  holdInput(resume: () => void): boolean {
    const scheduler = this.owner.node.scheduler;
    if (!scheduler.overBudget) return false;
    scheduler.afterNextDrain(resume);
    return true;
  }

  onSend(_from: Pid | undefined, to: Pid, msg: unknown): void {
    this.inCount++;
    if (stampRpcCaller(msg, this.peer)) this.owner.inbound.deliver(to, msg);
  }

  onRegSend(_from: Pid | undefined, to: string, msg: unknown): void {
    this.inCount++;
    // The mesh's peer list goes to the net kernel with this connection: only a peer can give one.
    if (isPeerList(to, msg)) this.owner.peerList(this, msg.nodes);
    else if (stampRpcCaller(msg, this.peer)) this.owner.inbound.deliverNamed(to, msg);
  }

  onControl(c: Control): void {
    this.inCount++;
    const node = this.owner.inbound;
    switch (c.type) {
      case 'send':
        if (stampRpcCaller(c.msg, this.peer)) node.deliver(c.to, c.msg);
        return;
      case 'reg_send':
        if (isPeerList(c.to, c.msg)) this.owner.peerList(this, c.msg.nodes);
        else if (stampRpcCaller(c.msg, this.peer)) node.deliverNamed(c.to, c.msg);
        return;
      case 'reply':
        node.reply(c.to, c.tag, c.value);
        return;
      case 'link':
        // Recorded first: the inbound link answers a dead target with an exit through the router, which unrecords it.
        this.addLink(c.to, c.from);
        node.link(c.from, c.to);
        return;
      case 'unlink':
        // OTP 23's UNLINK_ID: acknowledged, though core's link protocol does not need the ack.
        this.removeLink(c.to, c.from);
        node.unlink(c.from, c.to);
        if (c.id !== 0) this.write({ type: 'unlink_ack', from: c.to, to: c.from, id: c.id });
        return;
      case 'unlink_ack':
        return;
      case 'exit':
        this.removeLink(c.to, c.from);
        node.exit(c.from, c.to, c.reason, true);
        return;
      case 'exit2':
        node.exit(c.from, c.to, c.reason, false);
        return;
      case 'monitor':
        return this.monitorIn(c.from, c.to, c.ref);
      case 'demonitor': {
        const m = this.monitorsIn.get(c.ref.key);
        if (m === undefined) return;
        this.monitorsIn.delete(c.ref.key);
        node.demonitor(m.target, c.ref);
        return;
      }
      case 'monitor_exit':
        if (this.monitorsOut.delete(c.ref.key)) node.down(c.to, c.ref, c.reason);
        return;
      case 'spawn_request':
      case 'spawn_reply':
        this.owner.spawnControl(this, c);
        return;
      case 'tick':
        return;
    }
  }

  private monitorIn(watcher: Pid, target: Pid | string, ref: Ref): void {
    const node = this.owner.node;
    // Keep the pid the name resolved to: a later demonitor must find the process even if the name moved.
    const resolved = typeof target === 'string' ? node.whereis(target) ?? target : target;
    this.monitorsIn.set(ref.key, { target: resolved, ref });
    // For a dead or unknown target, core answers DOWN noproc at once through the router (which unrecords it).
    this.owner.inbound.monitor(watcher, target, ref);
  }

  onClose(reason: string): void {
    this.teardown(reason);
  }

  /**
   * Goes down once: the owner forgets the connection first (so what the table's
   * signals cause opens a new one rather than writing to this), then every local end
   * of a link or monitor hears `noconnection`.
   */
  private teardown(reason: string): void {
    if (this.state === 'down') return;
    const wasUp = this.state === 'up';
    this.state = 'down';
    this.downReason = reason;
    this.queue = null;
    if (this.channel !== null) this.channel.handler = null;
    this.owner.connectionDown(this, reason, wasUp);
    const node = this.owner.inbound;
    for (const l of this.links.values()) node.exit(l.remote, l.local, 'noconnection', true);
    this.links.clear();
    for (const m of this.monitorsOut.values()) node.down(m.watcher, m.ref, 'noconnection');
    this.monitorsOut.clear();
    for (const m of this.monitorsIn.values()) node.demonitor(m.target, m.ref);
    this.monitorsIn.clear();
    const spawns = [...this.spawns.values()];
    this.spawns.clear();
    for (const s of spawns) s.fail('noconnection');
  }
}

function linkKey(local: Pid, remote: Pid): string {
  return local.key + ' ' + remote.key;
}

/** While connecting nothing is encoded yet: check now, so an unsendable message fails at its sender. */
function checkPayload(c: Control): void {
  switch (c.type) {
    case 'send':
    case 'reg_send':
      return checkTerm(c.msg);
    case 'reply':
      return checkTerm(c.value);
    case 'exit':
    case 'exit2':
    case 'monitor_exit':
      return checkTerm(c.reason);
    case 'spawn_request':
      return checkTerm(c.args);
    default:
      return;
  }
}
