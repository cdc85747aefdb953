/**
 * `rpc` across the Erlang boundary, both ways, on one {@link ErlangChannel}:
 *
 * - In: OTP 25's `rpc:call`/`erpc:call` to a Grove node send SPAWN_REQUEST
 *   `{29, ReqId, From, GL, {erpc, execute_call, 4}, Opts}` + `[ResRef, M, F, A]`. The
 *   bridge answers SPAWN_REPLY with a pid standing for the call (serial 1: core never
 *   makes one), then calls the node's `rex` server (`rpc/rex.ts`, so only functions
 *   exposed with `rpc.expose` run) and sends the result as erpc expects it: the exit
 *   reason of the monitor the request asked for, `{ResRef, return, Value}`,
 *   `{ResRef, throw | exit, Reason}`, or `{ResRef, error, undef, [{M, F, A, []}]}`
 *   for a function not exposed (so `rpc:call` gives `{badrpc, {'EXIT', {undef, _}}}`,
 *   as for an undefined function). Any other MFA gets `notsup`.
 * - Out: Grove's `rpc.call(beamNode, M, F, A)` is a call to the peer's `rex`; it goes
 *   out as OTP's `{call, M, F, A, user}` and the plain result comes back as Grove's
 *   `{ ok }` reply (`{badrpc, R}` as an exit).
 *
 * @internal
 */
import { GenCall, Pid, Ref } from '@grove/core';
import type { ChannelHandler, Control } from '../transport/transport';
import type { RpcReply } from '../rpc/rex';
import { atom, callTagRef, isAtom, tuple, tupleOf, type DecodeContext } from './dist_terms';
import { exitReasonFromErlang, exitReasonToErlang } from './exit_reason';

/** What the bridge needs of its channel. */
export interface RpcChannel {
  emit(control: unknown, payload?: unknown): void;
  newTag(): number;
}

interface InCall {
  readonly reqId: Ref;
  readonly from: Pid;
  readonly pid: Pid;
  readonly resRef: unknown;
  readonly module: string;
  readonly fn: string;
  readonly arity: number;
  readonly monitor: boolean;
}

const SPAWN_REPLY = 31;
const PAYLOAD_MONITOR_P_EXIT = 28;
const MONITOR_FLAG = 2;
/** Calls in flight at most in either direction (oldest forgotten first). */
const MAX_CALLS = 65536;

function text(t: unknown): string | undefined {
  if (isAtom(t)) return t.name;
  if (typeof t === 'string') return t;
  return undefined;
}

function isRpcMessage(m: unknown, type: string): m is { type: string; module?: unknown; fn?: unknown; args?: unknown } {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

function listOf(t: unknown): unknown[] | undefined {
  if (Array.isArray(t)) return t;
  return undefined;
}

export class RpcBridge {
  /** Calls from the peer, by the tag the rex server replies with. */
  private readonly inCalls = new Map<number, InCall>();
  /** Grove calls of the peer's rex, by call tag. */
  private readonly outCalls = new Set<number>();
  private nextPid = 1;

  constructor(private readonly ctx: DecodeContext, private readonly channel: RpcChannel) {}

  /** SPAWN_REQUEST from the peer. */
  spawnRequest(h: ChannelHandler, t: readonly unknown[], payload: unknown): void {
    const [, reqId, from, , mfa, opts] = t;
    if (!(reqId instanceof Ref) || !(from instanceof Pid)) return;
    const m = tupleOf(mfa, 3);
    const args = listOf(payload);
    if (m === undefined || !isAtom(m[0], 'erpc') || !isAtom(m[1], 'execute_call') || m[2] !== 4 || args === undefined || args.length !== 4) {
      this.channel.emit(tuple(SPAWN_REPLY, reqId, from, 0, atom('notsup')));
      return;
    }
    const [resRef, mod, fn, fnArgs] = args;
    const module = text(mod);
    const fname = text(fn);
    const callArgs = listOf(fnArgs);
    const monitor = (listOf(opts) ?? []).some((o) => isAtom(o, 'monitor'));
    const pid = new Pid(this.ctx.localNode, this.nextPid++, 1, this.ctx.localCreation);
    this.channel.emit(tuple(SPAWN_REPLY, reqId, from, monitor ? MONITOR_FLAG : 0, pid));
    const call: InCall = { reqId, from, pid, resRef, module: module ?? '', fn: fname ?? '', arity: callArgs?.length ?? 0, monitor };
    if (module === undefined || fname === undefined || callArgs === undefined) {
      this.finish(call, { error: 'undef', reason: 'not a module, function and argument list' });
      return;
    }
    const tag = this.channel.newTag();
    this.inCalls.set(tag, call);
    if (this.inCalls.size > MAX_CALLS) this.inCalls.delete(this.inCalls.keys().next().value!);
    h.onRegSend(from, 'rex', new GenCall({ pid: from, tag }, { type: 'rpc.call', id: reqId, module, fn: fname, args: callArgs }));
  }

  /** A reply of the local rex to a call made by {@link spawnRequest}: true when it was one. */
  reply(_to: Pid, tag: number, value: unknown): boolean {
    const call = this.inCalls.get(tag);
    if (call === undefined) return false;
    this.inCalls.delete(tag);
    this.finish(call, value as RpcReply);
    return true;
  }

  /** A DOWN for the stand-in pid (never made by core): nothing to do. */
  monitorExit(_c: Extract<Control, { type: 'monitor_exit' }>): boolean {
    return false;
  }

  private finish(call: InCall, r: RpcReply): void {
    if (!call.monitor) return;
    let result: unknown;
    if (typeof r === 'object' && r !== null && 'ok' in r) result = tuple(call.resRef, atom('return'), r.ok);
    else if (r?.error === 'throw') result = tuple(call.resRef, atom('throw'), r.reason);
    else if (r?.error === 'exit') result = tuple(call.resRef, atom('exit'), exitReasonToErlang(r.reason));
    else {
      const mfa = tuple(atom(call.module), atom(call.fn), call.arity, []);
      result = tuple(call.resRef, atom('error'), atom('undef'), [mfa]);
    }
    this.channel.emit(tuple(PAYLOAD_MONITOR_P_EXIT, call.pid, call.from, call.reqId), result);
  }

  /**
   * A message for the peer's `rex` in OTP's shape: a Grove rpc call as `{call, M, F, A,
   * user}`, a cast as `{cast, M, F, A, user}`; null for a cancel (OTP's rex has none:
   * the late result is dropped at the caller); undefined for anything else.
   */
  outgoing(msg: unknown): unknown {
    if (isRpcMessage(msg, 'rpc.cancel')) return null;
    if (isRpcMessage(msg, 'rpc.cast')) {
      if (typeof msg.module !== 'string' || typeof msg.fn !== 'string' || !Array.isArray(msg.args)) return undefined;
      return tuple(atom('$gen_cast'), tuple(atom('cast'), atom(msg.module), atom(msg.fn), msg.args, atom('user')));
    }
    if (!(msg instanceof GenCall)) return undefined;
    const req = msg.request as { type?: unknown; module?: unknown; fn?: unknown; args?: unknown } | null;
    if (typeof req !== 'object' || req === null || req.type !== 'rpc.call') return undefined;
    if (typeof req.module !== 'string' || typeof req.fn !== 'string' || !Array.isArray(req.args)) return undefined;
    this.outCalls.add(msg.from.tag);
    if (this.outCalls.size > MAX_CALLS) this.outCalls.delete(this.outCalls.values().next().value!);
    const from = tuple(msg.from.pid, callTagRef(this.ctx.localNode, this.ctx.localCreation, msg.from.tag));
    return tuple(atom('$gen_call'), from, tuple(atom('call'), atom(req.module), atom(req.fn), req.args, atom('user')));
  }

  /** The value a reply to Grove call `tag` carries: an rpc result becomes Grove's `{ ok }` or `{ error }`. */
  incomingReply(tag: number, value: unknown): unknown {
    if (!this.outCalls.delete(tag)) return value;
    const bad = tupleOf(value, 2);
    if (bad !== undefined && isAtom(bad[0], 'badrpc')) return { error: 'exit', reason: exitReasonFromErlang(bad[1]) } satisfies RpcReply;
    return { ok: value } satisfies RpcReply;
  }
}
