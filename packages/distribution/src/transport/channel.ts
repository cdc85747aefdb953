/**
 * The connection manager's view of one live link to a peer: a channel carries
 * control messages (Erlang's distribution control messages, `control.ts` on the
 * wire) in order, both ways. The socket channel (`socket_channel.ts`) encodes them
 * with the wire codec and writes batched frames; the in-memory pair below carries
 * them between two nodes of one OS process, for unit tests of the router's
 * bookkeeping without sockets.
 *
 * @internal
 */
import type { Pid } from '@grove/core';
import type { ControlMessage } from '../wire/control_message';
import { encodeTerm } from '../wire/term';
import { decodeTerm } from '../wire/term_decode';

/** A control message (see control.ts). */
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
  /** The peer restarted: this channel replaces a connection to it that still looks up. */
  readonly replaces?: boolean;
  /** Receives what the peer sends; set once by the connection that adopts the channel. */
  handler: ChannelHandler | null;
  /**
   * Queues one control message. Throws (a NotCopyableError) when its payload cannot
   * be encoded, with nothing queued; never blocks.
   */
  write(c: Control): void;
  /** The hot path of {@link write} for `send`, without a message object. */
  send(from: Pid | undefined, to: Pid, msg: unknown): void;
  /** The hot path of {@link write} for `reg_send`. */
  regSend(from: Pid | undefined, to: string, msg: unknown): void;
  /** Closes the link; `onClose` follows (once) with `reason`. */
  close(reason: string): void;
}

/** The end of an in-memory pair as one side sees it. */
class MemoryChannel implements Channel {
  handler: ChannelHandler | null = null;
  other!: MemoryChannel;
  private queue: Control[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    readonly peer: string,
    readonly peerCreation: number,
    readonly peerHidden: boolean,
  ) {}

  write(c: Control): void {
    // A control message is itself a term: copy it through the term codec, as the wire would.
    const bytes = encodeTerm(c);
    if (this.closed) return;
    this.other.queue.push(decodeTerm(bytes, { localNode: this.peer, localCreation: this.peerCreation }) as Control);
    this.other.schedule();
  }

  send(from: Pid | undefined, to: Pid, msg: unknown): void {
    this.write({ type: 'send', from, to, msg });
  }

  regSend(from: Pid | undefined, to: string, msg: unknown): void {
    this.write({ type: 'reg_send', from, to, msg });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => {
      this.queue = [];
      this.handler?.onClose(reason);
      this.other.remoteClosed();
    });
  }

  private remoteClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.handler?.onClose('connection_closed');
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Delivery a tick later, in order, as a socket would.
    setImmediate(() => {
      this.scheduled = false;
      const q = this.queue;
      this.queue = [];
      for (const c of q) if (!this.closed) this.handler?.onControl(c);
    });
  }
}

/**
 * Two connected in-memory channels: what `a` writes, `b`'s handler receives (a tick
 * later, in order), and the other way round. Messages are copied through the term codec.
 */
export function memoryChannelPair(
  a: { name: string; creation: number; hidden?: boolean },
  b: { name: string; creation: number; hidden?: boolean },
): [aSide: Channel, bSide: Channel] {
  const atA = new MemoryChannel(b.name, b.creation, b.hidden === true);
  const atB = new MemoryChannel(a.name, a.creation, a.hidden === true);
  atA.other = atB;
  atB.other = atA;
  return [atA, atB];
}
