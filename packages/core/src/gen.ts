/**
 * The request/reply protocol every behaviour shares (OTP `gen.erl`).
 *
 * `call` = monitor the server, send `GenCall{from, request}`, then exactly one of
 * three outcomes: the reply, the server's DOWN (its exit reason, or `noproc`), or the
 * timeout. The monitor is removed on every path, and a reply that arrives after the
 * timeout finds no pending call and is dropped. The pending call *is* the monitor
 * (one object), keyed by the tag that the reply carries back. Timeouts sit in one
 * FIFO queue per duration, so a call arms no timer of its own.
 */
import { BadArgError, CallExitError, CallingSelfError, CallTimeoutError, formatTerm, NoProcError } from './errors';
import { getLogger } from './logger';
import type { DeadlineQueue, Expiring } from './runtime/clock';
import type { ProcessContext, TimeoutMs } from './runtime/context';
import type { ExitReason } from './runtime/exit';
import { joinCallers, leaveCallers, Monitor, type CallerLink } from './runtime/monitor';
import type { Node } from './runtime/node';
import { Pid } from './runtime/pid';
import type { Process } from './runtime/process';
import { isRemoteName, isViaName, type Dest } from './runtime/registry';
import type { RemoteName } from './runtime/remote';
import { registerClass } from './runtime/term';

/** Who to reply to: the caller's pid and the call's tag. */
export interface From {
  readonly pid: Pid;
  readonly tag: number;
}

/** A call request as the server's mailbox sees it (`{'$gen_call', From, Request}`). */
export class GenCall {
  constructor(readonly from: From, readonly request: unknown) {}
}

/** A cast (`{'$gen_cast', Request}`). */
export class GenCast {
  constructor(readonly request: unknown) {}
}

registerClass(GenCall, { name: 'grove.$gen_call', toTerm: (c) => [{ pid: c.from.pid, tag: c.from.tag }, c.request], fromTerm: (t) => new GenCall((t as [From, unknown])[0], (t as [From, unknown])[1]) });
registerClass(GenCast, { name: 'grove.$gen_cast', toTerm: (c) => c.request, fromTerm: (t) => new GenCast(t) });

/**
 * A reply that fails the call instead of resolving it: a behaviour replies with a
 * subclass (e.g. GenServer's "no handler for this request") and the caller's `call`
 * rejects with `toError()`, with no extra promise per call.
 */
export abstract class ErrorReply {
  abstract toError(): Error;
}

const log = getLogger('gen_server');

/**
 * True when `from` is an address a reply can go to: a pid and an integer tag. Any
 * term can be sent as a `$gen_call`; one whose `from` is not such an address has
 * nobody to answer. @internal
 */
export function canAnswer(from: unknown): from is From {
  if (from instanceof PendingCall) return true;
  if (typeof from !== 'object' || from === null) return false;
  const f = from as { pid?: unknown; tag?: unknown };
  return f.pid instanceof Pid && Number.isInteger(f.tag);
}

/** Logs and drops a call that cannot be answered (a forged `$gen_call`). @internal */
export function dropUnanswerable(server: Pid, msg: GenCall): void {
  log.warn(`${server} dropped a call that cannot be answered (no caller pid and tag): ${formatTerm(msg.from)}, request ${formatTerm(msg.request)}`);
}

/** Default call timeout, as OTP: 5 s. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/**
 * A call in flight. It is the monitor of the server, the entry in the server's
 * list of waiting callers, and (for a local call) the `From` handle the server
 * replies to, so a local call allocates this object, its promise and the request.
 */
class PendingCall extends Monitor implements From, CallerLink, Expiring {
  settled = false;
  deadline = 0;
  queue: DeadlineQueue | null = null;
  prevCaller: CallerLink | null = null;
  nextCaller: CallerLink | null = null;
  serverProc: Process | null = null;
  resolve!: (value: unknown) => void;
  reject!: (error: Error) => void;
  readonly promise: Promise<unknown>;

  constructor(caller: Process, refId: number, target: Pid | RemoteName, readonly server: Dest, readonly request: unknown) {
    super(caller, refId, target, null);
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }

  get pid(): Pid {
    return this.watcher.pid;
  }

  get tag(): number {
    return this.refId;
  }

  /** Joins the server's list of waiting callers. */
  attach(server: Process): void {
    this.serverProc = server;
    joinCallers(server, this);
  }

  private detach(): void {
    const server = this.serverProc;
    if (server === null) return;
    this.serverProc = null;
    leaveCallers(server, this);
  }

  /** The reply: settle and take the monitor down; the caller resumes in order with what was sent to it before. */
  reply(value: unknown): void {
    if (!this.finish()) return;
    if (value instanceof ErrorReply) this.watcher.resumeInOrder(this.reject as (x: unknown) => void, errorOf(value));
    else this.watcher.resumeInOrder(this.resolve, value);
  }

  serverDown(reason: ExitReason): void {
    this.serverProc = null;
    this.down(reason);
  }

  override down(reason: ExitReason): void {
    if (!this.finish()) return;
    // The server's node is lost or cannot be reached: OTP's gen:call exits with {nodedown, Node}.
    const why = reason === 'noconnection' ? { nodedown: this.target instanceof Pid ? this.target.node : this.target[1] } : reason;
    this.watcher.resumeInOrder(this.reject as (x: unknown) => void, new CallExitError(this.server, this.request, why));
  }

  /** The request could not be sent (e.g. not copyable). */
  fail(error: Error): void {
    if (this.finish()) this.reject(error);
  }

  expire(): void {
    if (this.finish()) this.watcher.resumeInOrder(this.reject as (x: unknown) => void, new CallTimeoutError(this.server, this.request, this.queue!.ms));
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.queue?.settled();
    this.detach();
    const w = this.watcher;
    if (w.monitors !== null && w.monitors.get(this.refId) === this) {
      w.monitors.delete(this.refId);
      w.node.dropMonitor(this);
    }
    return true;
  }
}

/** The error an ErrorReply stands for; one whose toError throws (or returns a non-error) still ends the call. */
function errorOf(r: ErrorReply): Error {
  let e: unknown;
  try {
    e = r.toError();
  } catch (thrown) {
    e = thrown;
  }
  return e instanceof Error ? e : new BadArgError(`call: a reply's toError gave ${formatTerm(e)}, not an Error`, e);
}

function validTimeout(t: unknown): t is TimeoutMs {
  return typeof t === 'number' ? t >= 0 && t < Infinity : t === 'infinity';
}

/**
 * Calls `server` from `caller` and resolves with the reply. Rejects with
 * {@link CallExitError} (server gone, `noproc`, `{ nodedown: node }`),
 * {@link CallTimeoutError}, or at once with {@link CallingSelfError} when
 * `server` is the caller itself.
 */
export function call(from: ProcessContext, server: Dest, request: unknown, timeoutMs: TimeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<unknown> {
  // Every ProcessContext is a Process (process.ts); the type keeps internals out of the API.
  const caller = from as Process;
  if (!validTimeout(timeoutMs)) {
    return Promise.reject(new BadArgError(`call: timeoutMs must be a finite number >= 0 or 'infinity', got ${formatTerm(timeoutMs)}`, timeoutMs));
  }
  caller.ensureAlive();
  const node = caller.node;
  let local: Process | undefined;
  let remote: Pid | RemoteName | undefined;
  if (server instanceof Pid) {
    if (server.node === node.name) local = node.local(server);
    else remote = server;
  } else if (typeof server === 'string') {
    local = node.named(server);
  } else if (isRemoteName(server)) {
    if (server[1] === node.name) local = node.named(server[0]);
    else remote = server;
  } else if (isViaName(server)) {
    const pid = server.via.whereisName(server.name);
    if (pid !== undefined && pid.node === node.name) local = node.local(pid);
    else remote = pid;
  } else {
    return Promise.reject(new BadArgError(`call: not a destination: ${formatTerm(server)}`, server));
  }
  if (local === undefined && remote === undefined) return Promise.reject(new CallExitError(server, request, 'noproc'));
  // It could never answer: fail now rather than at the timeout (OTP's calling_self).
  if (local === caller) return Promise.reject(new CallingSelfError(server, request));
  const pc = new PendingCall(caller, node.newRefId(), local !== undefined ? local.pid : remote!, server, request);
  if (local !== undefined) {
    pc.attach(local);
    // A copied From (checkMessages with the wire codec) is found by tag, like a remote one.
    if (node.checkMessages) caller.addMonitor(pc);
    try {
      const msg = new GenCall(pc, request);
      local.post(node.checkMessages ? node.copy(msg) : msg);
    } catch (e) {
      pc.fail(e as Error);
      return pc.promise;
    }
    // Refused at once by a full bounded mailbox (policy 'reject').
    if (pc.settled) return pc.promise;
  } else {
    node.monitorFrom(caller, remote!, pc);
    if (pc.settled) return pc.promise;
    try {
      node.sendFrom(caller.pid, remote!, new GenCall({ pid: caller.pid, tag: pc.refId }, request));
    } catch (e) {
      // Not sent (a request that cannot be encoded): settle now, so the monitor does not outlive the call.
      pc.fail(e as Error);
      return pc.promise;
    }
  }
  if (timeoutMs !== 'infinity') node.deadlines.add(pc, timeoutMs);
  return pc.promise;
}

/** Sends a cast: fire and forget; never fails, even when the server does not exist. */
export function cast(node: Node, from: Pid | undefined, server: Dest, request: unknown): void {
  try {
    node.sendFrom(from, server, new GenCast(request));
  } catch (e) {
    if (!(e instanceof NoProcError)) throw e;
  }
}

/** Replies to a call (OTP `gen:reply/2`); a reply to a caller that gave up is dropped. */
export function reply(node: Node, from: From, value: unknown): void {
  if (!canAnswer(from)) {
    log.warn(`reply to ${formatTerm(from)} dropped: not a caller's pid and tag`);
    return;
  }
  const pid = from.pid;
  if (pid.node !== node.name) {
    node.router?.reply(pid, from.tag, value);
    return;
  }
  if (node.checkMessages) value = node.copy(value);
  // A local call's From is its pending call; a copied From (or a remote reply) is found by tag.
  if (from instanceof PendingCall) from.reply(value);
  else replyByTag(node.local(pid), from.tag, value);
}

/** Settles `caller`'s pending call `tag` with `value`, if it still waits. @internal */
export function replyByTag(caller: Process | undefined, tag: number, value: unknown): void {
  const m = caller?.monitors?.get(tag);
  if (m instanceof PendingCall) m.reply(value);
}
