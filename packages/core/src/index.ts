/**
 * @grove/core — Erlang/OTP's process model for TypeScript: lightweight processes
 * with mailboxes and selective receive, links, monitors, exit signals, registered
 * names, timers, and the GenServer / Supervisor / Application behaviours.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export { Pid, isPid } from './runtime/pid';
export { Ref, isRef } from './runtime/ref';
export { Node, type NodeOptions } from './runtime/node';
export { TIMEOUT, type Timeout, type TimeoutMs, type ProcessBody, type MessageHandler, type SpawnOptions, type ProcessContext } from './runtime/context';
export { ProcessExit } from './runtime/process';
export type { ProcessInfo } from './runtime/process_info';
export {
  type ExitReason,
  type ShutdownWith,
  type NoCatch,
  type ExitMessage,
  type DownMessage,
  isCleanExit,
  isShutdownWith,
  isExitMessage,
  isDownMessage,
} from './runtime/exit';
export { type Dest, type ViaRegistry, type ViaName, isRemoteName, isViaName } from './runtime/registry';
export { attachRouter, membershipOf, type RemoteRouter, type RemoteName, type NodeInbound, type Membership } from './runtime/remote';
export { type Clock, systemClock, ManualClock } from './runtime/clock';
export { registerClass, checkTerm, classCodecOf, classCodecNamed, MAX_TERM_DEPTH, type ClassCodec } from './runtime/term';
export { termKey, type TermKeyPolicy } from './runtime/term_key';
export { GenCall, GenCast, ErrorReply, type From, call, cast, reply, DEFAULT_CALL_TIMEOUT_MS } from './gen';
export { start, StartError, isAlreadyStarted, type InitOutcome, type StartOptions } from './proc_lib';
export { GenServer, type ServerClass, type InitResult } from './gen_server/gen_server';
export { Call, Cast, Info } from './gen_server/decorators';
export { NO_REPLY, IGNORE, ServerAction, type NoReply, type Ignore } from './gen_server/gen_server';
export {
  callServer,
  castServer,
  stopServer,
  clientOf,
  type Caller,
  type Client,
  type ClientOptions,
  type CallApi,
  type CastApi,
  type Protocol,
  type ProtocolOf,
  type InferredProtocol,
  type Inferred,
  type Handlers,
  type ReplyOf,
  type GenServerOptions,
  type ChildSpecOptions,
  type StartArgs,
  type StartResult,
} from './gen_server/client';
export { Scheduler, type SchedulerOptions } from './runtime/scheduler';
export { getLogger, setLogLevel, getLogLevel, type LogLevel } from './logger';
export {
  GroveError,
  NoProcError,
  AlreadyRegisteredError,
  BadArgError,
  NotCopyableError,
  ProcessExitedError,
  CallTimeoutError,
  CallExitError,
  UnknownCallError,
  ChildSpecError,
  SupervisorChildError,
  type SupervisorChildErrorCode,
  ApplicationError,
  type ApplicationErrorCode,
  describe,
} from './errors';
export {
  type ChildSpec,
  type ChildStart,
  type RestartType,
  type Shutdown,
  type ChildType,
  type AutoShutdown,
  type ChildTemplate,
  DEFAULT_WORKER_SHUTDOWN_MS,
} from './supervisor/child_spec';
export { RestartIntensity } from './supervisor/strategy';
export {
  type Strategy,
  type StrategyChild,
  type StrategyEvent,
  type StrategyAction,
  type ShutdownCause,
  planRestart,
  mustRestart,
} from './supervisor/strategy';
export type { SupervisorFlags } from './supervisor/child_spec';
export type { ChildInfo, ChildCounts } from './supervisor/protocol';
export {
  Supervisor,
  supervisor,
  startSupervisor,
  startChild,
  terminateChild,
  restartChild,
  deleteChild,
  whichChildren,
  countChildren,
  stopSupervisor,
  type StartFrom,
  type SupervisorOptions,
  type SupervisorInit,
  type SupervisorChildOptions,
  type SupervisorArgs,
  type SupervisorStartArgs,
} from './supervisor/supervisor';
export {
  Application,
  startApplication,
  stopApplication,
  stopApplications,
  whichApplications,
  getEnv,
  onNodeStop,
  type ApplicationType,
  type ApplicationEnv,
  type ApplicationArgs,
  type ApplicationClass,
  type StartApplicationOptions,
  type ApplicationInfo,
  type NodeStopInfo,
} from './application/application';
export { DynamicSupervisor, startDynamicSupervisor, type DynamicSupervisorInit, type DynamicChildArgs } from './supervisor/dynamic_supervisor';
