/**
 * The server side of `sys` (OTP `sys.erl`'s `handle_system_msg` and `handle_debug`):
 * the system requests a GenServer answers whatever its class, the suspended mailbox,
 * and the debug options (trace, log, statistics).
 *
 * A request is a {@link SysRequest} inside an ordinary call, so it crosses the wire
 * like any call. The engine looks at it only when no handler took the call, and
 * looks at a server's {@link SysData} with one field check per message (`st.sys`,
 * null unless the server is suspended or debugged).
 */
import { BadArgError, formatTerm } from '../errors';
import { ErrorReply, GenCall, GenCast, reply, type From } from '../gen';
import { getLogger } from '../logger';
import type { Pid } from '../runtime/pid';
import { markSystemMessage } from '../runtime/mailbox_bound';
import { checkTerm, registerClass } from '../runtime/term';
import { takeFun } from '../task/local_fun';
import type { ServerState } from '../gen_server/engine';
import { GenServer } from '../gen_server/gen_server';

/** What a behaviour's state is for `sys.getState` / `replaceState`: a behaviour overrides the default (the instance's own fields). @internal */
export const kSysState: unique symbol = Symbol('grove.sys.state');
/** Sets a behaviour's state from what `sys.replaceState`'s function returned. @internal */
export const kSysReplace: unique symbol = Symbol('grove.sys.replace');

/** The system requests (OTP `{system, From, Msg}`). @internal */
export type SysOp = 'getState' | 'replaceState' | 'getStatus' | 'suspend' | 'resume' | 'trace' | 'log' | 'statistics';

/** A system request, carried as a call's request. @internal */
export class SysRequest {
  constructor(
    readonly op: SysOp,
    readonly arg: unknown,
  ) {}
}

// Never refused or dropped by a bounded mailbox: a flooded server can still be inspected.
markSystemMessage(SysRequest);
registerClass(SysRequest, {
  name: 'grove.$system',
  toTerm: (r) => [r.op, r.arg],
  fromTerm: (t) => new SysRequest((t as [SysOp, unknown])[0], (t as [SysOp, unknown])[1]),
});

/** One event of a debugged server (OTP's `{in, Msg}`, `{out, Reply, To}`, `{noreply, State}`). */
export type SysEvent =
  | { readonly type: 'in'; readonly kind: 'call' | 'cast' | 'info'; readonly msg: unknown; readonly from?: Pid }
  | { readonly type: 'out'; readonly reply: unknown; readonly to: Pid }
  | { readonly type: 'state'; readonly state: unknown };

/** `sys.statistics`: counts since statistics were switched on (OTP's `messages_in`, `messages_out`, times). */
export interface SysStatistics {
  /** When statistics were switched on (ms since the epoch). */
  readonly startTime: number;
  /** When they were read. */
  readonly currentTime: number;
  /** Messages handled (calls, casts, infos; system requests not counted). */
  readonly messagesIn: number;
  /** Replies sent (a handler's return, or `this.reply(from, x)`; not the reply of a stop). */
  readonly messagesOut: number;
}

/** `sys.getStatus`: what a server is and does (OTP's `{status, Pid, {module, Mod}, [...]}`). */
export interface SysStatus {
  readonly pid: Pid;
  /** The class's name. */
  readonly module: string;
  /** The registered name, if any. */
  readonly name: unknown;
  readonly status: 'running' | 'suspended';
  /** Whose exit ends the server through terminate. */
  readonly parent: Pid | null;
  /** The state as `formatState()` shows it: the `format_status` hook, where secrets are hidden. */
  readonly state: unknown;
  /** The debug options on: `trace`, `log` (its size), `statistics`. */
  readonly debug: { readonly trace: boolean; readonly log: number | false; readonly statistics: boolean };
}

const log = getLogger('sys');

/** @internal A server's sys data: present while it is suspended or debugged. */
export class SysData {
  suspended = false;
  /** Messages that arrived while suspended, handled in order on resume. */
  deferred: unknown[] = [];
  trace = false;
  /** The log's capacity, or 0 when not logging. */
  logMax = 0;
  events: SysEvent[] = [];
  stats: { startTime: number; messagesIn: number; messagesOut: number } | null = null;

  /** True while the server needs none of this. */
  idle(): boolean {
    return !this.suspended && !this.trace && this.logMax === 0 && this.stats === null;
  }

  debugging(): boolean {
    return this.trace || this.logMax > 0 || this.stats !== null;
  }
}

function record(st: ServerState, sys: SysData, ev: SysEvent): void {
  if (sys.trace) log.info(`${formatTerm(st.name ?? st.ctx.pid)} event = ${formatTerm(ev)}`);
  if (sys.logMax > 0) {
    sys.events.push(ev);
    if (sys.events.length > sys.logMax) sys.events.shift();
  }
}

/** @internal A message is about to be handled by a debugged server. */
export function debugIn(st: ServerState, sys: SysData, msg: unknown): void {
  if (sys.stats !== null) sys.stats.messagesIn++;
  if (!sys.trace && sys.logMax === 0) return;
  if (msg instanceof GenCall) record(st, sys, { type: 'in', kind: 'call', msg: msg.request, from: msg.from.pid });
  else if (msg instanceof GenCast) record(st, sys, { type: 'in', kind: 'cast', msg: msg.request });
  else record(st, sys, { type: 'in', kind: 'info', msg });
}

/** @internal A debugged server replies. */
export function debugOut(st: ServerState, sys: SysData, to: From, value: unknown): void {
  if (sys.stats !== null) sys.stats.messagesOut++;
  if (sys.trace || sys.logMax > 0) record(st, sys, { type: 'out', reply: value, to: to.pid });
}

/** @internal A debugged server finished handling a message. */
export function debugState(st: ServerState, sys: SysData): void {
  if (sys.trace || sys.logMax > 0) record(st, sys, { type: 'state', state: formatted(st) });
}

function formatted(st: ServerState): unknown {
  try {
    return st.s.formatState();
  } catch (e) {
    return `<formatState failed: ${formatTerm(e)}>`;
  }
}

type Hooks = { [kSysState]?: () => unknown; [kSysReplace]?: (s: unknown) => void };

function stateOf(st: ServerState): unknown {
  const s = st.s as unknown as Hooks;
  if (typeof s[kSysState] === 'function') return s[kSysState]();
  return GenServer.prototype.formatState.call(st.s); // the default: the instance's own fields, unhidden
}

function replaceWith(st: ServerState, next: unknown): void {
  const s = st.s as unknown as Hooks;
  if (typeof s[kSysReplace] === 'function') return s[kSysReplace](next);
  if (typeof next !== 'object' || next === null) throw new BadArgError(`sys.replaceState: a GenServer's state is its fields; the function must return an object of them, got ${formatTerm(next)}`, next);
  Object.assign(s, next);
}

function sysOf(st: ServerState): SysData {
  if (st.sys === null) st.sys = new SysData();
  return st.sys;
}

function release(st: ServerState): void {
  if (st.sys !== null && st.sys.idle() && st.sys.deferred.length === 0) st.sys = null;
}

/**
 * @internal Answers system request `req` (from call `msg`). Returns the messages
 * deferred while suspended when the request resumed the server (the engine then
 * handles them, in order), else undefined.
 */
export function handleSystem(st: ServerState, msg: GenCall, req: SysRequest): unknown[] | undefined {
  const from = msg.from;
  const node = st.ctx.node;
  let answer: unknown = 'ok';
  let resumed: unknown[] | undefined;
  try {
    switch (req.op) {
      case 'getState':
        answer = stateOf(st);
        break;
      case 'replaceState': {
        const fn = takeFun<(s: unknown) => unknown>(node, req.arg, 'sys.replaceState');
        replaceWith(st, fn(stateOf(st)));
        answer = stateOf(st);
        break;
      }
      case 'getStatus': {
        const sys = st.sys;
        const status: SysStatus = {
          pid: st.ctx.pid,
          module: st.s.constructor.name,
          name: st.name ?? null,
          status: sys?.suspended === true ? 'suspended' : 'running',
          parent: st.parent,
          state: formatted(st),
          debug: { trace: sys?.trace ?? false, log: sys !== null && sys.logMax > 0 ? sys.logMax : false, statistics: sys?.stats != null },
        };
        answer = status;
        break;
      }
      case 'suspend':
        sysOf(st).suspended = true;
        break;
      case 'resume':
        if (st.sys !== null && st.sys.suspended) {
          st.sys.suspended = false;
          resumed = st.sys.deferred;
          st.sys.deferred = [];
        }
        break;
      case 'trace':
        sysOf(st).trace = req.arg === true;
        break;
      case 'log': {
        const sys = sysOf(st);
        if (req.arg === 'get') answer = sys.events.slice();
        else if (req.arg === false) {
          answer = sys.events.slice();
          sys.logMax = 0;
          sys.events = [];
        } else {
          sys.logMax = typeof req.arg === 'number' ? req.arg : 10;
          answer = 'ok';
        }
        break;
      }
      case 'statistics': {
        const sys = sysOf(st);
        if (req.arg === true) sys.stats = { startTime: Date.now(), messagesIn: 0, messagesOut: 0 };
        else if (req.arg === false) sys.stats = null;
        else if (sys.stats === null) answer = false;
        else answer = { startTime: sys.stats.startTime, currentTime: Date.now(), messagesIn: sys.stats.messagesIn, messagesOut: sys.stats.messagesOut } satisfies SysStatistics;
        break;
      }
      default:
        throw new BadArgError(`sys: unknown system request ${formatTerm(req.op)}`, req.op);
    }
  } catch (e) {
    // A bad system request never takes the server down: the caller gets the error.
    answer = new SysFailed(e instanceof Error ? e.message : formatTerm(e));
  }
  if (from.pid.node !== node.name) answer = forTheWire(req.op, answer);
  release(st);
  reply(node, from, answer);
  return resumed;
}

/**
 * An answer for a caller on another node: what cannot be carried (a socket in a
 * system process's state) is shown as text in a status, and fails getState with a
 * clear error, rather than leaving the caller to time out.
 */
function forTheWire(op: SysOp, answer: unknown): unknown {
  try {
    checkTerm(answer);
    return answer;
  } catch (e) {
    if (op === 'getStatus') return { ...(answer as SysStatus), state: formatTerm((answer as SysStatus).state) };
    return new SysFailed(`sys.${op}: the answer cannot be sent to another node: ${e instanceof Error ? e.message : formatTerm(e)}`);
  }
}

/** The answer to a system request that failed (a bad argument, a throwing hook). @internal */
export class SysFailed extends ErrorReply {
  constructor(readonly message: string) {
    super();
  }

  toError(): Error {
    return new BadArgError(this.message);
  }
}
registerClass(SysFailed, { name: 'grove.$system_failed', toTerm: (f) => f.message, fromTerm: (t) => new SysFailed(t as string) });
