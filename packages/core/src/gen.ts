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
import type { Dest } from './registry';
import type { TimeoutMs } from './context';
import { BadArgError, CallExitError, CallTimeoutError, NoProcError } from './errors';
import type { ExitReason } from './exit';
import { Monitor, type CallerLink } from './monitor';
import type { Node } from './node';
import { Pid } from './pid';
import type { Process } from './process';
import { isRemoteName, isViaName } from './registry';
import type { RemoteName } from './remote';
import { registerClass } from './term';

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

/** Default call timeout, as OTP: 5 s. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/**
 * A call in flight. It is the monitor of the server, the entry in the server's
 * list of waiting callers, and (for a local call) the `From` handle the server
 * replies to, so a local call allocates this object, its promise and the request.
 */
class PendingCall extends Monitor implements From, CallerLink {
  settled = false;
  deadline = 0;
  queue: DeadlineQueue | null = null;
  prevCaller: CallerLink | null = null;
  nextCaller: CallerLink | null = null;
  serverProc: Process | null = null;
  resolve!: (value: unknown) => void;
  reject!: (error: Error) => void;
  readonly promise: Promise<unknown>;

  constructor(caller: Process, refId: number, readonly server: Dest, readonly request: unknown) {
    super(caller, refId, null as unknown as Pid, null);
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
    const head = server.callers;
    this.nextCaller = head;
    if (head !== null) head.prevCaller = this;
    server.callers = this;
  }

  private detach(): void {
    const server = this.serverProc;
    if (server === null) return;
    this.serverProc = null;
    const prev = this.prevCaller;
    const next = this.nextCaller;
    if (prev !== null) prev.nextCaller = next;
    else server.callers = next;
    if (next !== null) next.prevCaller = prev;
    this.prevCaller = this.nextCaller = null;
  }

  /** The reply: settle and take the monitor down. */
  reply(value: unknown): void {
    if (!this.finish()) return;
    if (value instanceof ErrorReply) this.reject(value.toError());
    else this.resolve(value);
  }

  serverDown(reason: ExitReason): void {
    this.serverProc = null;
    this.down(reason);
  }

  override down(reason: ExitReason): void {
    if (this.finish()) this.reject(new CallExitError(this.server, this.request, reason));
  }

  /** The request could not be sent (e.g. not copyable). */
  fail(error: Error): void {
    if (this.finish()) this.reject(error);
  }

  timeout(timeoutMs: number): void {
    if (this.finish()) this.reject(new CallTimeoutError(this.server, this.request, timeoutMs));
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

/** Pending calls sharing one timeout duration: deadlines arrive in order, one timer at a time. */
class DeadlineQueue {
  private items: PendingCall[] = [];
  private head = 0;
  private live = 0;
  private handle: unknown = null;

  constructor(private readonly node: Node, private readonly ms: number) {}

  add(c: PendingCall): void {
    c.deadline = this.node.clock.now() + this.ms;
    c.queue = this;
    this.items.push(c);
    this.live++;
    if (this.handle === null) this.handle = this.node.clock.setTimeout(this.fire, this.ms, true);
  }

  settled(): void {
    this.live--;
    const n = this.items.length - this.head;
    if (n > 256 && this.live * 4 < n) {
      this.items = this.items.slice(this.head).filter((c) => !c.settled);
      this.head = 0;
    }
  }

  private readonly fire = (): void => {
    this.handle = null;
    const now = this.node.clock.now();
    while (this.head < this.items.length) {
      const c = this.items[this.head]!;
      if (!c.settled && c.deadline > now) break;
      this.items[this.head++] = undefined as unknown as PendingCall;
      if (!c.settled) c.timeout(this.ms);
    }
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else {
      this.handle = this.node.clock.setTimeout(this.fire, Math.max(0, this.items[this.head]!.deadline - now), true);
    }
  };
}

const queues = new WeakMap<Node, Map<number, DeadlineQueue>>();
let lastNode: Node | null = null;
let lastMs = -1;
let lastQueue: DeadlineQueue | null = null;

function deadlineQueue(node: Node, ms: number): DeadlineQueue {
  if (node === lastNode && ms === lastMs) return lastQueue!;
  let byMs = queues.get(node);
  if (byMs === undefined) queues.set(node, (byMs = new Map()));
  let q = byMs.get(ms);
  if (q === undefined) byMs.set(ms, (q = new DeadlineQueue(node, ms)));
  lastNode = node;
  lastMs = ms;
  lastQueue = q;
  return q;
}

function validTimeout(t: unknown): t is TimeoutMs {
  return typeof t === 'number' ? t >= 0 && t < Infinity : t === 'infinity';
}

/**
 * Calls `server` from `caller` and resolves with the reply. Rejects with
 * {@link CallExitError} (server gone, `noproc`, `noconnection`) or
 * {@link CallTimeoutError}.
 */
export function call(caller: Process, server: Dest, request: unknown, timeoutMs: TimeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<unknown> {
  if (!validTimeout(timeoutMs)) {
    return Promise.reject(new BadArgError(`call: timeoutMs must be a finite number >= 0 or 'infinity', got ${String(timeoutMs)}`, timeoutMs));
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
    return Promise.reject(new BadArgError(`call: not a destination: ${String(server)}`, server));
  }
  if (local === undefined && remote === undefined) return Promise.reject(new CallExitError(server, request, 'noproc'));
  const pc = new PendingCall(caller, node.newRefId(), server, request);
  if (local !== undefined) {
    pc.attach(local);
    // A copied From (checkMessages with the wire codec) is found by tag, like a remote one.
    if (node.checkMessages) caller.addMonitor(pc);
    try {
      const msg = new GenCall(pc, request);
      local.deliver(node.checkMessages ? node.copy(msg) : msg);
    } catch (e) {
      pc.fail(e as Error);
      return pc.promise;
    }
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
  if (timeoutMs !== 'infinity') deadlineQueue(node, timeoutMs).add(pc);
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
  if (from instanceof PendingCall) {
    if (node.checkMessages) value = node.copy(value);
    from.reply(value);
    return;
  }
  const pid = from.pid;
  if (pid.node === node.name) {
    if (node.checkMessages) value = node.copy(value);
    const m = node.local(pid)?.monitors?.get(from.tag);
    if (m instanceof PendingCall) m.reply(value);
  } else {
    node.router?.reply(pid, from.tag, value);
  }
}
