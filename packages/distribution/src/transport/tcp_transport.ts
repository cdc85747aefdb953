/**
 * The TCP/TLS transport of a distributed node (OTP's `inet_tcp_dist`/`inet_tls_dist`):
 *
 * 1. Start: make sure a port mapper answers (start the embedded one if none),
 *    listen (port 0 by default), register the node's name with its port (the
 *    registration gives the node's creation).
 * 2. Dial a peer: ask the peer host's port mapper for the peer's port, connect (TLS
 *    when configured), run the handshake as initiator, and wrap the socket in a
 *    {@link SocketChannel}.
 * 3. Accept: run the handshake as acceptor; the net kernel's `admit` settles name
 *    clashes and simultaneous connects while the handshake waits; a socket that
 *    fails the handshake (wrong cookie, garbage, timeout) is closed and logged, and
 *    nothing else happens.
 *
 * Internal to the package, not part of its API.
 */
import type { Socket } from 'node:net';
import { GenCall, getLogger, Pid, Ref } from '@grove/core';
import { ControlEncoder } from '../wire/control';
import { ControlDecoder } from '../wire/control_decode';
import { ConnectError, DistNodeError, EpmdError, HandshakeError } from '../errors';
import { initiateHandshake, prepareAccept, type HandshakeResult } from '../handshake/handshake';
import { decodeHandshake, encodeHandshake, StatusCode, type HandshakeMsg } from '../handshake/messages';
import { parseNodeName } from '../node/node_name';
import { AttemptAbort, type AbortLike, type NodeTransport, type TransportStart } from './transport';
import type { DistOptions } from '../node/dist_node';
import { PortMapper } from '../epmd/port_mapper';
import { RingStream } from './ring_stream';
import { dialThread, registerThreadNode } from './thread_links';
import { SocketChannel, type ChannelLimits } from './socket_channel';
import { DEFAULT_DIST_BUF_BUSY_LIMIT, DEFAULT_MAX_SEND_QUEUE_BYTES } from './busy_port';
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/framing';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../wire/fragment';
import { DEFAULT_BUSY_WAIT_US } from './busy_wait';
import { connect, listen, positiveOption, socketAddress, type HandshakeSlot, type Listener, type SocketTlsOptions, type TlsOptions } from './tcp';
import { ownCertificateProblems, type TlsIdentityMode } from '../handshake/tls_identity';
import { GROVE_EPMD_EXTRA, GROVE_TLS_EPMD_EXTRA } from '../epmd/epmd';
import { acceptErlang, dialErlang, peekHello, type ErlangSide } from '../erlang/erlang_transport';

const log = getLogger('dist');
/** A thread link takes no place among the listener's handshakes (only sockets are capped). */
const THREAD_SLOT: HandshakeSlot = { identified: () => undefined, release: () => undefined };

/**
 * Runs the handshake's codec and the control codec once now, so that V8 has compiled
 * them before the node's first connection.
 */
function warmUp(name: string): void {
  const bytes = Buffer.alloc(32);
  const samples: HandshakeMsg[] = [
    { kind: 'name', name, versionMin: 1, versionMax: 1, flags: 0, creation: 1, hidden: false },
    { kind: 'status', code: StatusCode.OK, reason: '' },
    { kind: 'alive_answer', proceed: true },
    { kind: 'challenge', name, version: 1, flags: 0, creation: 1, hidden: false, challenge: bytes },
    { kind: 'reply', challenge: bytes, digest: bytes },
    { kind: 'ack', digest: bytes },
  ];
  for (const m of samples) {
    try {
      decodeHandshake(encodeHandshake(m));
    } catch {
      // Only a warm-up: a sample the checks refuse still compiled the codec.
    }
  }
  // And the control codec with what a first call sends (monitor, a GenCall, reply, demonitor).
  const pid = new Pid(name, 1, 0, 1);
  const ref = new Ref(name, 1, 1, true);
  const enc = new ControlEncoder();
  enc.monitor(pid, 'net_kernel', ref);
  enc.regSend(pid, 'net_kernel', new GenCall({ pid, tag: 1 }, { type: 'is_auth', node: name }));
  enc.reply(pid, 1, 'yes');
  enc.demonitor(pid, 'net_kernel', ref);
  enc.send(pid, pid, [1, 'two', { three: 3 }]);
  new ControlDecoder({ localNode: name, localCreation: 1 }).decode(enc.take(), () => undefined);
}

/**
 * The node's TLS settings for its sockets, after checking its own certificate (a
 * certificate peers would refuse is an error now, not a refused connection later).
 * The TLS layer verifies but does not refuse: the handshake does, saying why to the
 * peer (`handshake/tls_identity.ts`).
 */
function socketTls(nodeName: string, t: TlsOptions, mode: TlsIdentityMode): SocketTlsOptions {
  if (typeof t !== 'object' || t === null || t.key === undefined || t.cert === undefined) {
    throw new DistNodeError(`${nodeName}: tls needs key and cert (PEM), and ca for the CA that signs the peers' certificates`);
  }
  const { errors, warnings } = ownCertificateProblems(nodeName, t, mode);
  if (errors.length > 0) {
    throw new DistNodeError(`${nodeName}: cannot use this TLS certificate: ${errors.join('; ')}. See "TLS" in @grove/distribution's README for what a node certificate must contain (grove certs makes them)`);
  }
  for (const w of warnings) log.warn(`${nodeName}: ${w}`);
  return {
    key: t.key,
    cert: t.cert,
    ...(t.ca !== undefined ? { ca: t.ca } : {}),
    ...(t.minVersion !== undefined ? { minVersion: t.minVersion } : {}),
    requestCert: true,
    rejectUnauthorized: false,
  };
}

/**
 * Why this node cannot talk to `peer`, told by the `Extra` of its port-mapper entry:
 * an Erlang node, or a Grove node with TLS when this one has none (or the reverse).
 */
function transportMismatch(peer: string, extra: Buffer, tls: boolean): string | undefined {
  const peerTls = extra.equals(GROVE_TLS_EPMD_EXTRA);
  if (!peerTls && !extra.equals(GROVE_EPMD_EXTRA)) return `${peer}: it is an Erlang node (its port mapper entry is not a Grove node's); this node uses TLS, and Erlang distribution over TLS is not supported`;
  if (peerTls === tls) return undefined;
  return `${peer}: it ${peerTls ? 'uses' : 'does not use'} TLS and this node ${tls ? 'does' : 'does not'}: give every node the same tls options`;
}

/** True when a port-mapper entry is a BEAM node's (not one of Grove's markers). */
function isBeamEntry(extra: Buffer): boolean {
  return !extra.equals(GROVE_EPMD_EXTRA) && !extra.equals(GROVE_TLS_EPMD_EXTRA);
}

/**
 * Listens on `options.port`, or on the first free port of `options.portRange` (OTP's
 * `inet_dist_listen_min`..`inet_dist_listen_max`): a port in use is skipped, any other
 * failure ends the search.
 */
async function listenInRange(options: DistOptions, listenOn: (port: number) => Promise<Listener>): Promise<Listener> {
  const range = options.portRange;
  if (range === undefined) return listenOn(options.port ?? 0);
  for (let port = range.min; port <= range.max; port++) {
    try {
      return await listenOn(port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error(`every port from ${range.min} to ${range.max} is in use`);
}

/** Throws the handshake's `simultaneous` failure when the net kernel dropped this dial before its handshake began. */
function dropped(peer: string, signal: AbortLike): void {
  if (signal.aborted) throw new HandshakeError('simultaneous', `connecting to ${peer}: dropped, another connection with it won the simultaneous connect`, peer);
}

export const tcpTransport: TransportStart = async (options, hooks, fixedCreation) => {
  const name = parseNodeName(options.name);
  const cookie = (peer: string): string => hooks.cookie(peer);
  const hidden = options.hidden === true;
  const timeoutMs = options.connectTimeoutMs ?? 7000;
  const maxFrameBytes = options.maxFrameBytes;
  const tlsIdentity: TlsIdentityMode = options.tls?.unsafeSkipNodeNameCheck === true ? 'host' : 'node';
  const tls = options.tls !== undefined ? { tls: socketTls(options.name, options.tls, tlsIdentity) } : {};
  // Resolved by startDistributed (option, else GROVE_BUSY_WAIT_US, else the default).
  const busyWaitUs = options.busyWaitUs ?? DEFAULT_BUSY_WAIT_US;
  const common = { name: options.name, cookie, hidden, timeoutMs, tlsIdentity, busyWaitUs, ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}) };
  const limits: Required<ChannelLimits> = {
    maxFrameBytes: positiveOption('maxFrameBytes', maxFrameBytes, DEFAULT_MAX_FRAME_BYTES),
    maxMessageBytes: positiveOption('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    distBufBusyLimit: positiveOption('distBufBusyLimit', options.distBufBusyLimit, DEFAULT_DIST_BUF_BUSY_LIMIT),
    maxSendQueueBytes: positiveOption('maxSendQueueBytes', options.maxSendQueueBytes, DEFAULT_MAX_SEND_QUEUE_BYTES),
    busyWaitUs,
  };
  if (limits.maxMessageBytes < limits.maxFrameBytes) {
    throw new RangeError(`maxMessageBytes (${limits.maxMessageBytes}) must be at least maxFrameBytes (${limits.maxFrameBytes}): a message that fits a frame is never split`);
  }
  const channelOf = (hs: HandshakeResult, localName: string, localCreation: number): SocketChannel =>
    new SocketChannel(
      hs.socket,
      { localName, localCreation, peer: hs.peer, peerCreation: hs.peerCreation, peerHidden: hs.peerHidden },
      { ...limits, decoder: hs.decoder },
    );
  warmUp(options.name);
  const pm = await PortMapper.ensure({
    ...(options.epmdPort !== undefined ? { port: options.epmdPort } : {}),
    ...(options.epmdHost !== undefined ? { host: options.epmdHost } : {}),
  });
  let creation = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const accept = (socket: Socket, slot: HandshakeSlot): void => {
    track(socket);
    // Plain TCP: Erlang's handshake or Grove's, told apart by the first bytes. Grove's is
    // set up meanwhile (it is the usual one), and dropped unstarted for Erlang's.
    if (options.tls === undefined) {
      const grove = acceptGrove(socket, slot);
      peekHello(socket, timeoutMs, (hello) => {
        if (hello === undefined) return slot.release();
        if (hello.erlang) return acceptBeam(socket, slot, hello.first);
        grove(hello.first);
      });
      return;
    }
    acceptGrove(socket, slot)();
  };
  const erlangSide = (self: { name: string; creation: number; hidden?: boolean }): ErlangSide => ({
    name: self.name,
    creation: self.creation,
    cookie,
    hidden: self.hidden ?? hidden,
    timeoutMs,
    busyWaitUs,
    ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}),
  });
  const acceptBeam = (socket: Socket, slot: HandshakeSlot, first: Buffer): void => {
    const from = socketAddress(socket);
    // A BEAM node's attempt: the simultaneous-connect bookkeeping is the same as for a Grove node's.
    const attempt = { abort: () => socket.destroy() };
    let admitted: string | undefined;
    const admit = (peer: string): ReturnType<typeof hooks.admit> => {
      slot.identified();
      const decision = hooks.admit(peer, attempt);
      if (decision === 'ok' || decision === 'ok_simultaneous' || decision === 'alive') admitted = peer;
      return decision;
    };
    acceptErlang(socket, first, erlangSide({ name: options.name, creation }), admit).then(
      (channel) => {
        slot.release();
        hooks.accepted(channel, attempt);
      },
      (err: unknown) => {
        slot.release();
        log.debug(`${options.name}: refused an Erlang connection from ${from}: ${(err as Error).message}`);
        if (admitted !== undefined) hooks.acceptFailed(admitted, attempt);
      },
    );
  };
  /** Sets up Grove's handshake on an accepted socket; it starts when called (`first`: the bytes read to tell the protocol apart). */
  const acceptGrove = (socket: Socket, slot: HandshakeSlot): ((first?: Buffer) => void) => {
    const from = socketAddress(socket);
    const abort = new AttemptAbort();
    const attempt = { abort: () => abort.abort() };
    let admitted: string | undefined;
    const admit = (hello: { name: string }): ReturnType<typeof hooks.admit> => {
      slot.identified();
      const decision = hooks.admit(hello.name, attempt);
      if (decision === 'ok' || decision === 'ok_simultaneous' || decision === 'alive') admitted = hello.name;
      return decision;
    };
    const start = prepareAccept(socket, { ...common, creation, admit, signal: abort });
    return (first) =>
      void start(first).then(
        (hs) => {
          slot.release();
          hooks.accepted(channelOf(hs, options.name, creation), attempt);
        },
        (err: unknown) => {
          slot.release();
          // The handshake already logged why and closed the socket.
          log.debug(`${options.name}: refused a connection from ${from}: ${(err as Error).message}`);
          if (admitted !== undefined) hooks.acceptFailed(admitted, attempt);
        },
      );
  };
  let listener: Listener;
  try {
    const caps = {
      ...(options.maxHandshakes !== undefined ? { maxHandshakes: options.maxHandshakes } : {}),
      ...(options.maxHandshakesPerAddress !== undefined ? { maxHandshakesPerAddress: options.maxHandshakesPerAddress } : {}),
    };
    listener = await listenInRange(options, (port) => listen({ host: options.host ?? '127.0.0.1', port, ...caps, ...tls }, accept));
  } catch (err) {
    await pm.close();
    throw new DistNodeError(`${options.name}: cannot listen: ${(err as Error).message}`, { cause: err });
  }
  try {
    const reg = await pm.register({ name: name.alive, port: listener.port, hidden, extra: options.tls !== undefined ? GROVE_TLS_EPMD_EXTRA : GROVE_EPMD_EXTRA });
    creation = fixedCreation ?? reg.creation;
  } catch (err) {
    await listener.close({ destroyConnections: true });
    await pm.close();
    throw err instanceof EpmdError && err.kind === 'refused'
      ? new DistNodeError(`${options.name}: the name ${name.alive} is already registered on this host`, { cause: err })
      : err;
  }
  // Nodes of other threads of this process reach this one over shared-memory rings (thread_links.ts, ring_stream.ts).
  // Only Grove nodes run in threads of this process: no protocol to tell apart.
  const unregisterThread = registerThreadNode(options.name, (port) => {
    const stream = new RingStream(port) as unknown as Socket;
    track(stream);
    acceptGrove(stream, THREAD_SLOT)();
  });
  const transport: NodeTransport = {
    creation,
    address: { host: listener.host, port: listener.port },
    async dial(peer, self, attempt) {
      const threadPort = await dialThread(peer);
      if (threadPort !== undefined) {
        dropped(peer, attempt.signal);
        const stream = new RingStream(threadPort) as unknown as Socket;
        track(stream);
        const hs = await initiateHandshake(stream, { ...common, hidden: self.hidden ?? hidden, creation: self.creation, peer, onAlive: () => attempt.isPending(), signal: attempt.signal });
        return channelOf(hs, self.name, self.creation);
      }
      const p = parseNodeName(peer);
      const info = await pm.portPlease(p.alive, p.host);
      if (info === undefined) throw new DistNodeError(`${peer} is not registered with the port mapper on ${p.host}`);
      dropped(peer, attempt.signal);
      const beam = isBeamEntry(info.extra);
      const mismatch = beam && options.tls === undefined ? undefined : transportMismatch(peer, info.extra, options.tls !== undefined);
      if (mismatch !== undefined) {
        log.warn(`${self.name}: cannot connect to ${mismatch}`);
        throw new DistNodeError(`cannot connect to ${mismatch}`);
      }
      let socket: Socket;
      try {
        socket = await connect({ host: p.host, port: info.port, timeoutMs, ...tls });
      } catch (err) {
        // A node that is down is not news (Erlang says nothing either); a TLS failure is a misconfiguration.
        if (err instanceof ConnectError && err.tls) log.warn(`${self.name}: cannot connect to ${peer} at ${err.host}:${err.port}: ${err.detail}`);
        throw err;
      }
      track(socket);
      if (beam) return dialErlang(socket, peer, erlangSide(self));
      // The peer has a connection up to us: stale if this attempt is still what our pending connection waits for (we lost or restarted it).
      const hs = await initiateHandshake(socket, { ...common, hidden: self.hidden ?? hidden, creation: self.creation, peer, onAlive: () => attempt.isPending(), signal: attempt.signal });
      return channelOf(hs, self.name, self.creation);
    },
    async close() {
      unregisterThread();
      await listener.close({ destroyConnections: true });
      for (const s of sockets) s.destroy();
      await pm.close();
    },
  };
  return transport;
};
