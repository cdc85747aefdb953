export {};
export {
  GroveDistError,
  BadNodeNameError,
  CookieError,
  EpmdError,
  FrameTooLargeError,
  HandshakeError,
  HandshakeGarbageError,
  ConnectError,
  type HandshakeFailure,
} from './errors';
export {
  parseNodeName,
  isNodeName,
  nodeNameKind,
  makeNodeName,
  localHostName,
  aliveOf,
  hostOf,
  MAX_NODE_NAME_BYTES,
  type NodeName,
  type NodeNameKind,
} from './node/node_name';
export {
  resolveCookie,
  resolveCookieWithSource,
  cookieFilePath,
  randomCookie,
  readCookieFile,
  createCookieFile,
  COOKIE_FILE_NAME,
  COOKIE_ENV,
  MAX_COOKIE_BYTES,
  type CookieOptions,
  type CookieSource,
} from './handshake/cookie';
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
export {
  listen,
  connect,
  DEFAULT_LISTEN_HOST,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type TlsOptions,
  type ListenOptions,
  type Listener,
  type ConnectOptions,
} from './transport/tcp';
export { DecodeError } from './errors';
export { encodeTerm, TermEncoder } from './wire/term';
export { type TermCodecOptions, DEFAULT_MAX_DEPTH } from './wire/term_format';
export { decodeTerm, TermDecoder, type DecodeContext } from './wire/term_decode';
export { messageCopier, type CopierNode } from './wire/message_copier';
export { ControlEncoder, type ControlCodecOptions } from './wire/control';
export type { ControlMessage, ControlType, ControlMessageOf } from './wire/control_message';
export { ControlDecoder, type ControlFastPath } from './wire/control_decode';
export { controlSchema, controlSchemaJson } from './wire/control_message';
export { WireWriter, WireReader, DEFAULT_MAX_BYTES } from './wire/wire';
export { ATOM_CACHE_SIZE, MAX_ATOM_BYTES } from './wire/atom_cache';
export {
  epmdPort,
  portPlease,
  names,
  probe,
  register,
  EpmdRegistration,
  DEFAULT_EPMD_PORT,
  DEFAULT_EPMD_TIMEOUT_MS,
  NODE_TYPE_NORMAL,
  NODE_TYPE_HIDDEN,
  GROVE_EPMD_EXTRA,
  type EpmdNodeInfo,
  type EpmdAddress,
  type EpmdNames,
  type RegisterRequest,
} from './epmd/epmd';
export { EpmdServer, type EpmdServerOptions } from './epmd/server';
export {
  PortMapper,
  NodeRegistration,
  ensurePortMapper,
  type PortMapperOptions,
  type RegistrationWatch,
} from './epmd/port_mapper';
export { SpawnError, DistNodeError } from './errors';
export {
  startDistributed,
  DistNode,
  distOf,
  spawnRemote,
  spawnLinkRemote,
  spawnMonitorRemote,
  monitorNodes,
  nodes,
  DEFAULT_NET_TICK_TIME_MS,
  type DistOptions,
} from './node/dist_node';
export {
  NET_KERNEL,
  isNodeMessage,
  type NodeType,
  type NodeUpMessage,
  type NodeDownMessage,
  type MonitorNodesOptions,
} from './node/net_kernel';
export type { Spawnable, SpawnFunction, SpawnStarter } from './node/remote_spawn';
export { remoteChild, type RemoteChildSpec } from './node/dist_node';
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
} from './handshake/handshake';
export {
  handshakeSchemaJson,
  handshakeDigest,
  encodeHandshake,
  decodeHandshake,
  StatusCode as HandshakeStatus,
  type HandshakeMsg,
} from './handshake/messages';
export { globalOf, GlobalRegistry, type LockId } from './global/global';
export { GLOBAL_NAME_SERVER } from './global/protocol';
export { isGlobalName, type GlobalName } from './global/protocol';
export { termKey, type TermKeyPolicy } from './wire/term_key';
export {
  randomExitName,
  randomNotifyName,
  notifyAllName,
  type ResolveFn,
  type GlobalNameConflict,
  type GlobalNameConflictMessage,
} from './global/resolve';
export { RpcError, type RpcErrorKind } from './errors';
export {
  rpc,
  erpc,
  rpcCall,
  rpcCast,
  multicall,
  asyncCall,
  rpcYield,
  nbYield,
  moduleOf,
  expose,
  unexpose,
  exposed,
  RpcKey,
  type RpcCaller,
  type MulticallResult,
  type RpcSettled,
  type RpcModule,
} from './rpc/rpc';
export { REX, type ExposedFunction, type ExposedModule } from './rpc/rex';
export { multiCall, abcast, type MultiCaller, type MultiCallResult } from './rpc/gen_server_multi';
