/**
 * The embedded port mapper: a small EPMD server in a Grove node, started when no
 * `epmd` answers on the host (see `port_mapper.ts`), so `erl` tooling and Grove
 * nodes can use it like the real one.
 *
 * It serves ALIVE2_REQ (answering ALIVE2_X_RESP to nodes of version 6 and later,
 * ALIVE2_RESP to older ones), PORT_PLEASE2_REQ, NAMES_REQ and DUMP_REQ. A name is
 * registered for as long as its registration connection stays open. Differences from
 * `epmd`: it binds 127.0.0.1 unless told otherwise (epmd binds every address);
 * KILL_REQ is answered `NO` (it lives and dies with its node; stopping it makes the
 * other nodes take over); STOP_REQ (unused by Erlang) is not served.
 */
import * as net from 'node:net';
import { randomInt } from 'node:crypto';
import { getLogger } from '@grove/core';
import { positiveOption, socketAddress } from '../transport/tcp';
import { EPMD, decodeNodeInfo, encodeNodeInfo, type EpmdNodeInfo } from './epmd';

import { refusals } from '../transport/warn_limit';

/** Default time a connection gets to send its whole request ({@link EpmdServerOptions.requestTimeoutMs}). */
export const DEFAULT_EPMD_REQUEST_TIMEOUT_MS = 5_000;
/** Default cap on connections with a request in progress ({@link EpmdServerOptions.maxConnections}). */
export const DEFAULT_EPMD_MAX_CONNECTIONS = 128;
/** Default cap on registered names ({@link EpmdServerOptions.maxRegistrations}). */
export const DEFAULT_EPMD_MAX_REGISTRATIONS = 512;

export interface EpmdServerOptions {
  /** Port to listen on (0 picks a free one). */
  port: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /**
   * Deadline for a connection's whole request, from its accept (bytes arriving do not
   * extend it); past it the connection is closed. Default {@link DEFAULT_EPMD_REQUEST_TIMEOUT_MS}.
   */
  requestTimeoutMs?: number;
  /**
   * Connections with a request in progress, at most (registrations do not count). At
   * the cap a new connection closes the oldest such one, as epmd does. Default
   * {@link DEFAULT_EPMD_MAX_CONNECTIONS}.
   */
  maxConnections?: number;
  /** Registered names, at most; a registration past it is refused. Default {@link DEFAULT_EPMD_MAX_REGISTRATIONS}. */
  maxRegistrations?: number;
}

interface Entry extends EpmdNodeInfo {
  creation: number;
  socket: net.Socket;
}

/** A running embedded EPMD server. */
export class EpmdServer {
  private readonly entries = new Map<string, Entry>();
  private readonly sockets = new Set<net.Socket>();
  /** Connections whose request has not arrived yet, oldest first. */
  private readonly pending = new Set<net.Socket>();
  private nextCreation = randomInt(1, 0x7fffffff);
  private stopped = false;

  private constructor(
    private readonly server: net.Server,
    /** The bound address. */
    readonly host: string,
    /** The bound port. */
    readonly port: number,
    private readonly requestTimeoutMs: number,
    private readonly maxConnections: number,
    private readonly maxRegistrations: number,
  ) {}

  /**
   * Starts a server. Rejects with the listen error when the port is taken
   * (`code: 'EADDRINUSE'`: another port mapper is there).
   */
  static start(options: EpmdServerOptions): Promise<EpmdServer> {
    const server = net.createServer();
    return new Promise((resolve, reject) => {
      // A bad option rejects (the executor's throw), before anything listens.
      const requestTimeoutMs = positiveOption('embedded port mapper: requestTimeoutMs', options.requestTimeoutMs, DEFAULT_EPMD_REQUEST_TIMEOUT_MS);
      const maxConnections = positiveOption('embedded port mapper: maxConnections', options.maxConnections, DEFAULT_EPMD_MAX_CONNECTIONS);
      const maxRegistrations = positiveOption('embedded port mapper: maxRegistrations', options.maxRegistrations, DEFAULT_EPMD_MAX_REGISTRATIONS);
      server.once('error', reject);
      server.listen({ port: options.port, host: options.host ?? '127.0.0.1', exclusive: true }, () => {
        server.off('error', reject);
        const address = server.address() as net.AddressInfo;
        const self = new EpmdServer(server, address.address, address.port, requestTimeoutMs, maxConnections, maxRegistrations);
        server.on('connection', (socket) => self.accept(socket));
        server.on('error', (err) => getLogger('dist').error(`embedded port mapper on ${self.host}:${self.port} failed: ${err.message}`));
        resolve(self);
      });
    });
  }

  /** The registered nodes. */
  registered(): EpmdNodeInfo[] {
    return [...this.entries.values()].map(({ creation: _c, socket: _s, ...info }) => info);
  }

  /** True until {@link stop}. */
  get running(): boolean {
    return !this.stopped;
  }

  /** Stops listening and closes every connection, registrations included (they unregister). */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {}); // a peer that vanishes ends in `close`
    if (this.pending.size >= this.maxConnections) {
      // Like epmd: the oldest connection still sending its request makes room.
      const oldest = this.pending.values().next().value as net.Socket;
      this.pending.delete(oldest);
      refusals.warn(`epmd ${oldest.remoteAddress}`, `embedded port mapper closed a connection from ${socketAddress(oldest)} that had not sent its request, to make room (maxConnections ${this.maxConnections})`);
      oldest.destroy();
    }
    this.sockets.add(socket);
    this.pending.add(socket);
    // One deadline for the whole request: a client trickling bytes does not extend it.
    const deadline = setTimeout(() => socket.destroy(), this.requestTimeoutMs);
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      socket.off('data', onData);
      clearTimeout(deadline);
      this.pending.delete(socket);
      this.handle(socket, buf.subarray(2, 2 + len));
    };
    socket.on('data', onData);
    socket.once('close', () => {
      clearTimeout(deadline);
      this.pending.delete(socket);
      this.sockets.delete(socket);
    });
  }

  private handle(socket: net.Socket, req: Buffer): void {
    switch (req[0]) {
      case EPMD.ALIVE2_REQ:
        return this.alive2(socket, req);
      case EPMD.PORT_PLEASE2_REQ: {
        const entry = this.entries.get(req.toString('utf8', 1));
        socket.end(entry === undefined ? Buffer.of(EPMD.PORT2_RESP, 1) : Buffer.concat([Buffer.of(EPMD.PORT2_RESP, 0), encodeNodeInfo(entry)]));
        return;
      }
      case EPMD.NAMES_REQ:
      case EPMD.DUMP_REQ: {
        const head = Buffer.allocUnsafe(4);
        head.writeUInt32BE(this.port, 0);
        let text = '';
        for (const e of this.entries.values()) {
          text += req[0] === EPMD.NAMES_REQ
            ? `name ${e.name} at port ${e.port}\n`
            : `active name     <${e.name}> at port ${e.port}, fd = 0\n`;
        }
        socket.end(Buffer.concat([head, Buffer.from(text, 'utf8')]));
        return;
      }
      case EPMD.KILL_REQ:
        socket.end('NO');
        return;
      default:
        socket.destroy();
    }
  }

  private alive2(socket: net.Socket, req: Buffer): void {
    const info = decodeNodeInfo(req, 1);
    const x = info !== undefined && info.highestVersion >= 6;
    const refuse = (why: string): void => {
      refusals.warn(`epmd-register ${socket.remoteAddress} ${why}`, `embedded port mapper refused to register ${JSON.stringify(info?.name)} from ${socketAddress(socket)}: ${why}`);
      socket.end(x ? Buffer.of(EPMD.ALIVE2_X_RESP, 1, 0, 0, 0, 0) : Buffer.of(EPMD.ALIVE2_RESP, 1, 0, 0));
    };
    // Like epmd: only nodes on this host may register.
    if (!fromThisHost(socket)) return refuse(`registration from ${socket.remoteAddress}, not from this host`);
    if (info === undefined || info.name === '') return refuse('malformed ALIVE2_REQ');
    if (this.entries.has(info.name)) return refuse('the name is already registered');
    if (this.entries.size >= this.maxRegistrations) return refuse(`${this.entries.size} names are registered (maxRegistrations)`);
    const creation = this.nextCreation;
    this.nextCreation = this.nextCreation >= 0xfffffff0 ? 1 : this.nextCreation + 1;
    const entry: Entry = { ...info, creation, socket };
    this.entries.set(info.name, entry);
    socket.once('close', () => {
      if (this.entries.get(info.name) === entry) this.entries.delete(info.name);
    });
    // Whatever a registered node sends later (ALIVE_CLOSE_REQ is just a close) is ignored.
    socket.on('data', () => {});
    const resp = x ? Buffer.allocUnsafe(6) : Buffer.allocUnsafe(4);
    resp[0] = x ? EPMD.ALIVE2_X_RESP : EPMD.ALIVE2_RESP;
    resp[1] = 0;
    if (x) resp.writeUInt32BE(creation, 2);
    else resp.writeUInt16BE((creation % 3) + 1, 2);
    socket.write(resp);
  }
}

/**
 * A connection from this host: from a loopback address, or from the address it came in
 * on (a node registering with a port mapper bound to this machine's own address).
 */
function fromThisHost(socket: net.Socket): boolean {
  return isLoopback(socket.remoteAddress) || (socket.remoteAddress !== undefined && socket.remoteAddress === socket.localAddress);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
