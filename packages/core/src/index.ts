/**
 * @grove/core — Erlang/OTP's process model for TypeScript: lightweight processes
 * with mailboxes and selective receive, links, monitors, exit signals, registered
 * names, timers, and the GenServer / Supervisor / Application behaviours.
 *
 * @packageDocumentation
 */
// First: a second copy of @grove/core in the program throws here, before anything else loads.
import './instance';
export { Pid, isPid } from './runtime/pid';
export { Ref, isRef } from './runtime/ref';
export { Node, type NodeOptions } from './runtime/node';
export { TIMEOUT, type Timeout, type TimeoutMs, type ProcessBody, type MessageHandler, type SpawnOptions, type ProcessContext } from './runtime/context';
export { ProcessExit } from './runtime/process';
export type { ProcessInfo } from './runtime/process_info';
export { addIntrospection, introspectionSources, type IntrospectionSource } from './runtime/introspection';
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
export { timeCalls, type CallTimingRecorder } from './gen_server/call_timing';
export { ServerRef, isServerRef, type ServerChildSpec } from './gen_server/server_ref';
export { NO_REPLY, IGNORE, ServerAction, type NoReply, type Ignore } from './gen_server/gen_server';
export {
  type Protocol,
  type NamedProtocol,
  type Undeclared,
  type ProtocolOf,
  type Handlers,
  type ReplyOf,
  type CallApi,
  type CastApi,
} from './gen_server/protocol';
export {
  callServer,
  castServer,
  stopServer,
  clientOf,
  type Caller,
  type Client,
  type ClientOptions,
  type GenServerOptions,
  type ChildSpecOptions,
  type StartArgs,
  type StartResult,
} from './gen_server/client';
export { Scheduler, type SchedulerOptions } from './runtime/scheduler';
export { getLogger, setLogLevel, getLogLevel, type LogLevel } from './logger';
export { setLogSink, consoleSink, tslogSink, type Logger, type LogSink, type LogRecord, type LogRecordLevel } from './logger';
export {
  GroveError,
  NoProcError,
  AlreadyRegisteredError,
  BadArgError,
  NotCopyableError,
  ProcessExitedError,
  CallTimeoutError,
  CallExitError,
  CallingSelfError,
  UnknownCallError,
  ChildSpecError,
  SupervisorChildError,
  type SupervisorChildErrorCode,
  ApplicationError,
  type ApplicationErrorCode,
  formatTerm,
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
export type { RestartCounts, ChildRestarts } from './supervisor/protocol';
export { restartCounts } from './supervisor/supervisor';
export {
  Supervisor,
  supervisor,
  startSupervisor,
  startLinkSupervisor,
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
export {
  DynamicSupervisor,
  startDynamicSupervisor,
  startLinkDynamicSupervisor,
  SimpleOneForOneSupervisor,
  startSimpleOneForOne,
  startLinkSimpleOneForOne,
  type DynamicSupervisorInit,
  type DynamicChildSpec,
  type DynamicExtraArgs,
  type SimpleOneForOneInit,
  type SimpleOneForOneChildArgs,
} from './supervisor/dynamic_supervisor';
export { Registry, type RegisterResult } from './registry/registry';
export type { RegistryEntry, RegistryKeys, RegistryOptions, RegistryRegisterEvent, RegistryUnregisterEvent } from './registry/key_table';
export { Agent } from './agent/agent';
export { sys, type SysEvent, type SysStatistics, type SysStatus } from './sys/sys';
export { Task, type TaskResult, type TaskFun, type AsyncStreamOptions } from './task/task';
export { TaskSupervisor, type TaskSupervisorOptions, type TaskCall } from './task/task_supervisor';
export {
  GenStateMachine,
  State,
  type StateDecorator,
  Action,
  Transition,
  type StatemEvent,
  type EventType,
  type RequestOf,
  type StateResult,
  type StatemInitResult,
  type StateFunction,
  type StateFunctions,
  type CallbackMode,
  type StatemClass,
  type ProtocolOfMachine,
} from './gen_statem/gen_statem';
export { type MailboxOptions, type MailboxOverflow, type MailboxOverflowReason } from './runtime/mailbox_bound';
export { MailboxFullError } from './errors';
export { type Backoff } from './supervisor/backoff';
export type { CallHandler, CastHandler, DeclaredSide, DeclaresProtocol } from './gen_server/protocol';
export type { RouteDecorator } from './gen_server/decorators';
export type { ActionKind } from './gen_statem/gen_statem';
export type { ProcessStatus } from './runtime/process';
