/**
 * A minimal stand-in for a distributed node, built only from the transport layer:
 * it listens, registers with the port mapper, dials peers it looks up by name,
 * runs the handshake both ways, and keeps one handshaken connection per peer
 * (applying the simultaneous-connect tie-break in its admit hook).
 */
import type * as net from 'node:net';
import { parseNodeName, type TlsOptions } from '@grove/distribution';
import {
  FrameWriter,
  PortMapper,
  acceptHandshake,
  connect,
  initiateHandshake,
  listen,
  readFrames,
  simultaneousConnectStatus,
  type AcceptDecision,
  type HandshakeResult,
  type Listener,
  type NodeRegistration,
} from '@grove/distribution/internal';

export interface EndpointOptions {
  name: string;
  cookie: string;
  epmdPort: number;
  tls?: TlsOptions;
}

export interface Link {
  result: HandshakeResult;
  writer: FrameWriter;
  frames: string[];
}

export class Endpoint {
  readonly links = new Map<string, Link>();
  readonly pending = new Set<string>();
  readonly refusals: Error[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    readonly options: EndpointOptions,
    readonly listener: Listener,
    readonly mapper: PortMapper,
    readonly registration: NodeRegistration,
  ) {}

  static async start(options: EndpointOptions): Promise<Endpoint> {
    let self: Endpoint | undefined;
    const early: net.Socket[] = [];
    const listener = await listen(options.tls !== undefined ? { tls: options.tls } : {}, (socket) => (self ? self.accept(socket) : early.push(socket)));
    const mapper = await PortMapper.ensure({ port: options.epmdPort });
    const registration = await mapper.register({ name: parseNodeName(options.name).alive, port: listener.port });
    self = new Endpoint(options, listener, mapper, registration);
    for (const s of early) self.accept(s);
    return self;
  }

  get name(): string {
    return this.options.name;
  }

  get creation(): number {
    return this.registration.creation;
  }

  private admit = (peer: { name: string }): AcceptDecision => {
    if (this.links.has(peer.name)) return 'alive';
    if (this.pending.has(peer.name)) return simultaneousConnectStatus(this.name, peer.name);
    return 'ok';
  };

  private accept(socket: net.Socket): void {
    acceptHandshake(socket, { name: this.name, creation: this.creation, cookie: this.options.cookie, admit: this.admit }).then(
      (r) => this.adopt(r),
      (e: Error) => this.refusals.push(e),
    );
  }

  /** Looks `peer` up with the port mapper, connects and handshakes. */
  async connectTo(peer: string): Promise<HandshakeResult> {
    this.pending.add(peer);
    try {
      const { alive } = parseNodeName(peer);
      const info = await this.mapper.portPlease(alive);
      if (info === undefined) throw new Error(`${peer} is not registered`);
      const socket = await connect({ host: '127.0.0.1', port: info.port, ...(this.options.tls !== undefined ? { tls: this.options.tls } : {}) });
      const r = await initiateHandshake(socket, { name: this.name, creation: this.creation, cookie: this.options.cookie, peer });
      this.adopt(r);
      return r;
    } finally {
      this.pending.delete(peer);
    }
  }

  private adopt(r: HandshakeResult): void {
    const link: Link = { result: r, writer: new FrameWriter(r.socket), frames: [] };
    this.links.set(r.peer, link);
    r.decoder.onFrame = (f) => {
      link.frames.push(String(f));
      this.wake();
    };
    readFrames(r.socket, r.decoder);
    r.decoder.resume();
    this.wake();
  }

  /** Resolves when `cond` holds, re-checked on every connection and frame. */
  until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (cond()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  async close(): Promise<void> {
    for (const l of this.links.values()) l.result.socket.destroy();
    await this.listener.close({ destroyConnections: true });
    await this.mapper.close();
  }
}
