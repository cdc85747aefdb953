/**
 * Where the TCP transport (`transport/tcp_transport.ts`) hands a connection to the
 * Erlang side, per connection:
 *
 * - Incoming: {@link peekHello} reads the first bytes; Erlang's handshake starts with
 *   a 2-byte length and `N`, Grove's with a 4-byte length whose first two bytes are 0.
 *   An Erlang peer goes to {@link acceptErlang}, a Grove one back to Grove's handshake
 *   with the bytes read. A Grove-only cluster pays one small buffer per accepted
 *   connection, nothing per message.
 * - Outgoing: the port mapper's entry for the peer says what it is (`Extra`: Grove
 *   nodes register `grove`/`grove tls`, BEAM nodes nothing): a BEAM node is dialled
 *   with {@link dialErlang}.
 *
 * Erlang distribution over TLS (`inet_tls_dist`) is not supported: a node with `tls`
 * speaks only Grove's protocol.
 *
 * @internal
 */
import type { Socket } from 'node:net';
import type { AcceptDecision } from '../handshake/handshake';
import { ErlangChannel, type ErlangChannelOptions } from './dist_channel';
import { acceptErlangHandshake, initiateErlangHandshake, isErlangHello } from './dist_handshake';

export interface ErlangSide {
  /** This node's full name. */
  name: string;
  creation: number;
  cookie: (peer: string) => string;
  hidden: boolean;
  timeoutMs: number;
  maxFrameBytes?: number;
  /** Microseconds of polling after a write (`transport/busy_wait.ts`). */
  busyWaitUs?: number;
}

/**
 * Calls `then` with the first bytes of an incoming connection (at least 3) and whether
 * they are Erlang's, or with undefined when it closed or said nothing within
 * `timeoutMs`. `then` runs inside the socket's `data` event, before any later bytes
 * are read: the handshake it starts takes the socket over from there, so the socket
 * never needs pausing.
 */
export function peekHello(socket: Socket, timeoutMs: number, then: (hello: { first: Buffer; erlang: boolean } | undefined) => void): void {
  let got: Buffer = Buffer.alloc(0);
  const done = (r: { first: Buffer; erlang: boolean } | undefined): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    then(r);
  };
  const onData = (chunk: Buffer): void => {
    got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
    const erlang = isErlangHello(got);
    if (erlang !== undefined) done({ first: got, erlang });
  };
  const onClose = (): void => done(undefined);
  const timer = setTimeout(() => {
    socket.destroy();
    done(undefined);
  }, timeoutMs);
  socket.on('data', onData);
  socket.once('close', onClose);
}

/** Runs Erlang's handshake as acceptor on `socket` (whose first bytes are `first`) and wraps it in a channel. */
export async function acceptErlang(socket: Socket, first: Buffer, side: ErlangSide, admit: (peer: string) => AcceptDecision): Promise<ErlangChannel> {
  const hs = await acceptErlangHandshake(socket, { ...side, admit }, first);
  return new ErlangChannel(hs.socket, hs, channelOptions(side));
}

/** Runs Erlang's handshake as initiator toward `peer` on a connected socket. */
export async function dialErlang(socket: Socket, peer: string, side: ErlangSide): Promise<ErlangChannel> {
  const hs = await initiateErlangHandshake(socket, { ...side, peer });
  return new ErlangChannel(hs.socket, hs, channelOptions(side));
}

function channelOptions(side: ErlangSide): ErlangChannelOptions {
  return {
    localName: side.name,
    localCreation: side.creation,
    ...(side.maxFrameBytes !== undefined ? { maxFrameBytes: side.maxFrameBytes } : {}),
    ...(side.busyWaitUs !== undefined ? { busyWaitUs: side.busyWaitUs } : {}),
  };
}
