/**
 * How a GenServer starts (OTP `gen_server:init_it`): the one start path of every
 * server, core's own supervisors included. `startServer` checks the class and the
 * options, then hands proc_lib's start handshake an `init` that constructs the
 * instance in the new process and runs its `init(args)`, and the engine's
 * dispatch as the message handler.
 *
 * A class may declare a {@link ServerKind}: what introspection calls its processes
 * and how it words what no handler takes. Every server's parent, whose exit signal
 * ends it through terminate, is as OTP's: the starter for `startLink`, the server
 * itself for `start` (so a starter's EXIT is an info like any other), unless
 * `start` is given the `parent` that links to it (a remote supervisor).
 */
import { BadArgError, formatTerm } from '../errors';
import type { From } from '../gen';
import { getLogger, logEnabled } from '../logger';
import { launch, Starting, type InitOutcome } from '../proc_lib';
import type { ProcessContext } from '../runtime/context';
import { Pid } from '../runtime/pid';
import { isCleanExit, type ExitReason } from '../runtime/exit';
import type { Process } from '../runtime/process';
import { callerOf, type Caller, type GenServerOptions } from './client';
import { callTimerOf } from './call_timing';
import { dispatchTable, type DispatchTable } from './decorators';
import { afterInit, dispatch, isThenable, scheduleContinue, ServerState } from './engine';
import { GenServer, IGNORE, ServerAction, type ServerClass } from './gen_server';
import { crashReport, reasonOf } from './terminate';

const log = getLogger('gen_server');

/** What arrived that no handler takes. @internal */
export type UnexpectedKind = 'call' | 'cast' | 'info';

/**
 * Logs a message no handler takes (`from` is the caller of a call). GenServer's
 * own words by default; core's supervisors bring theirs. @internal
 */
export type UnexpectedLog = (server: GenServer<any>, kind: UnexpectedKind, msg: unknown, from: From | null) => void;

/** GenServer's words: the `gen_server` logger, at warn. */
const warnUnexpected: UnexpectedLog = (s, kind, msg, from) => {
  if (!logEnabled('warn')) return;
  const server = s.self.toString();
  const module = s.constructor.name;
  if (kind === 'call') log.warn('GenServer got a call no handler takes', { server, module, request: msg, from: from!.pid.toString() });
  else if (kind === 'cast') log.warn('GenServer got a cast no handler takes', { server, module, request: msg });
  else log.warn('GenServer got an unexpected message', { server, module, msg });
};

/**
 * @internal what sets core's own servers (the supervisors) apart from a user's
 * GenServer: what introspection calls them, and their words for what no handler
 * takes. A class declares it as `static [kKind]`.
 */
export interface ServerKind {
  readonly label: string;
  readonly unexpected: UnexpectedLog;
}

/** @internal the static key of a class's {@link ServerKind}. */
export const kKind: unique symbol = Symbol('grove.gen_server.kind');

/** A user's server. */
const GEN_SERVER: ServerKind = { label: 'gen_server', unexpected: warnUnexpected };

/** @internal the kind of server class `cls` (GenServer's unless it declares one). */
export function kindOf(cls: Function): ServerKind {
  return (cls as { readonly [kKind]?: ServerKind })[kKind] ?? GEN_SERVER;
}

/**
 * @internal the key of the promise-free start that a child spec's `start` function
 * may carry (`Cls.childSpec` sets it): a supervisor restarts the child with it, and
 * hears how the start went through `resolve` (the pid or `'ignore'`) or `reject`,
 * as from proc_lib's `launch`. A spec whose `start` was replaced has none.
 */
export const kQuickStart: unique symbol = Symbol('grove.child_spec.quick_start');

/** @internal a child spec's `start` carrying its promise-free twin. */
export type QuickStart = ((parent: ProcessContext) => unknown) & {
  [kQuickStart]?: (parent: Process, resolve: (outcome: unknown) => void, reject: (error: unknown) => void) => void;
};

/** Set just around `new Cls()` inside the new process, so the base constructor can pick it up. */
let constructing: ServerState | null = null;

/** @internal the state of the server being constructed: GenServer's constructor takes it, once. */
export function takeConstructing(): ServerState | null {
  const c = constructing;
  constructing = null;
  return c;
}

/** @internal starts `cls` from `from` (linked when `link`): the one start path of every GenServer, core's own included. */
export function startServer(cls: ServerClass<GenServer<any>>, from: Caller, args: unknown, options: GenServerOptions | undefined, link: boolean): Promise<any> {
  return new Promise((resolve, reject) => launchServer(cls, from, args, options, link, resolve, reject));
}

/**
 * @internal {@link startServer} without a promise (proc_lib's `launch`): the pid or
 * `'ignore'` goes to `resolve`, the error to `reject`, exactly once (perhaps before
 * it returns). A supervisor restarts a GenServer child this way.
 */
export function launchServer(
  cls: ServerClass<GenServer<any>>,
  from: Caller,
  args: unknown,
  options: GenServerOptions | undefined,
  link: boolean,
  resolve: (outcome: unknown) => void,
  reject: (error: unknown) => void,
): void {
  if (typeof cls !== 'function' || !(cls.prototype instanceof GenServer)) {
    reject(new BadArgError(`start: ${String(cls)} is not a GenServer class`, cls));
    return;
  }
  let starter: Process;
  let table: DispatchTable;
  try {
    starter = callerOf(from, 'start', cls);
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new BadArgError(`start: options must be an object, got ${String(options)}`, options);
    }
    table = dispatchTable(cls);
  } catch (e) {
    reject(e);
    return;
  }
  const parent = options?.parent;
  if (parent !== undefined && (link || !(parent instanceof Pid))) {
    const why = link ? 'startLink: the parent is the caller, give no parent option' : `start: parent must be a pid, got ${formatTerm(parent)}`;
    reject(new BadArgError(why, parent));
    return;
  }
  const st = new ServerState(table, link ? starter.pid : (parent ?? null), options?.name);
  launch(starter, new ServerStart(st, cls, args, resolve, reject), handlerFor(st), link, kindOf(cls).label, options?.timeoutMs, options?.mailbox);
}

/** One server's start: proc_lib's handshake, with GenServer's init (OTP `gen_server:init_it`). */
class ServerStart extends Starting {
  constructor(
    private readonly st: ServerState,
    private readonly cls: ServerClass<GenServer<any>>,
    private readonly args: unknown,
    resolve: (outcome: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    super(st.name, resolve, reject);
  }

  /** Constructs the instance in the new process and runs its `init(args)`. */
  init(ctx: ProcessContext): InitOutcome | Promise<InitOutcome> {
    const st = this.st;
    st.ctx = ctx as Process;
    st.timer = callTimerOf(ctx.node, this.cls);
    // OTP gen_server:start: an unlinked server is its own parent.
    if (st.parent === null) st.parent = ctx.self;
    constructing = st;
    let r: unknown;
    try {
      r = new this.cls().init(this.args);
    } catch (e) {
      constructing = null;
      return initFailed(st, reasonOf(e));
    }
    constructing = null;
    if (isThenable(r)) {
      return Promise.resolve(r).then(
        (v) => initOutcome(st, v),
        (e: unknown) => initFailed(st, reasonOf(e)),
      );
    }
    return initOutcome(st, r);
  }
}

const INIT_OK: InitOutcome = Object.freeze({ ok: true });
const INIT_IGNORE: InitOutcome = Object.freeze({ ignore: true });

/** The process's message handler, in a scope of its own so that start's arguments are not kept alive with it. */
function handlerFor(st: ServerState): (msg: unknown) => void | PromiseLike<void> {
  return (msg) => dispatch(st, msg);
}

function initOutcome(st: ServerState, r: unknown): InitOutcome | Promise<InitOutcome> {
  if (r === IGNORE) return INIT_IGNORE;
  if (r instanceof ServerAction) {
    if (r.kind === 'stop') return initFailed(st, r.value);
    if (r.kind === 'continue') scheduleContinue(st, r.value);
    else afterInit(st, r);
  }
  return INIT_OK;
}

/** Init threw or stopped: one report for an abnormal reason. */
function initFailed(st: ServerState, reason: ExitReason): InitOutcome {
  if (!isCleanExit(reason)) {
    if (st.s !== null) crashReport(st, undefined, reason);
    else log.error('GenServer failed to construct', { pid: st.ctx.pid.toString(), reason: formatTerm(reason), stack: reason instanceof Error ? reason.stack : undefined });
  }
  st.ctx.reported = true;
  // proc_lib's start releases the name (local or via) before the starter hears.
  return { stop: reason };
}
