/**
 * How a distributed node reaches others: listening, registering its name, and
 * dialing a peer into an authenticated {@link Channel}. Two implementations: TCP/TLS
 * with the port mapper and the cookie handshake (`tcp_transport.ts`), and the
 * in-memory transport below, which links nodes of one OS process without sockets
 * (control messages still go through the term codec) for fast tests of everything
 * above the transport.
 *
 * @internal
 */
import { memoryChannelPair, type Channel } from './channel';
import type { DistOptions } from '../node/dist_node';
import { DistNodeError, HandshakeError } from '../errors';
import type { Admission } from '../node/net_kernel';

/** The net kernel's say on incoming connections. */
export interface TransportHooks {
  /** Asked during the handshake, once the peer's name is known. */
  admit(peer: string): Admission;
  /** An incoming connection finished its handshake. */
  accepted(channel: Channel): void;
}

/** A node's transport once started. */
export interface NodeTransport {
  /** The node's creation (from the port mapper's registration). */
  readonly creation: number;
  /** Where it listens. */
  readonly address: { host: string; port: number };
  /** Opens an authenticated channel to `peer`. */
  dial(peer: string, self: { name: string; creation: number }): Promise<Channel>;
  /** Stops listening and unregisters. */
  close(): Promise<void>;
}

/** Starts a transport for a node about to be created. */
export type TransportStart = (options: DistOptions, hooks: TransportHooks) => Promise<NodeTransport>;

interface MemoryEntry {
  readonly hooks: TransportHooks;
  readonly creation: number;
  readonly hidden: boolean;
  readonly cookie: string | undefined;
}

const memoryNodes = new Map<string, MemoryEntry>();

/** The in-memory transport: a process-wide table of node names stands in for the port mapper. */
export const memoryTransport: TransportStart = async (options, hooks) => {
  const name = options.name;
  if (memoryNodes.has(name)) throw new DistNodeError(`a node named ${name} is already running in this process`);
  const entry: MemoryEntry = {
    hooks,
    creation: ((Math.random() * 0xfffffffe) >>> 0) + 1,
    hidden: options.hidden === true,
    cookie: options.cookie,
  };
  memoryNodes.set(name, entry);
  return {
    creation: entry.creation,
    address: { host: 'memory', port: 0 },
    async dial(peer, self) {
      await Promise.resolve();
      const target = memoryNodes.get(peer);
      if (target === undefined) throw new DistNodeError(`no node named ${peer} runs in this process`);
      if (target.cookie !== entry.cookie) throw new HandshakeError('bad_cookie', `${peer} refused ${self.name}: cookies differ`, peer);
      const decision = target.hooks.admit(self.name);
      if (decision !== 'ok' && decision !== 'ok_simultaneous') throw new HandshakeError(decision === 'nok' ? 'simultaneous' : 'name_clash', `${peer} refused ${self.name} (${decision})`, peer);
      const [mine, theirs] = memoryChannelPair(
        { name: self.name, creation: self.creation, hidden: entry.hidden },
        { name: peer, creation: target.creation, hidden: target.hidden },
      );
      target.hooks.accepted(theirs);
      return mine;
    },
    async close() {
      if (memoryNodes.get(name) === entry) memoryNodes.delete(name);
    },
  };
};
