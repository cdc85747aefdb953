/**
 * Every error @grove/distribution raises. Each has a `code` literal to switch on and a
 * message that says what happened, where, with which value. Errors shared with the
 * runtime (a message that cannot be copied: `NotCopyableError`) come from
 * @grove/core.
 */
import { formatTerm, GroveError } from '@grove/core';

/**
 * Bytes from a peer could not be decoded: a truncated buffer, an unknown tag, a
 * length larger than the bytes left, invalid UTF-8, nesting deeper than allowed, an
 * unknown registered-class name. The transport closes the connection that sent them.
 */
export class DecodeError extends GroveError {
  readonly code = 'decode' as const;
  constructor(
    /** What was wrong. */
    readonly detail: string,
    /** Byte offset in the buffer being decoded where the problem was found. */
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`cannot decode wire data at byte ${offset}: ${detail}`, options);
  }
}

/** Base class of the distribution layer's connection errors (names, cookies, port mapper, framing, handshake). */
export abstract class GroveDistError extends GroveError {}

/** A node name that is not `alive@host` (or not of the kind asked for). */
export class BadNodeNameError extends GroveDistError {
  readonly code = 'bad_node_name' as const;
  constructor(readonly nodeName: unknown, readonly detail: string) {
    super(`bad node name ${JSON.stringify(nodeName)}: ${detail}`);
  }
}

/** The cookie could not be resolved: a bad cookie file, an empty cookie, an unsafe mode. */
export class CookieError extends GroveDistError {
  readonly code = 'cookie' as const;
  constructor(message: string, readonly path?: string) {
    super(message);
  }
}

/**
 * A port-mapper (EPMD) request failed: nothing answers, the answer is malformed, or
 * the request was refused (a name already registered).
 */
export class EpmdError extends GroveDistError {
  readonly code = 'epmd' as const;
  constructor(
    message: string,
    /** `unreachable`, `refused` (registration refused), `protocol` (bad answer) or `closed`. */
    readonly kind: 'unreachable' | 'refused' | 'protocol' | 'closed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A frame's length prefix is over the connection's maximum frame size. */
export class FrameTooLargeError extends GroveDistError {
  readonly code = 'frame_too_large' as const;
  constructor(readonly length: number, readonly maxFrameBytes: number) {
    super(`frame of ${length} bytes is over the maximum frame size of ${maxFrameBytes} bytes`);
  }
}

/**
 * A peer sent a message (in fragments) larger than this node's `maxMessageBytes`: the
 * connection is closed (`message_too_large`) before more memory is spent on it.
 */
export class MessageTooLargeError extends GroveDistError {
  readonly code = 'message_too_large' as const;
  constructor(readonly length: number, readonly maxMessageBytes: number) {
    super(`a message of ${length} bytes is over the maximum message size of ${maxMessageBytes} bytes`);
  }
}

/** Why a handshake failed; see `HandshakeError`. */
export type HandshakeFailure =
  /** The peer's digest did not match: the cookies differ (or the peer is an impostor). */
  | 'bad_cookie'
  /** No protocol version in common. */
  | 'version'
  /** A node with that name is already connected (the connection manager refused it). */
  | 'name_clash'
  /** Simultaneous connect: this attempt lost the tie-break, the other connection survives. */
  | 'simultaneous'
  /** The acceptor refused the connection for another reason (`not_allowed`). */
  | 'not_allowed'
  /**
   * A TLS certificate was refused, by this side or by the peer: not signed by a
   * trusted CA, expired, missing, or not issued for the node's name and host.
   */
  | 'bad_certificate'
  /** The peer is not the node we meant to reach (a stale port-mapper entry). */
  | 'wrong_node'
  /** A frame that is not a well-formed handshake message, or not the one expected now. */
  | 'garbage'
  /** A frame arrived before the handshake ended. */
  | 'early_frame'
  /** The handshake did not finish in time. */
  | 'timeout'
  /** The socket closed or failed during the handshake. */
  | 'closed';

/** The node-to-node handshake was refused; the socket is already destroyed. */
export class HandshakeError extends GroveDistError {
  readonly code = 'handshake' as const;
  constructor(
    readonly reason: HandshakeFailure,
    message: string,
    /** The peer's node name when it was known. */
    readonly peer?: string,
    /** The peer's address, `host:port`. */
    readonly address?: string,
  ) {
    super(message);
  }
}

/** A connection to another node's listener could not be opened (refused, timed out, TLS failed). */
export class ConnectError extends GroveDistError {
  readonly code = 'connect' as const;
  /** True when TCP connected and TLS failed (the detail says why). */
  readonly tls: boolean;
  constructor(readonly host: string, readonly port: number, readonly detail: string, options?: { cause?: unknown; tls?: boolean }) {
    super(`cannot connect to ${host}:${port}: ${detail}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.tls = options?.tls === true;
  }
}

/**
 * A remote spawn failed: `reason` is `unknown_spawnable` (the node has no spawnable
 * by that name), `start_failed` (a GenServer's init failed; `detail` is its reason),
 * `ignore` (init ignored), `spawn_failed`, or `noconnection` (the node could not be
 * reached or was lost before it answered).
 */
export class SpawnError extends GroveDistError {
  readonly code = 'spawn' as const;
  constructor(readonly node: string, readonly spawnable: string, readonly reason: string, readonly detail: unknown) {
    super(`spawn of ${JSON.stringify(spawnable)} on ${node} failed: ${reason}${detail !== undefined && detail !== null ? ` (${formatTerm(detail)})` : ''}`);
  }
}

/** A distributed node could not start, or an operation needs a node that is distributed. */
export class DistNodeError extends GroveDistError {
  readonly code = 'dist_node' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Why an rpc failed: the function `throw`s (`reason` is what it threw), its process
 * `exit`ed (`reason` is the exit reason), no answer came within the `timeout`, the node
 * could not be reached or was lost (`noconnection`), or the node does not expose that
 * module and function (`undef`; `reason` says what is exposed).
 */
export type RpcErrorKind = 'throw' | 'exit' | 'timeout' | 'noconnection' | 'undef';

/** An rpc failed; `kind` says how (see {@link RpcErrorKind}). */
export class RpcError extends GroveError {
  readonly code = 'rpc' as const;
  constructor(
    readonly kind: RpcErrorKind,
    /** The node called. */
    readonly node: string,
    readonly module: string,
    readonly fn: string,
    /** What was thrown, the exit reason, the timeout in ms, or the explanation. */
    readonly reason: unknown,
  ) {
    super(`rpc ${module}.${fn} on ${node}: ${rpcWhat(kind, reason)}`);
  }
}

function rpcWhat(kind: RpcErrorKind, reason: unknown): string {
  switch (kind) {
    case 'throw':
      return `the function threw ${formatTerm(reason)}`;
    case 'exit':
      return `the function's process exited with ${formatTerm(reason)}`;
    case 'timeout':
      return `no answer within ${String(reason)} ms`;
    case 'noconnection':
      return `the node cannot be reached (${formatTerm(reason)})`;
    case 'undef':
      return `not exposed: ${formatTerm(reason)}`;
  }
}

/**
 * A system process of a node (`net_kernel`, `global_name_server`, `rex`) refused a
 * call whose request is not of the shape its protocol says: a bug in a peer, or a
 * hostile one. Only a caller that bypasses the API gets it; the server goes on.
 */
export class BadRequestError extends GroveError {
  readonly code = 'bad_request' as const;
  constructor(
    /** The registered name of the server that refused. */
    readonly server: string,
    /** The node it runs on. */
    readonly node: string,
    /** What was wrong with the request. */
    readonly detail: string,
  ) {
    super(`${server} on ${node} refused a malformed request: ${detail}`);
  }
}

/** Bytes that are not a well-formed handshake message (`decodeHandshake`); the handshake refuses the peer with reason `garbage`. */
export class HandshakeGarbageError extends GroveDistError {
  readonly code = 'handshake_garbage' as const;
}
