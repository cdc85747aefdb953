/**
 * @grove/distribution/internal — the wire-level parts of distribution: the term and
 * control codecs, framing, the handshake, raw sockets, port-mapper registration and
 * the embedded port mapper.
 *
 * **Not a stable API.** Anything here may change in any release, without notice.
 * It is for tests, tools, benchmarks and the Erlang bridge to come; a program that
 * uses distribution needs only `@grove/distribution`.
 *
 * @packageDocumentation
 */
export {
  FrameTooLargeError,
  HandshakeError,
  HandshakeGarbageError,
  ConnectError,
  type HandshakeFailure,
} from './errors';

// ---- wire: terms ----
export { encodeTerm, TermEncoder } from './wire/term';
export { decodeTerm, TermDecoder, type DecodeContext } from './wire/term_decode';
export { type TermCodecOptions, DEFAULT_MAX_DEPTH } from './wire/term_format';
export { ATOM_CACHE_SIZE, MAX_ATOM_BYTES } from './wire/atom_cache';
export { WireWriter, WireReader, DEFAULT_MAX_BYTES } from './wire/wire';
export { messageCopier, type CopierNode } from './wire/message_copier';

// ---- Erlang's external term format (erlang/) ----
export { writeTerm } from './erlang/etf';
export { EtfDecoder, atomValue } from './erlang/etf_decode';
export { E as EtfTag, VERSION as ETF_VERSION, ERROR_STRUCT } from './erlang/etf_format';

// ---- wire: control messages ----
export { controlSchema, controlSchemaJson, type ControlMessage, type ControlType, type ControlMessageOf } from './wire/control_message';
export { ControlEncoder, type ControlCodecOptions } from './wire/control';
export { ControlDecoder, type ControlFastPath } from './wire/control_decode';

// ---- transport: busy waiting after writes ----
export { ANSWER_WINDOW_MS, busyWaitStats } from './transport/busy_wait';

// ---- wire: frames ----
export {
  FrameDecoder,
  encodeFrame,
  readFrames,
  FRAME_HEADER_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  type FrameHandler,
  type FrameDecoderOptions,
} from './wire/framing';
export {
  FrameWriter,
  DEFAULT_WRITE_HIGH_WATER_BYTES,
  type FrameSink,
  type FlushMode,
  type FrameWriterOptions,
} from './wire/frame_writer';

// ---- the net kernel's limits ----
export { MESH_DIALS_PER_LIST, MESH_DIALS_PER_PERIOD, MESH_PERIOD_MS } from './node/net_kernel';

// ---- the handshake ----
export {
  initiateHandshake,
  acceptHandshake,
  simultaneousConnectStatus,
  HANDSHAKE_VERSION,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  HANDSHAKE_MAX_FRAME_BYTES,
  type CookiePair,
  type CookieSpec,
  type HandshakeOptions,
  type InitiateOptions,
  type AcceptOptions,
  type AcceptDecision,
  type PeerHello,
  type HandshakeResult,
  type TlsIdentityMode,
} from './handshake/handshake';
export {
  handshakeSchemaJson,
  handshakeDigest,
  encodeHandshake,
  decodeHandshake,
  StatusCode as HandshakeStatus,
  type HandshakeMsg,
} from './handshake/messages';

// ---- sockets ----
export {
  listen,
  connect,
  DEFAULT_LISTEN_HOST,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type ListenOptions,
  type Listener,
  type ConnectOptions,
  type SocketTlsOptions,
} from './transport/tcp';

// ---- the port mapper: registration and the embedded server ----
export { register, encodeNodeInfo, EpmdRegistration, type RegisterRequest } from './epmd/epmd';
export { EpmdServer, type EpmdServerOptions } from './epmd/server';
export {
  PortMapper,
  NodeRegistration,
  ensurePortMapper,
  type PortMapperOptions,
  type RegistrationWatch,
} from './epmd/port_mapper';

// ---- large messages: fragments, slices, the decoding budget ----
export { FragmentQueue, Reassembly, fragmentFrame, FRAGMENT_KEY, DEFAULT_MAX_MESSAGE_BYTES } from './wire/fragment';
export { SlicedDecode } from './wire/term_slices';
export { decodeBudget, DECODE_BUDGET_PER_BYTE, DECODE_BUDGET_BASE } from './wire/term_format';
export { OutAtomCache, InAtomCache } from './wire/atom_cache';
export { MessageTooLargeError } from './errors';
export { DEFAULT_DIST_BUF_BUSY_LIMIT, DEFAULT_MAX_SEND_QUEUE_BYTES } from './transport/busy_port';

// ---- Erlang's distribution protocol (erlang/) ----
export { acceptErlangHandshake, initiateErlangHandshake, erlangDigest, isErlangHello, type ErlangHandshakeResult } from './erlang/dist_handshake';
export { DFLAG, GROVE_FLAGS, MANDATORY_FLAGS } from './erlang/dist_flags';
export { RingStream, DEFAULT_RING_BYTES, type RingStreamOptions } from './transport/ring_stream';
