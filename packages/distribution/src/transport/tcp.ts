/**
 * Sockets between nodes: a listener and an outgoing connection, over plain TCP or TLS.
 *
 * TCP sockets get `setNoDelay(true)`: frames are already batched per tick by the
 * writer, so Nagle's algorithm would only add latency. With `tls`, both sides
 * present a certificate signed by a CA they trust (`requestCert` and
 * `rejectUnauthorized` default to true: mutual verification), and a peer without a
 * valid certificate never reaches the handshake. A listener hands over a TLS socket
 * only once its TLS handshake has succeeded.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { getLogger } from '@grove/core';
import { ConnectError } from '../errors';
import { tlsFailureCause } from '../handshake/tls_identity';
import { refusals } from './warn_limit';

/** Default host: loopback, so nothing listens on the network unless asked. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';
/** Default time to open a connection (TCP and TLS), like Erlang's `net_setuptime` of 7 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 7000;
/** Default cap on handshakes in progress on one listener ({@link ListenOptions.maxHandshakes}). */
export const DEFAULT_MAX_HANDSHAKES = 64;
/** Default cap on handshakes in progress from one remote address ({@link ListenOptions.maxHandshakesPerAddress}). */
export const DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = 16;

/**
 * A node's TLS settings (`startDistributed`'s `tls`): its key and certificate, and the
 * CA that signs its peers'. See the README ("TLS") for what a node certificate must
 * contain.
 */
export interface TlsOptions {
  /** This node's private key (PEM). */
  key: string | Buffer;
  /** This node's certificate (PEM): subject CN the node's full name, subjectAltName its host. */
  cert: string | Buffer;
  /** CA certificate(s) that peers' certificates must chain to (PEM). Default: Node's root store. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Lowest TLS version accepted. Default `TLSv1.2`. */
  minVersion?: tls.SecureVersion;
  /**
   * Unsafe: accept a peer whose certificate is issued to another node name, as long
   * as it is signed by the CA and names the host of the name it claims (Erlang's
   * `inet_tls_dist` authenticates hosts only). Any holder of a valid certificate for
   * a host can then pose as any node on that host. Default false.
   */
  unsafeSkipNodeNameCheck?: boolean;
}

/** TLS settings of a socket ({@link listen}, {@link connect}). */
export interface SocketTlsOptions extends Omit<TlsOptions, 'unsafeSkipNodeNameCheck'> {
  /** Listener: ask the connecting peer for a certificate. Default true (mutual TLS). */
  requestCert?: boolean;
  /**
   * Refuse a peer whose certificate does not verify, in the TLS layer. Default true.
   * The node transport sets it false and leaves the verdict to the handshake, which
   * tells the peer why it refuses (`handshake/tls_identity.ts`).
   */
  rejectUnauthorized?: boolean;
  /** Connector: the name to check the server certificate against. Default the host. */
  servername?: string;
  /** Connector: replaces the server identity check (return an Error to refuse). */
  checkServerIdentity?: (hostname: string, cert: tls.PeerCertificate) => Error | undefined;
}

export interface ListenOptions {
  /** Address to bind. Default {@link DEFAULT_LISTEN_HOST}. */
  host?: string;
  /** Port to bind; 0 (the default) lets the system pick one. */
  port?: number;
  /** Listen with TLS. */
  tls?: SocketTlsOptions;
  /** Time a TLS client gets to finish its TLS handshake. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  tlsHandshakeTimeoutMs?: number;
  /**
   * Connections accepted and not yet through their handshake (TLS included), at
   * most. At the cap, a new connection closes the oldest one whose peer has not yet
   * said who it is ({@link HandshakeSlot.identified}); when every one has, the new
   * connection is closed. Default {@link DEFAULT_MAX_HANDSHAKES}.
   */
  maxHandshakes?: number;
  /** The same cap, per remote address. Default {@link DEFAULT_MAX_HANDSHAKES_PER_ADDRESS}. */
  maxHandshakesPerAddress?: number;
}

/** A connection's place among the listener's handshakes in progress. */
export interface HandshakeSlot {
  /** The peer said who it is: this connection is no longer the first to be closed at the cap. */
  identified(): void;
  /** The handshake is over (either way): the connection no longer counts. */
  release(): void;
}

/** A listening socket for node connections. */
export interface Listener {
  /** The bound address. */
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** True when connections are TLS. */
  readonly tls: boolean;
  /**
   * Stops accepting connections. Connections already handed over stay open unless
   * `destroyConnections` is true.
   */
  close(options?: { destroyConnections?: boolean }): Promise<void>;
}

/**
 * Listens for node connections; `onConnection` gets each accepted socket (for TLS,
 * after the TLS handshake succeeded and the peer's certificate verified).
 */
export function listen(options: ListenOptions, onConnection: (socket: net.Socket, slot: HandshakeSlot) => void): Promise<Listener> {
  const host = options.host ?? DEFAULT_LISTEN_HOST;
  const log = getLogger('dist');
  const sockets = new Set<net.Socket>();
  const gate = new HandshakeGate(
    positiveOption('maxHandshakes', options.maxHandshakes, DEFAULT_MAX_HANDSHAKES),
    positiveOption('maxHandshakesPerAddress', options.maxHandshakesPerAddress, DEFAULT_MAX_HANDSHAKES_PER_ADDRESS),
  );
  const slots = new WeakMap<net.Socket, HandshakeSlot>();
  const accept = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    keepErrorsQuiet(socket);
    socket.setNoDelay(true);
    onConnection(socket, slots.get(rawSocketOf(socket as tls.TLSSocket)) ?? NO_SLOT);
  };
  // Every TCP connection takes a slot first (for TLS, before its TLS handshake).
  const admit = (raw: net.Socket): boolean => {
    const slot = gate.admit(raw);
    if (slot === undefined) return false;
    slots.set(raw, slot);
    return true;
  };
  let server: net.Server;
  if (options.tls !== undefined) {
    const t = options.tls;
    server = tls.createServer(
      {
        key: t.key,
        cert: t.cert,
        ...(t.ca !== undefined ? { ca: t.ca } : {}),
        requestCert: t.requestCert ?? true,
        rejectUnauthorized: t.rejectUnauthorized ?? true,
        minVersion: t.minVersion ?? 'TLSv1.2',
        handshakeTimeout: options.tlsHandshakeTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      },
      accept,
    );
    // A socket that failed its TLS handshake is closed and has no address any more:
    // note each TCP connection's address when it arrives.
    const addresses = new WeakMap<net.Socket, string>();
    server.prependListener('connection', (raw: net.Socket) => {
      addresses.set(raw, socketAddress(raw));
      admit(raw);
    });
    server.on('tlsClientError', (err, socket) => {
      const raw = rawSocketOf(socket);
      if (!slots.has(raw)) return; // closed by the cap, which said so
      // A certificate refused by the TLS layer closes the socket without an error of
      // its own ("socket hang up"): the verification's code says why.
      const code = socket.authorizationError;
      const cause = tlsFailureCause(code ? Object.assign(new Error(String(code)), { code: String(code) }) : err);
      refusals.warn(`tls ${host} ${raw.remoteAddress} ${cause}`, `refused a TLS connection from ${addresses.get(raw) ?? socketAddress(socket)}: ${cause}`);
    });
  } else {
    server = net.createServer((socket) => {
      if (admit(socket)) accept(socket);
    });
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error(`listener on ${host} failed: ${err.message}`));
      const address = server.address() as net.AddressInfo;
      resolve({
        host: address.address,
        port: address.port,
        tls: options.tls !== undefined,
        close: (closeOptions) =>
          new Promise<void>((done) => {
            server.close();
            if (closeOptions?.destroyConnections === true) for (const s of sockets) s.destroy();
            // `server.close` calls back only when every connection has ended; the
            // listening port itself is released on the next turn.
            setImmediate(done);
          }),
      });
    });
  });
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Connect with TLS. */
  tls?: SocketTlsOptions;
  /** Time to open the connection (TCP and TLS). Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * Opens a connection to a node's listener. Resolves once it is open (for TLS, once
 * the TLS handshake succeeded and the server's certificate verified).
 *
 * @throws ConnectError when the connection is refused, fails or times out.
 */
export function connect(options: ConnectOptions): Promise<net.Socket> {
  const { host, port } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    let readyEvent: string;
    if (options.tls !== undefined) {
      const t = options.tls;
      const servername = t.servername ?? (net.isIP(host) === 0 ? host : undefined);
      socket = tls.connect({
        host,
        port,
        key: t.key,
        cert: t.cert,
        ...(t.ca !== undefined ? { ca: t.ca } : {}),
        ...(servername !== undefined ? { servername } : {}),
        ...(t.checkServerIdentity !== undefined ? { checkServerIdentity: t.checkServerIdentity } : {}),
        rejectUnauthorized: t.rejectUnauthorized ?? true,
        minVersion: t.minVersion ?? 'TLSv1.2',
      });
      readyEvent = 'secureConnect';
    } else {
      socket = net.connect({ host, port });
      readyEvent = 'connect';
    }
    let tcpUp = false;
    socket.once('connect', () => (tcpUp = true));
    const timer = setTimeout(() => fail(new ConnectError(host, port, `timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err instanceof ConnectError) return reject(err);
      // Past the TCP connect, a TLS failure: say what it means.
      const tlsFailed = options.tls !== undefined && tcpUp;
      reject(new ConnectError(host, port, tlsFailed ? `TLS: ${tlsFailureCause(err)}` : err.message, { cause: err, tls: tlsFailed }));
    };
    const onClose = (): void =>
      fail(tcpUp && options.tls !== undefined
        ? new ConnectError(host, port, `TLS: ${tlsFailureCause(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))}`, { tls: true })
        : new ConnectError(host, port, 'the connection closed while opening'));
    socket.once('error', fail);
    socket.once('close', onClose);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.off('close', onClose);
      keepErrorsQuiet(socket);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * A socket error always ends in `close`, which is what the owner watches; this
 * listener keeps an error that comes before the owner attached its own (a TLS alert
 * right after connect) from crashing the process as an unhandled `error` event.
 */
function keepErrorsQuiet(socket: net.Socket): void {
  const address = socketAddress(socket);
  socket.on('error', (err) => getLogger('dist').debug(`socket ${address} failed: ${err.message}`));
}

const NO_SLOT: HandshakeSlot = { identified: () => undefined, release: () => undefined };

/** `value` when a positive integer (else a RangeError naming the option), `fallback` when undefined. @internal */
export function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

interface Pending {
  readonly host: string;
  identified: boolean;
}

/**
 * The listener's handshakes in progress, oldest first, with a cap in all and per
 * remote address. A connection over a cap takes the place of the oldest one (of that
 * address, for the per-address cap) whose peer has not said who it is yet; idle
 * sockets thus cannot keep a peer that speaks out. @internal
 */
export class HandshakeGate {
  private readonly pending = new Map<net.Socket, Pending>();
  private readonly perHost = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerHost: number,
  ) {}

  /** Handshakes in progress. */
  get size(): number {
    return this.pending.size;
  }

  /** A slot for `socket`, or undefined when it was refused (and destroyed). */
  admit(socket: net.Socket): HandshakeSlot | undefined {
    const host = socket.remoteAddress ?? 'unknown';
    const fromHost = this.perHost.get(host) ?? 0;
    let why: string | undefined;
    if (fromHost >= this.maxPerHost && !this.evict(host)) why = `${fromHost} handshakes from ${host} in progress (maxHandshakesPerAddress)`;
    else if (this.pending.size >= this.max && !this.evict(undefined)) why = `${this.pending.size} handshakes in progress (maxHandshakes)`;
    if (why !== undefined) {
      refusals.warn(`cap ${host}`, `refused a connection from ${socketAddress(socket)}: ${why}`);
      socket.destroy();
      return undefined;
    }
    const entry: Pending = { host, identified: false };
    this.pending.set(socket, entry);
    this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
    const release = (): void => this.release(socket);
    socket.once('close', release);
    return {
      identified: () => (entry.identified = true),
      release: () => {
        socket.off('close', release);
        release();
      },
    };
  }

  private release(socket: net.Socket): void {
    const entry = this.pending.get(socket);
    if (entry === undefined) return;
    this.pending.delete(socket);
    const n = (this.perHost.get(entry.host) ?? 1) - 1;
    if (n === 0) this.perHost.delete(entry.host);
    else this.perHost.set(entry.host, n);
  }

  /** Closes the oldest unidentified handshake (of `host`, if given); false when there is none. */
  private evict(host: string | undefined): boolean {
    for (const [socket, entry] of this.pending) {
      if (entry.identified || (host !== undefined && entry.host !== host)) continue;
      this.release(socket);
      refusals.warn(`evict ${entry.host}`, `closed a connection from ${socketAddress(socket)} that had not said who it is, to make room for a new one (too many handshakes in progress)`);
      socket.destroy();
      return true;
    }
    return false;
  }
}

/** The TCP socket a server-side TLS socket wraps (Node keeps it as `_parent`), else the socket itself. */
function rawSocketOf(socket: tls.TLSSocket): net.Socket {
  const parent = (socket as tls.TLSSocket & { _parent?: unknown })._parent;
  return parent instanceof net.Socket ? parent : socket;
}

/** `host:port` of a socket's peer (IPv6 in brackets); `unknown address` once it has none. */
export function socketAddress(socket: net.Socket): string {
  const host = socket.remoteAddress;
  if (host === undefined) return 'unknown address';
  return `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort}`;
}
