/**
 * The in-memory transport: nodes of one OS process linked without sockets, for fast
 * tests of the router's bookkeeping, the net kernel and everything above the
 * transport. A process-wide table of node names stands in for the port mapper, and a
 * pair of channels for a socket: what one end writes, the other end's handler
 * receives a tick later, in order, copied through the term codec as the wire would.
 *
 * Internal to the package, not part of its API.
 */
import type { Pid } from '@grove/core';
import { DistNodeError, HandshakeError, type HandshakeFailure } from '../errors';
import { encodeTerm } from '../wire/term';
import { decodeTerm } from '../wire/term_decode';
import type { Channel, ChannelHandler, ChannelStats, Control, TransportHooks, TransportStart } from './transport';

interface MemoryEntry {
  readonly hooks: TransportHooks;
  readonly creation: number;
  readonly hidden: boolean;
}

const memoryNodes = new Map<string, MemoryEntry>();

/** The in-memory transport: a process-wide table of node names stands in for the port mapper. */
export const memoryTransport: TransportStart = async (options, hooks, fixedCreation) => {
  const name = options.name;
  if (memoryNodes.has(name)) throw new DistNodeError(`a node named ${name} is already running in this process`);
  const entry: MemoryEntry = {
    hooks,
    creation: fixedCreation ?? ((Math.random() * 0xfffffffe) >>> 0) + 1,
    hidden: options.hidden === true,
  };
  memoryNodes.set(name, entry);
  return {
    creation: entry.creation,
    address: { host: 'memory', port: 0 },
    async dial(peer, self, attempt) {
      await Promise.resolve();
      if (attempt.signal.aborted) throw new HandshakeError('simultaneous', `${self.name} dropped its attempt to reach ${peer}`, peer);
      const target = memoryNodes.get(peer);
      if (target === undefined) throw new DistNodeError(`no node named ${peer} runs in this process`);
      // The whole handshake runs at once, so the target's attempt is never aborted meanwhile.
      const theirAttempt = { abort: () => undefined };
      const decision = target.hooks.admit(self.name, theirAttempt);
      const refuse = (reason: HandshakeFailure, why: string): never => {
        if (decision === 'ok' || decision === 'ok_simultaneous' || decision === 'alive') target.hooks.acceptFailed(self.name, theirAttempt);
        throw new HandshakeError(reason, `${peer} refused ${self.name}: ${why}`, peer);
      };
      if (typeof decision === 'object') return refuse('not_allowed', decision.refuse);
      if (decision === 'nok') return refuse('simultaneous', 'its own attempt wins the simultaneous connect');
      if (decision === 'alive' && !attempt.isPending()) return refuse('name_clash', 'it has a connection up with a node of that name');
      if (hooks.cookie(peer) !== target.hooks.cookie(self.name)) return refuse('bad_cookie', 'cookies differ');
      const [mine, theirs] = memoryChannelPair(
        { name: self.name, creation: self.creation, hidden: self.hidden ?? entry.hidden },
        { name: peer, creation: target.creation, hidden: target.hidden },
      );
      target.hooks.accepted(theirs, theirAttempt);
      return mine;
    },
    async close() {
      if (memoryNodes.get(name) === entry) memoryNodes.delete(name);
    },
  };
};

// ---- channels ----

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

  write(c: Control): boolean {
    // A control message is itself a term: copy it through the term codec, as the wire would.
    const bytes = encodeTerm(c);
    if (this.closed) return true;
    this.other.queue.push(decodeTerm(bytes, { localNode: this.peer, localCreation: this.peerCreation }) as Control);
    this.other.schedule();
    return true;
  }

  send(from: Pid | undefined, to: Pid, msg: unknown): boolean {
    return this.write({ type: 'send', from, to, msg });
  }

  regSend(from: Pid | undefined, to: string, msg: unknown): boolean {
    return this.write({ type: 'reg_send', from, to, msg });
  }

  /** Never busy: delivery is a queue in this process. */
  drained(): PromiseLike<void> {
    return Promise.resolve();
  }

  stats(): ChannelStats {
    // No bytes: messages cross as terms, copied through the codec but not framed.
    return { pendingBytes: 0, busy: false, busyCount: 0, droppedMessages: 0, fragmentedOut: 0, fragmentedIn: 0, reassemblyBytes: 0, bytesIn: 0, bytesOut: 0 };
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
function memoryChannelPair(
  a: { name: string; creation: number; hidden?: boolean },
  b: { name: string; creation: number; hidden?: boolean },
): [aSide: Channel, bSide: Channel] {
  const atA = new MemoryChannel(b.name, b.creation, b.hidden === true);
  const atB = new MemoryChannel(a.name, a.creation, a.hidden === true);
  atA.other = atB;
  atB.other = atA;
  return [atA, atB];
}
