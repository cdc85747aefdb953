/**
 * Overlapping partitions (OTP 25 global's `prevent_overlapping_partitions`, on by
 * default, only with the full mesh): when a node loses its connection to another
 * while a third stays connected to both, the third must not keep both, or the
 * cluster stops being a set of fully connected partitions and global's tables
 * disagree (a name registered on one side reaches the third node but not the other).
 *
 * 1. Node A loses B (nodedown) without having asked for it: A tells every node it is
 *    still connected to `lost_connection(A, B)`.
 * 2. A node C that gets the news for the first time passes it on to every node it is
 *    connected to but A (so that it reaches everyone even if A goes meanwhile), then
 *    removes its connection to B (to A when C is B): it marks B as asked, and sends B
 *    `remove_connection`; B marks C as asked and disconnects it. A connection that goes
 *    because it was asked to tells no one, so one loss does not cascade further.
 * 3. When B loses A, it tells the others the same way, so C, connected to both, ends
 *    up with neither: in a cluster of three where A disconnects B, each node ends up
 *    alone (as OTP 25 does); with more nodes, the others stay together.
 *
 * BEAM nodes take part as OTP's global does: the BEAM nodes this node's global knows
 * (erlang/global_bridge.ts) get and send the same messages in OTP's shape
 * (`{lost_connection, A, XCreation, OpId, B}`, `{remove_connection, Node}`).
 *
 * A `remove_connection` is honoured whatever this node's setting (as OTP). A peer
 * that does not answer it within {@link REMOVE_GRACE_MS} is disconnected from this
 * side. What was handled is remembered per (A, B) pair, by A's creation and a number
 * A increases, for the last {@link LOST_SEEN_MAX} pairs. Messages are checked before
 * anything happens: node names of this node's kind, numbers; a malformed one throws
 * (the name server logs and drops it).
 */
import { getLogger, type ProcessContext } from '@grove/core';
import type { NetKernel } from '../node/net_kernel';
import { isNodeName, nodeNameKind } from '../node/node_name';
import { GLOBAL_NAME_SERVER } from './protocol';

/**
 * `lost_connection`: `node` (of `creation`, its message number `opId`) lost its
 * connection to `lost`. (From a BEAM node, `creation` is OTP's extended creation,
 * which may be a bigint.)
 */
export interface LostConnectionMessage {
  readonly type: 'global.lost_connection';
  readonly node: string;
  readonly creation: number | bigint;
  readonly opId: number | bigint;
  readonly lost: string;
}

/** How the guard reaches the BEAM nodes OTP's global knows (erlang/global_bridge.ts). */
export interface BeamPeers {
  /** The BEAM nodes in this node's global, connected. */
  nodes(): string[];
  /** Sends `msg` to `peer`'s global_name_server in OTP's shape. */
  send(peer: string, msg: LostConnectionMessage | RemoveConnectionMessage): void;
}

/** `remove_connection`: `node` asks the receiver to disconnect it. */
export interface RemoveConnectionMessage {
  readonly type: 'global.remove_connection';
  readonly node: string;
}

/** How long a peer asked to remove its connection has to do it before this node disconnects it itself. */
export const REMOVE_GRACE_MS = 2000;
/** How many (A, B) pairs of handled `lost_connection` messages are remembered. */
export const LOST_SEEN_MAX = 1024;

const log = getLogger('dist');

/** One name server's part in keeping partitions apart. @internal */
export class PartitionGuard {
  /** Nodes whose connection goes because this node asked for it (or was asked): their nodedown tells no one. */
  private readonly asked = new Set<string>();
  /** `A B` → the last handled message of A about B. */
  private readonly seen = new Map<string, { creation: number | bigint; opId: number | bigint }>();
  private opIds = 0;

  constructor(
    private readonly ctx: ProcessContext,
    private readonly kernel: NetKernel,
    private readonly beam?: BeamPeers,
  ) {}

  /** The peers this guard speaks with: visible Grove nodes and the BEAM nodes OTP's global knows. */
  private peers(): string[] {
    const grove = this.kernel.groveNodes();
    return this.beam === undefined ? grove : [...grove, ...this.beam.nodes()];
  }

  private sendTo(peer: string, msg: LostConnectionMessage | RemoveConnectionMessage): void {
    if (this.beam !== undefined && this.kernel.isErlang(peer)) this.beam.send(peer, msg);
    else this.ctx.send([GLOBAL_NAME_SERVER, peer], msg);
  }

  /** True when this node takes part (the setting, and the full mesh it needs). */
  private get on(): boolean {
    const o = this.kernel.options;
    return o.preventOverlappingPartitions && o.connectAll && !o.hidden;
  }

  /** `peer` went down: unless this node asked for it, tell the others. */
  nodeDown(peer: string): void {
    if (this.asked.delete(peer) || !this.on) return;
    const msg: LostConnectionMessage = { type: 'global.lost_connection', node: this.ctx.node.name, creation: this.ctx.node.creation, opId: ++this.opIds, lost: peer };
    this.multicast(msg, peer);
  }

  /** A `lost_connection` from a peer (step 2). */
  lostConnection(m: Record<string, unknown>): void {
    const kind = nodeNameKind(this.ctx.node.name);
    const { node: a, lost: b, creation, opId } = m;
    if (!isNodeName(a, kind) || !isNodeName(b, kind) || !isInteger(creation) || !isInteger(opId)) {
      throw new Error('lost_connection needs two node names, a creation and a message number');
    }
    if (!this.on) return;
    const key = `${a} ${b}`;
    const last = this.seen.get(key);
    if (last !== undefined && BigInt(last.creation) === BigInt(creation) && opId <= last.opId) return;
    const news: LostConnectionMessage = { type: 'global.lost_connection', node: a, creation, opId, lost: b };
    this.multicast(news, a);
    this.remember(key, news.creation, news.opId);
    const me = this.ctx.node.name;
    const rm = b === me ? a : b;
    if (rm === me || !this.peers().includes(rm)) return;
    this.asked.add(rm);
    const ask: RemoveConnectionMessage = { type: 'global.remove_connection', node: me };
    this.sendTo(rm, ask);
    this.ctx.node.sendAfter(this.ctx.self, { type: 'global.remove_grace', node: rm }, REMOVE_GRACE_MS);
    log.warn(`global at ${me}: requested disconnect from ${rm} to prevent overlapping partitions (${a} lost ${b})`);
  }

  /** A peer asks this node to disconnect it (honoured whatever the setting, as OTP). */
  removeConnection(m: Record<string, unknown>): void {
    const peer = m['node'];
    if (!isNodeName(peer)) throw new Error('remove_connection needs a node name');
    if (!this.kernel.nodes('visible').includes(peer)) return;
    this.asked.add(peer);
    log.warn(`global at ${this.ctx.node.name}: disconnecting ${peer}, which asked for it, to prevent overlapping partitions`);
    this.kernel.disconnect(peer);
  }

  /** The grace given to a peer asked to remove its connection has passed: disconnect it from here if it did not. */
  graceOver(m: Record<string, unknown>): void {
    const peer = m['node'];
    if (typeof peer === 'string' && this.asked.has(peer) && this.kernel.nodes('visible').includes(peer)) this.kernel.disconnect(peer);
  }

  /** Sends `msg` to every peer but `except` (never dialling one). */
  private multicast(msg: LostConnectionMessage, except: unknown): void {
    for (const n of this.peers()) if (n !== except) this.sendTo(n, msg);
  }

  private remember(key: string, creation: number | bigint, opId: number | bigint): void {
    this.seen.delete(key);
    this.seen.set(key, { creation, opId });
    if (this.seen.size > LOST_SEEN_MAX) this.seen.delete(this.seen.keys().next().value!);
  }
}

function isInteger(v: unknown): v is number | bigint {
  return Number.isSafeInteger(v) || typeof v === 'bigint';
}
