/**
 * @grove/distribution — Grove nodes over the network: start a named node, and the
 * same `send`, `call` and `cast` reach processes on other nodes; membership and node
 * monitors, spawning on other nodes, cluster-wide names (`global`), and `rpc`.
 *
 * This entry point is the whole public API. The wire-level parts (codecs, framing,
 * the handshake, raw sockets, the embedded port mapper) are on
 * `@grove/distribution/internal`, which is not a stable API.
 *
 * @packageDocumentation
 */

// ---- nodes (node/) ----
export {
  startDistributed,
  DistNode,
  distOf,
  isAlive,
  spawnRemote,
  spawnLinkRemote,
  spawnMonitorRemote,
  monitorNodes,
  nodes,
  remoteChild,
  DEFAULT_NET_TICK_TIME_MS,
  type DistOptions,
  type ConnectionInfo,
  type RemoteChildSpec,
  type RemoteClassChildSpec,
  type RemoteStartArgs,
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
export {
  introspect,
  INTROSPECT,
  INTROSPECT_CALL_TIMEOUT_MS,
  type IntrospectWhat,
  type IntrospectOptions,
  type IntrospectAnswers,
  type IntrospectRequest,
  type ProcessesRequest,
  type ProcessSort,
  type NodeSummary,
  type ConnectionStats,
  type NodeDownEntry,
  type CrashEntry,
  type ProcessRow,
  type ProcessDetail,
  type TreeNode,
  type ApplicationTree,
} from './node/introspect';
export { TRACE_MAX_EVENTS, TRACE_MAX_MS, type TraceRequest, type TraceEvent, type TraceAnswer } from './node/introspect';
export { ServerPool, type ServerPoolOptions, type PoolPick } from './node/pool';
export { startWorkers, WorkerNode, type WorkerNodes, type WorkerNodesOptions, type WorkerInfo, type WorkerNodeSpec } from './node/workers';
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
export type { TlsOptions } from './transport/tcp';

// ---- cookies (handshake/) ----
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

// ---- port mapper lookups (epmd/) ----
export {
  epmdPort,
  portPlease,
  names,
  probe,
  DEFAULT_EPMD_PORT,
  DEFAULT_EPMD_TIMEOUT_MS,
  NODE_TYPE_NORMAL,
  NODE_TYPE_HIDDEN,
  GROVE_EPMD_EXTRA,
  GROVE_TLS_EPMD_EXTRA,
  type EpmdNodeInfo,
  type EpmdAddress,
  type EpmdNames,
} from './epmd/epmd';

// ---- global (global/) ----
export { globalOf, GlobalRegistry, type LockId } from './global/global';
export { GLOBAL_NAME_SERVER, isGlobalName, type GlobalName } from './global/protocol';
export {
  randomExitName,
  randomNotifyName,
  notifyAllName,
  type ResolveFn,
  type GlobalNameConflict,
  type GlobalNameConflictMessage,
} from './global/resolve';

// ---- rpc (rpc/) ----
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

// ---- Erlang terms (erlang/) ----
export {
  Atom,
  atom,
  isAtom,
  Tuple,
  tuple,
  isTuple,
  charlist,
  charlistToString,
  ImproperList,
  Bitstring,
  ErlangFloat,
  float,
  ErlangPort,
  ErlangFun,
  MAX_ATOM_CHARS,
} from './erlang/terms';
export { termToBinary, type EtfEncodeOptions } from './erlang/etf';
export { binaryToTerm } from './erlang/etf_decode';
export type { EtfDecodeOptions } from './erlang/etf_format';
export { compareTerms } from './erlang/term_order';
export { exitReasonToErlang, exitReasonFromErlang } from './erlang/exit_reason';

// ---- errors ----
export {
  GroveDistError,
  BadNodeNameError,
  CookieError,
  EpmdError,
  DecodeError,
  SpawnError,
  DistNodeError,
  RpcError,
  BadRequestError,
  type RpcErrorKind,
} from './errors';
export type { SpawnableOptions } from './node/remote_spawn';
export type { ExposeOptions } from './rpc/rex';
export type { AllowFrom } from './node/allow_from';
export type { DistCaller } from './node/dist_node';
