/**
 * How a distributed node reaches others (what OTP calls the distribution carrier):
 * a {@link NodeTransport} listens, registers the node's name, and dials a peer into
 * an authenticated {@link Channel}; a channel carries control messages (Erlang's
 * distribution control messages, `wire/control_message.ts`) in order, both ways, to
 * the connection that adopted it.
 *
 * Two implementations: TCP/TLS with the port mapper and the cookie handshake
 * (`tcp_transport.ts`, whose channels are `socket_channel.ts`: the wire codec and
 * batched frames), and the in-memory transport (`memory_transport.ts`), which links
 * nodes of one OS process without sockets (control messages still go through the
 * term codec) for fast tests of everything above the transport.
 *
 * Internal to the package, not part of its API.
 */
import type { Pid } from '@grove/core';
import type { DistOptions } from '../node/dist_node';
import type { Admission } from '../node/net_kernel';
import type { ControlMessage } from '../wire/control_message';

/**
 * One attempt at a connection with a peer, outgoing (a dial) or incoming (a handshake
 * being accepted): what OTP's net kernel calls a pending connection's owner. The net
 * kernel keeps, for a pending connection, the one attempt it waits for, and aborts an
 * attempt that lost a simultaneous connect.
 */
export interface ConnectAttempt {
  /** Ends the attempt's handshake now: its socket closes, and it fails with `simultaneous`. */
  abort(): void;
}

/** What an attempt can be dropped with: an `AbortSignal`, or the lighter {@link AttemptAbort}. */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * An `AbortController` and its signal in one, for the net kernel's attempts: one flag and
 * one listener (the handshake's), where an `AbortController` builds an event target per
 * connection, on the path of every connect.
 */
export class AttemptAbort implements AbortLike {
  aborted = false;
  private listener: (() => void) | null = null;

  /** Aborts once: the listener, if any, runs now. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const l = this.listener;
    this.listener = null;
    l?.();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = null;
  }
}

/** What a dial is given by the net kernel. */
export interface DialAttempt {
  /** Aborted when the attempt lost a simultaneous connect (or its connection was closed). */
  readonly signal: AbortLike;
  /**
   * OTP's `is_pending`: whether this attempt is still the one its pending connection
   * waits for. Asked when the peer answers `alive` (it has a connection up to this
   * node): only then is that connection stale and replaced.
   */
  isPending(): boolean;
}

/** The net kernel's say on incoming connections. */
export interface TransportHooks {
  /** Asked during the handshake of `attempt`, once the peer's name is known. */
  admit(peer: string, attempt: ConnectAttempt): Admission;
  /** The incoming connection `attempt` (admitted) finished its handshake. */
  accepted(channel: Channel, attempt: ConnectAttempt): void;
  /** The incoming connection `attempt`, admitted with `peer`'s name, failed its handshake. */
  acceptFailed(peer: string, attempt: ConnectAttempt): void;
  /** The cookie to use with `peer`, read at each handshake (so `setCookie` applies to the next connection). */
  cookie(peer: string): string;
}

/** A node's transport once started. */
export interface NodeTransport {
  /** The node's creation (from the port mapper's registration). */
  readonly creation: number;
  /** Where it listens. */
  readonly address: { host: string; port: number };
  /** Opens an authenticated channel to `peer`; `attempt` may abort it, and decides an `alive` answer. */
  dial(peer: string, self: { name: string; creation: number; hidden?: boolean }, attempt: DialAttempt): Promise<Channel>;
  /** Stops listening and unregisters. */
  close(): Promise<void>;
}

/**
 * Starts a transport for a node about to be created, or for a running node made
 * distributed: then `creation` is that node's, which its pids already carry.
 */
export type TransportStart = (options: DistOptions, hooks: TransportHooks, creation?: number) => Promise<NodeTransport>;

// ---- channels ----

/** A control message (`wire/control_message.ts`). */
export type Control = ControlMessage;

/** What a channel calls back: every control message in order, then its end, once. */
export interface ChannelHandler {
  onControl(c: Control): void;
  /** A `send`, handed over as its fields (no message object: the hot path of {@link onControl}). */
  onSend(from: Pid | undefined, to: Pid, msg: unknown): void;
  /** A `reg_send`, handed over as its fields. */
  onRegSend(from: Pid | undefined, to: string, msg: unknown): void;
  onClose(reason: string): void;
  /**
   * Backpressure from the receiving node: true when its scheduler has put off work to
   * the next event-loop turn, in which case `resume` is called once that work has
   * run; the channel reads nothing more until then (TCP then slows the sender, as
   * Erlang's busy port does). False (or absent): carry on reading.
   */
  holdInput?(resume: () => void): boolean;
}

/** An established, authenticated link to one peer. */
export interface Channel {
  /** The peer's node name. */
  readonly peer: string;
  /** The peer's incarnation. */
  readonly peerCreation: number;
  /** True when the peer is a hidden node. */
  readonly peerHidden: boolean;
  /** `erlang` for a BEAM node (Erlang's distribution protocol, `erlang/dist_channel.ts`); absent for Grove's. */
  readonly protocol?: 'erlang';
  /** Receives what the peer sends; set once by the connection that adopts the channel. */
  handler: ChannelHandler | null;
  /**
   * Queues one control message. Throws (a NotCopyableError) when its payload cannot
   * be encoded, with nothing queued; never blocks. Returns false when the channel is
   * busy (more than its busy limit queued): the sender should wait for {@link drained}.
   */
  write(c: Control): boolean;
  /** The hot path of {@link write} for `send`, without a message object. */
  send(from: Pid | undefined, to: Pid, msg: unknown): boolean;
  /** The hot path of {@link write} for `reg_send`. */
  regSend(from: Pid | undefined, to: string, msg: unknown): boolean;
  /** Writes what is queued now, rather than at the end of the event-loop turn. */
  flush?(): void;
  /** Settles once the channel is no longer busy (or closed); one promise per busy period. */
  drained(): PromiseLike<void>;
  /** What the channel holds and has done, for introspection. */
  stats(): ChannelStats;
  /** Closes the link; `onClose` follows (once) with `reason`. */
  close(reason: string): void;
}

/** A channel's queues and counters (see `DistNode.connectionInfo`). */
export interface ChannelStats {
  /** Bytes waiting to go out: the batch being built, frames queued, the socket's buffer, fragments not yet sent. */
  readonly pendingBytes: number;
  /** True while pendingBytes is over the busy limit (until it falls under half of it). */
  readonly busy: boolean;
  /** How many times the channel became busy. */
  readonly busyCount: number;
  /** Messages dropped because pendingBytes was over the hard limit (`maxSendQueueBytes`). */
  readonly droppedMessages: number;
  /** Messages sent in fragments. */
  readonly fragmentedOut: number;
  /** Messages received in fragments. */
  readonly fragmentedIn: number;
  /** Bytes of the message being reassembled from fragments, or decoded a slice at a time; 0 when none. */
  readonly reassemblyBytes: number;
  /** Bytes read from the peer and written to it so far (the socket's own counts: frames, ticks and all). */
  readonly bytesIn: number;
  readonly bytesOut: number;
}
