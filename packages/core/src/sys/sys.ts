/**
 * `sys`: debugging a live server (OTP's `sys` module), for every behaviour built on
 * GenServer (GenServer, GenStateMachine, Supervisor, Agent, Registry, the
 * distribution's system processes), locally or on another node.
 *
 * ```ts
 * await sys.getState(node, 'counter');           // the state (a GenServer's own fields)
 * await sys.suspend(node, 'counter');            // only system requests are handled now
 * await sys.resume(node, 'counter');             // the messages that waited run, in order
 * await sys.log(node, 'counter', 20);            // keep the last 20 events
 * await sys.getLog(node, 'counter');             // [{ type: 'in', msg, from }, { type: 'out', reply, to }, ...]
 * ```
 *
 * Every request is a call, so it takes the call's timeout (5 s by default) and fails
 * as a call does (`CallExitError` for a server that is gone, `CallTimeoutError`).
 */
import { DEFAULT_CALL_TIMEOUT_MS } from '../gen';
import { callServer, callerOf, type Caller } from '../gen_server/client';
import type { TimeoutMs } from '../runtime/context';
import type { Dest } from '../runtime/registry';
import { localFun } from '../task/local_fun';
import { SysRequest, type SysEvent, type SysOp, type SysStatistics, type SysStatus } from './system';

export type { SysEvent, SysStatistics, SysStatus } from './system';

function request(from: Caller, server: Dest, op: SysOp, arg: unknown, timeoutMs: TimeoutMs | undefined): Promise<any> {
  return callServer(from, server, new SysRequest(op, arg), timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
}

/** OTP's `sys` for Grove servers. */
export const sys = {
  /**
   * The server's state (OTP `sys:get_state`): a GenServer's own fields as an object,
   * an Agent's value, a GenStateMachine's `{ state, data }`. Not `formatState()`'s
   * view: that is {@link sys.getStatus}'s.
   */
  getState<S = unknown>(from: Caller, server: Dest, timeoutMs?: TimeoutMs): Promise<S> {
    return request(from, server, 'getState', null, timeoutMs);
  },

  /**
   * Replaces the state with `fn(state)` and resolves with the new one (OTP
   * `sys:replace_state`). For a GenServer `fn` returns the fields to set. `fn` runs in
   * the server, so it must be on the server's node; a throw in it fails this call
   * (`BadArgError`) and leaves the server and its state as they were.
   */
  replaceState<S = unknown>(from: Caller, server: Dest, fn: (state: S) => S, timeoutMs?: TimeoutMs): Promise<S> {
    let token;
    try {
      token = localFun(callerOf(from, 'sys.replaceState').node, fn as (s: never) => unknown, 'sys.replaceState');
    } catch (e) {
      return Promise.reject(e);
    }
    return request(from, server, 'replaceState', token, timeoutMs);
  },

  /** What the server is and does (OTP `sys:get_status`); its `state` is `formatState()`'s, OTP's `format_status` hook, where secrets stay hidden. */
  getStatus(from: Caller, server: Dest, timeoutMs?: TimeoutMs): Promise<SysStatus> {
    return request(from, server, 'getStatus', null, timeoutMs);
  },

  /** Suspends the server (OTP `sys:suspend`): it then takes only system requests (and its parent's EXIT); other messages wait. */
  suspend(from: Caller, server: Dest, timeoutMs?: TimeoutMs): Promise<'ok'> {
    return request(from, server, 'suspend', null, timeoutMs);
  },

  /** Resumes a suspended server (OTP `sys:resume`); the messages that waited are handled first, in the order they came. */
  resume(from: Caller, server: Dest, timeoutMs?: TimeoutMs): Promise<'ok'> {
    return request(from, server, 'resume', null, timeoutMs);
  },

  /** Writes every event of the server to the `sys` logger (at info) while `on` (OTP `sys:trace`). */
  trace(from: Caller, server: Dest, on: boolean, timeoutMs?: TimeoutMs): Promise<'ok'> {
    return request(from, server, 'trace', on === true, timeoutMs);
  },

  /**
   * Keeps the server's last `max` events (`true`: 10) or stops keeping them, `false`,
   * resolving then with what was kept (OTP `sys:log`).
   */
  log(from: Caller, server: Dest, on: boolean | number, timeoutMs?: TimeoutMs): Promise<'ok' | SysEvent[]> {
    if (typeof on === 'number' && !(Number.isInteger(on) && on > 0)) return Promise.reject(new RangeError(`sys.log: the log's size is a positive integer, got ${on}`));
    return request(from, server, 'log', on === true ? 10 : on, timeoutMs);
  },

  /** The events kept since `log` was switched on (OTP `sys:log(Name, get)`). */
  getLog(from: Caller, server: Dest, timeoutMs?: TimeoutMs): Promise<SysEvent[]> {
    return request(from, server, 'log', 'get', timeoutMs);
  },

  /** Switches statistics on (`true`, counting from zero) or off (OTP `sys:statistics`). */
  statistics(from: Caller, server: Dest, on: boolean, timeoutMs?: TimeoutMs): Promise<'ok'> {
    return request(from, server, 'statistics', on === true, timeoutMs);
  },

  /** The statistics since they were switched on, or `false` when they are off (OTP `sys:statistics(Name, get)`). */
  getStatistics(from: Caller, server: Dest, timeoutMs?: TimeoutMs): Promise<SysStatistics | false> {
    return request(from, server, 'statistics', 'get', timeoutMs);
  },
};
