/**
 * The node-to-node handshake, run on a fresh socket before anything else; modelled on
 * Erlang's distribution handshake (`dist_util.erl`, "Distribution Handshake" in the
 * ERTS user's guide). A is the initiator, B the acceptor:
 *
 * 1. A → B `Name`: A's full name, protocol versions (min..max), feature flags,
 *    creation, hidden.
 * 2. B checks the name (valid, not B's own, same short/long kind as B's) and the
 *    versions, then asks its connection manager (`admit`). B → A `Status`:
 *    - `OK` / `OK_SIMULTANEOUS` (B drops its own attempt to reach A): go on;
 *    - `NOK`: B's own attempt to reach A wins the simultaneous connect; A stops;
 *    - `ALIVE`: B has a live connection to A's name. A answers `AliveAnswer`
 *      (`proceed` true when A has no connection to B, i.e. A restarted): true goes on
 *      and the result says `replaced`; false stops (name clash);
 *    - `NOT_ALLOWED`, `VERSION`: refused, with a reason.
 * 3. B → A `Challenge`: B's name, the chosen version, flags, creation, hidden, and
 *    32 random bytes ChB. A checks B is the node it meant to reach.
 * 4. A → B `ChallengeReply`: 32 random bytes ChA and
 *    DiA = HMAC-SHA256(A's cookie for B, "grove-handshake-v1 initiator" ‖ A ‖ B ‖ ChB ‖ ChA).
 * 5. B checks DiA with its cookie for A; on a match, B → A `ChallengeAck`:
 *    DiB = HMAC-SHA256(B's cookie for A, "grove-handshake-v1 acceptor" ‖ A ‖ B ‖ ChA ‖ ChB).
 *    B is up.
 * 6. A checks DiB; A is up. Both sides proved they know the cookie; it never
 *    crossed the wire.
 *
 * On a TLS socket each side also checks the certificate the other presented: it must
 * be issued to the name the peer claims and cover that name's host
 * (`tls_identity.ts`). The initiator checks before it sends `Name` when it knows whom
 * it dialled (else on `Challenge`), the acceptor on `Name`; the side that refuses
 * sends a `Status` `CERTIFICATE` saying why (the initiator in place of its next
 * message), so both log the same cause.
 *
 * Every failure refuses the connection: the socket is closed (after a `Status` that
 * says why, where there is one), the reason is logged once here (`dist` logger, with
 * the peer's name and address), and
 * the promise rejects with a `HandshakeError` whose `reason` the caller can switch
 * on. Nothing else happens: no frame reaches the connection before the handshake
 * succeeded. Bytes that arrive while their sender must still be waiting for us
 * (after `Name`, after `AliveAnswer`, after `ChallengeReply`) are an `early_frame`.
 *
 * Deliberate differences from Erlang:
 * - Messages are protobuf (`messages.ts`), framed with the same 4-byte
 *   length as the connection (Erlang uses 2-byte lengths during the handshake).
 * - HMAC-SHA256 over both challenges and both names, with a role label, instead of
 *   MD5(cookie ‖ challenge): a digest cannot be replayed in the other direction or
 *   for another pair of nodes. Challenges are 32 bytes, not 32 bits.
 * - An explicit protocol version range and a `VERSION` status, instead of flags
 *   that imply versions.
 * - No dynamic node names (`DFLAG_NAME_ME`, `named:`) and no old-format complement.
 * - A's `AliveAnswer` is an explicit message rather than a second status.
 * - Per-peer cookies (Erlang's `set_cookie/2`) are a `cookie` function.
 */
import type * as net from 'node:net';
import type { AbortLike } from '../transport/transport';
import type { FrameDecoder } from '../wire/framing';
import { Acceptor, Initiator } from './session';
import type { TlsIdentityMode } from './tls_identity';

export type { TlsIdentityMode } from './tls_identity';

export { HANDSHAKE_VERSION, DEFAULT_HANDSHAKE_TIMEOUT_MS, HANDSHAKE_MAX_FRAME_BYTES } from './messages';

/** Different cookies for the two directions, as Erlang's in/out cookies. */
export interface CookiePair {
  /** What the peer must prove it knows. */
  in: string;
  /** What this node proves it knows. */
  out: string;
}

/** The cookie, or a function giving the cookie (or pair) for a peer's name. */
export type CookieSpec = string | ((peer: string) => string | CookiePair);

export interface HandshakeOptions {
  /** This node's full name. */
  name: string;
  /** This node's creation (incarnation). */
  creation: number;
  cookie: CookieSpec;
  /** A hidden node. Default false. */
  hidden?: boolean;
  /** Feature flags this node supports (u32); the result holds the ones both support. */
  flags?: number;
  /** Default `DEFAULT_HANDSHAKE_TIMEOUT_MS` (7000). */
  timeoutMs?: number;
  /** Largest frame of the connection after the handshake (set on the returned decoder). Default 1 MiB. */
  maxFrameBytes?: number;
  /** Microseconds of polling after each handshake message (`transport/busy_wait.ts`). Default 0. */
  busyWaitUs?: number;
  /** Protocol versions spoken. Default `HANDSHAKE_VERSION`..`HANDSHAKE_VERSION` (1..1). */
  versions?: { min: number; max: number };
  /**
   * On a TLS socket, what the peer's certificate must prove (`tls_identity.ts`):
   * `node` (default) that it is issued to the node name the peer claims (subject CN)
   * and covers that name's host (subjectAltName), besides chaining to a trusted CA and
   * being valid now; `host` (unsafe) skips the node name; `none` checks nothing beyond
   * what the TLS layer itself refused. The side that refuses a certificate tells the
   * other why (`Status` `CERTIFICATE`), and both fail with `bad_certificate`.
   */
  tlsIdentity?: TlsIdentityMode;
  /**
   * Aborts the handshake: the socket is destroyed and the promise rejects with
   * `simultaneous` (the connection manager dropped this attempt for another one to the
   * same peer, as OTP's net kernel kills the loser of a simultaneous connect).
   */
  signal?: AbortLike;
}

/** What an acceptor knows of the initiator when it asks `admit`. */
export interface PeerHello {
  name: string;
  creation: number;
  hidden: boolean;
  flags: number;
}

/**
 * The connection manager's answer to an incoming connection:
 * `ok`; `ok_simultaneous` (it drops its own pending attempt to that node); `nok` (its
 * own pending attempt wins: see {@link simultaneousConnectStatus}); `alive` (a
 * connection to that name is up: the initiator says whether it replaces it);
 * `not_allowed` or `{ refuse: reason }`.
 */
export type AcceptDecision = 'ok' | 'ok_simultaneous' | 'nok' | 'alive' | 'not_allowed' | { refuse: string };

export interface InitiateOptions extends HandshakeOptions {
  /** The node we mean to reach; a different name in its challenge is `wrong_node`. */
  peer?: string;
  /**
   * The acceptor has a live connection to our name: proceed (replacing it)? Default: no.
   * OTP answers with `is_pending`: yes when this attempt is still the one this node's
   * pending connection to the peer waits for (so the peer's connection is stale).
   */
  onAlive?: (peer: string | undefined) => boolean;
}

export interface AcceptOptions extends HandshakeOptions {
  /** Asked once the initiator's name is known. Default: `ok`. */
  admit?: (peer: PeerHello) => AcceptDecision;
}

/** A connection that passed the handshake. */
export interface HandshakeResult {
  side: 'initiator' | 'acceptor';
  socket: net.Socket;
  /**
   * The socket's frame decoder: paused, set to the connection's maximum frame size,
   * still fed by the socket (it holds whatever arrives, from right behind the
   * handshake on, until resumed). Set `onFrame`, then `resume()`. `readFrames(socket,
   * decoder)` on it is a no-op; an oversized frame found on `resume()` destroys the
   * socket.
   */
  decoder: FrameDecoder;
  peer: string;
  peerCreation: number;
  peerHidden: boolean;
  peerFlags: number;
  /** Flags both nodes support. */
  flags: number;
  /** Protocol version in use. */
  version: number;
  /** The acceptor answered `ok_simultaneous`: it dropped its own attempt. */
  simultaneous: boolean;
  /** Went through `alive` + proceed: the older connection to this peer must be dropped. */
  replaced: boolean;
}

/**
 * Erlang's tie-break for a simultaneous connect, seen from the acceptor: the attempt
 * of the node with the greater name survives. `ok_simultaneous` when the initiator's
 * name is greater (the acceptor drops its own attempt), else `nok`.
 */
export function simultaneousConnectStatus(localName: string, peerName: string): 'ok_simultaneous' | 'nok' {
  return peerName > localName ? 'ok_simultaneous' : 'nok';
}

/** Runs the initiator's side on a freshly connected socket. */
export function initiateHandshake(socket: net.Socket, options: InitiateOptions): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => new Initiator(socket, options, resolve, reject).start());
}

/** Runs the acceptor's side on a freshly accepted socket. */
export function acceptHandshake(socket: net.Socket, options: AcceptOptions): Promise<HandshakeResult> {
  return prepareAccept(socket, options)();
}

/**
 * The acceptor's side, set up but not started: nothing listens to the socket until the
 * returned function is called, with the bytes already read from it (to tell the
 * protocol apart), if any, which are handled first. Set up while the peer prepares its
 * first message, it is ready when that message comes. @internal
 */
export function prepareAccept(socket: net.Socket, options: AcceptOptions): (first?: Buffer) => Promise<HandshakeResult> {
  let acceptor: Acceptor;
  const result = new Promise<HandshakeResult>((resolve, reject) => (acceptor = new Acceptor(socket, options, resolve, reject)));
  return (first) => {
    acceptor.start(first);
    return result;
  };
}

