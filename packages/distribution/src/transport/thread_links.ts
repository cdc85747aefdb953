/**
 * Links between nodes in different threads of one OS process: a connection between
 * them runs over shared-memory rings (see ring_stream.ts) instead of TCP, and finding
 * the peer needs no port mapper.
 *
 * The main thread keeps a broker that knows every worker node (`attachWorker`, from
 * node/workers.ts) by the control port of its thread. A node that dials asks the broker
 * (in a worker: over the control port) for a link to the peer: when the peer is a node
 * of another thread of this process, the broker makes a `MessageChannel`, gives one end
 * to the peer's node (which runs the accepting handshake on it, as on an accepted
 * socket) and the other to the dialer; otherwise the dialer uses TCP. Nodes of one
 * thread always use their transport among themselves (so tests that run several TCP
 * nodes in one thread still use TCP).
 *
 * @internal
 */
import { isMainThread, MessageChannel, type MessagePort } from 'node:worker_threads';

/** Called with a port whose other end a node of another thread dials from. */
type Acceptor = (port: MessagePort) => void;

/** What the control port carries, both ways. */
type Control =
  | { type: 'dial'; id: number; peer: string }
  | { type: 'dialed'; id: number; port: MessagePort | null }
  | { type: 'accept'; to: string; port: MessagePort };

/** Nodes running in this thread, by name. */
const acceptors = new Map<string, Acceptor>();

/** Registers a node of this thread, so that nodes of other threads can dial it; returns the unregister function. */
export function registerThreadNode(name: string, accept: Acceptor): () => void {
  acceptors.set(name, accept);
  return () => {
    if (acceptors.get(name) === accept) acceptors.delete(name);
  };
}

/**
 * A port to `peer` when it is a node of another thread of this process (its other end
 * already handed to `peer`), else undefined: then the caller dials over its transport.
 */
export function dialThread(peer: string): Promise<MessagePort | undefined> {
  if (acceptors.has(peer)) return Promise.resolve(undefined);
  if (client !== undefined) return client.dial(peer);
  if (isMainThread) return Promise.resolve(broker.linkFromMain(peer));
  return Promise.resolve(undefined);
}

// ---- main thread: the broker ----

class Broker {
  private readonly workers = new Map<string, MessagePort>();

  /** A worker thread's node, reached through its thread's control port. */
  attach(name: string, control: MessagePort): void {
    this.workers.set(name, control);
    control.on('message', (m: Control) => {
      if (m.type !== 'dial') return;
      const port = this.link(m.peer, name);
      if (port === null) control.postMessage({ type: 'dialed', id: m.id, port: null } satisfies Control);
      else control.postMessage({ type: 'dialed', id: m.id, port } satisfies Control, [port]);
    });
  }

  detach(name: string, control: MessagePort): void {
    if (this.workers.get(name) === control) this.workers.delete(name);
  }

  /** A link from a main-thread node to a worker node. */
  linkFromMain(peer: string): MessagePort | undefined {
    if (!this.workers.has(peer)) return undefined;
    return this.link(peer, undefined) ?? undefined;
  }

  /** A fresh channel whose far end is handed to `peer`'s node; null when `peer` is no node of another thread. */
  private link(peer: string, from: string | undefined): MessagePort | null {
    if (peer === from) return null;
    const control = this.workers.get(peer);
    const local = acceptors.get(peer);
    if (control === undefined && local === undefined) return null;
    const { port1, port2 } = new MessageChannel();
    if (control !== undefined) control.postMessage({ type: 'accept', to: peer, port: port2 } satisfies Control, [port2]);
    else local!(port2);
    return port1;
  }
}

const broker = new Broker();

/** Main thread: makes the worker node `name` reachable through its thread's control port. */
export function attachWorker(name: string, control: MessagePort): void {
  broker.attach(name, control);
}

/** Main thread: forgets the worker node `name` (its thread ended). */
export function detachWorker(name: string, control: MessagePort): void {
  broker.detach(name, control);
}

// ---- worker thread: the client of the main thread's broker ----

class BrokerClient {
  private nextId = 1;
  private readonly pending = new Map<number, (port: MessagePort | undefined) => void>();

  constructor(private readonly control: MessagePort) {
    control.on('message', (m: Control) => {
      if (m.type === 'dialed') {
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        done?.(m.port ?? undefined);
      } else if (m.type === 'accept') {
        const accept = acceptors.get(m.to);
        if (accept !== undefined) accept(m.port);
        else m.port.close();
      }
    });
    control.once('close', () => {
      for (const done of this.pending.values()) done(undefined);
      this.pending.clear();
    });
    // The control port must not keep the thread alive by itself.
    control.unref();
  }

  dial(peer: string): Promise<MessagePort | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.control.postMessage({ type: 'dial', id, peer } satisfies Control);
    });
  }
}

let client: BrokerClient | undefined;

/** Worker thread: links this thread's nodes to the main thread's broker. */
export function connectToBroker(control: MessagePort): void {
  client = new BrokerClient(control);
}
