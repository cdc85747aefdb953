/**
 * The rpc server of a node (OTP's `rex`): runs the functions this node exposes on
 * behalf of other nodes. Nothing else can be run: code is never shipped and nothing
 * is evaluated, so a caller names a module and a function that `expose` put in the
 * table, or gets `undef`.
 *
 * One process per distributed node, registered as {@link REX}. For each call it
 * spawns a worker (as erpc does), so a slow function never holds the server up:
 * the worker runs the function — awaiting it when it returns a promise — and
 * replies to the caller itself: `{ ok: value }`, `{ error: 'throw', reason }` for
 * an exception, `{ error: 'exit', reason }` when the function exits its process
 * (`this.exit(reason)`), or when the worker is killed before it answered (the
 * server monitors workers and answers for them). A caller that gave up (timeout)
 * asks the server to kill the worker; its late reply would be dropped anyway.
 *
 * Functions run with `this` bound to the worker's process context.
 *
 * A module exposed with `allowFrom` (node/allow_from.ts) runs only for those nodes
 * (and this one); to another it is a module that is not exposed. Who calls is the
 * peer of the connection the request came on, marked on it by the connection
 * ({@link stampRpcCaller}); an unmarked request was made on this node.
 *
 * The server is a GenServer (OTP's rex is a gen_server): a call request is a
 * `{ type: 'rpc.call' }` object, so it comes to `handleCall` (anything else there is
 * an unknown call); casts, cancels and the workers' DOWN are infos routed by type.
 * Requests come from other nodes: a malformed one is refused (a BadRequestError at
 * the caller) or, as a message, dropped; it never takes the server down. It runs
 * under the kernel supervisor, and the table of exposed modules lives outside the
 * process, so a restarted server serves the same modules.
 */
import { BadArgError, formatTerm, GenCall, GenServer, getLogger, Info, isDownMessage, isRef, NotCopyableError, ProcessExit, reply, type DownMessage, type From, type Node, type Pid, type ProcessContext, type Ref } from '@grove/core';
import { allows, checkAllowFrom, type Allow, type AllowFrom } from '../node/allow_from';
import { canReply, refuse } from '../node/bad_request';
import { fieldText } from '../wire/wire';

/** The name of the rpc server on every node. */
export const REX = 'rex';

/** A function a node exposes; `this` is the process context of the worker running it. */
export type ExposedFunction = (this: ProcessContext, ...args: any[]) => unknown;

/** A module: function name → function. */
export type ExposedModule = Readonly<Record<string, ExposedFunction>>;

/** Options of `expose`. */
export interface ExposeOptions {
  /**
   * Only these nodes may call the module (their names, or a predicate on a node's
   * name); any other gets the answer of a module that is not exposed. The node itself
   * always may. Default: every connected node.
   */
  readonly allowFrom?: AllowFrom;
}

/** An exposed module in a node's table. */
interface Exposed {
  readonly fns: ExposedModule;
  readonly allow: Allow;
}

/**
 * Where an rpc request came from: set by the connection it arrived on (the peer's
 * node name, as the handshake proved it). A symbol key never comes off the wire, so a
 * request without it was made on this node. @internal
 */
export const kCallerNode: unique symbol = Symbol('grove.rpc.caller_node');

const GEN_CALL = GenCall;

/**
 * Marks `msg` with the peer it came from when it is an rpc request (a call's or a
 * cast's): called by the connection for every message a peer sends (one type check
 * for any other message). False when a request cannot be marked (a registered
 * class's frozen instance): the connection drops it, since unmarked it would pass
 * for a request made on this node. @internal
 */
export function stampRpcCaller(msg: unknown, peer: string): boolean {
  // Every message a peer sends comes here: an array (the usual message shape) or a
  // non-object costs one check, and GenCall is a module-level copy (a CommonJS
  // re-export of @grove/core is a getter, measured at 5% of a receiving node).
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return true;
  const req = msg instanceof GEN_CALL ? msg.request : msg;
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return true;
  try {
    const type = (req as { type?: unknown }).type;
    if (type === 'rpc.call' || type === 'rpc.cast') (req as { [kCallerNode]?: string })[kCallerNode] = peer;
    return true;
  } catch {
    return false;
  }
}

/** A call request. */
export interface RpcCallRequest {
  readonly type: 'rpc.call';
  /** The caller's id for this call, so that it can cancel it. */
  readonly id: Ref;
  readonly module: string;
  readonly fn: string;
  readonly args: readonly unknown[];
}

/** What a call answers. */
export type RpcReply =
  | { readonly ok: unknown }
  | { readonly error: 'throw' | 'exit'; readonly reason: unknown }
  | { readonly error: 'undef'; readonly reason: string };

/** A cast: run, answer nothing. */
export interface RpcCastMessage {
  readonly type: 'rpc.cast';
  readonly module: string;
  readonly fn: string;
  readonly args: readonly unknown[];
}

/** The caller timed out: kill the worker of call `id`. */
export interface RpcCancelMessage {
  readonly type: 'rpc.cancel';
  readonly id: Ref;
}

const log = getLogger('dist');
const servers = new WeakMap<Node, RpcServer>();
/** Each node's exposed modules: they outlive a server that is restarted. */
const tables = new WeakMap<Node, Map<string, Exposed>>();

/** The rpc server of `node` (the one running, or the last one to run), if it is distributed. @internal */
export function rpcServerOf(node: Node): RpcServer | undefined {
  return servers.get(node);
}

interface Running {
  readonly from: From | null;
  readonly pid: Pid;
  readonly callKey: number | string | null;
}

/** One node's rpc server (`rex`): the exposed modules and the workers running calls. @internal */
export class RpcServer extends GenServer {
  private modules!: Map<string, Exposed>;
  /** Worker monitor ref key → what it runs. */
  private readonly running = new Map<number | string, Running>();
  /** Call id → worker monitor ref key, for cancels. */
  private readonly byCall = new Map<number | string, number | string>();

  override init(): void {
    let table = tables.get(this.node);
    if (table === undefined) tables.set(this.node, (table = new Map()));
    this.modules = table;
    servers.set(this.node, this);
  }

  /** The node this server runs on. */
  get node(): Node {
    return this.ctx.node;
  }

  /** Exposes `fns` as `module`. Throws when the module is already exposed, a value is not a function, or `allowFrom` is malformed. */
  expose(module: string, fns: ExposedModule, options?: ExposeOptions): void {
    if (typeof module !== 'string' || module.length === 0) throw new BadArgError(`rpc.expose: module must be a non-empty string, got ${formatTerm(module)}`, module);
    if (typeof fns !== 'object' || fns === null || Array.isArray(fns)) throw new BadArgError(`rpc.expose(${JSON.stringify(module)}): expected an object of functions, got ${formatTerm(fns)}`, fns);
    for (const [k, f] of Object.entries(fns)) {
      if (typeof f !== 'function') throw new BadArgError(`rpc.expose(${JSON.stringify(module)}): ${JSON.stringify(k)} is not a function (${formatTerm(f)})`, f);
    }
    const allow = checkAllowFrom(options?.allowFrom, `rpc.expose(${JSON.stringify(module)})`);
    if (this.modules.has(module)) throw new BadArgError(`rpc.expose: module ${JSON.stringify(module)} is already exposed on ${this.node.name} (unexpose it first)`, module);
    // A copy: what was exposed cannot change behind the table's back, and no prototype is consulted.
    this.modules.set(module, { fns: Object.freeze(Object.assign(Object.create(null) as Record<string, ExposedFunction>, fns)), allow });
  }

  /** Stops exposing `module`; false when it was not exposed. */
  unexpose(module: string): boolean {
    return this.modules.delete(module);
  }

  /** The exposed modules and their functions. */
  exposed(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [m, e] of this.modules) out[m] = Object.keys(e.fns);
    return out;
  }

  // ---- the process ----

  /**
   * A call request; the worker answers it. A malformed one is refused (a
   * BadRequestError at the caller), one with no caller to answer dropped; any other
   * call is an unknown call.
   */
  override handleCall(request: unknown, from: From): unknown {
    const req = request as RpcCallRequest | null;
    if (!canReply(from)) return refuse(REX, this.node.name, from, `a call of ${formatTerm(req)}`);
    if (typeof req !== 'object' || req === null || req.type !== 'rpc.call') return super.handleCall(request, from);
    const bad = malformed(req, true);
    if (bad !== null) return refuse(REX, this.node.name, from, bad);
    this.run(req, from);
    return this.noReply();
  }

  @Info('rpc.cast')
  runCast(msg: RpcCastMessage): void {
    const bad = malformed(msg, false);
    if (bad !== null) refuse(REX, this.node.name, null, bad);
    else this.run(msg, null);
  }

  /** The caller gave up: kill the worker still running its call. */
  @Info('rpc.cancel')
  cancel(msg: RpcCancelMessage): void {
    const r = isRef(msg.id) ? this.running.get(this.byCall.get(callKey(msg.id)) ?? -1) : undefined;
    if (r !== undefined) this.ctx.exit(r.pid, 'kill');
  }

  /** A worker ended: a call it did not answer is answered here. */
  @Info('DOWN')
  workerDown(msg: DownMessage): void {
    if (!isDownMessage(msg) || !isRef(msg.ref)) return; // a DOWN only this server's monitors make; anything else is someone's forgery
    const r = this.running.get(msg.ref.key);
    if (r === undefined) return;
    this.running.delete(msg.ref.key);
    if (r.callKey !== null) this.byCall.delete(r.callKey);
    // A worker that answered exits normal; any other end is the call's answer (a late duplicate is dropped by the caller).
    if (msg.reason !== 'normal' && r.from !== null) this.reply(r.from, { error: 'exit', reason: msg.reason } satisfies RpcReply);
  }

  /** Runs a well-formed request (see {@link malformed}). */
  private run(req: RpcCallRequest | RpcCastMessage, from: From | null): void {
    const caller = (req as { [kCallerNode]?: string })[kCallerNode] ?? this.node.name;
    const f = this.lookup(req.module, req.fn, caller);
    if (typeof f === 'string') {
      if (from !== null) this.reply(from, { error: 'undef', reason: f } satisfies RpcReply);
      else log.debug(`rpc.cast on ${this.node.name}: ${f}`);
      return;
    }
    const args = req.args;
    const [pid, ref] = this.ctx.spawnMonitor((w) => work(w, f, args, from), { label: `rpc ${req.module}.${req.fn}` });
    const id = (req as Partial<RpcCallRequest>).id;
    const key = from === null || !isRef(id) ? null : callKey(id);
    this.running.set(ref.key, { from, pid, callKey: key });
    if (key !== null) this.byCall.set(key, ref.key);
  }

  /** The function, or why there is none; a module `caller` may not use is one that is not exposed. */
  private lookup(module: string, fn: string, caller: string): ExposedFunction | string {
    const e = this.modules.get(module);
    const notExposed = `module ${JSON.stringify(module)} is not exposed on ${this.node.name}`;
    if (e === undefined) return notExposed;
    if (!allows(e.allow, caller, this.node.name)) {
      log.debug(`rpc ${module}.${fn} on ${this.node.name}: refused to ${caller} (not in allowFrom)`);
      return notExposed;
    }
    const mod = e.fns;
    const f = mod[fn];
    if (typeof f !== 'function') return `${module}.${fn} is not exposed on ${this.node.name} (module ${JSON.stringify(module)} exposes ${Object.keys(mod).join(', ') || 'nothing'})`;
    return f;
  }
}

/**
 * What is wrong with a call (`isCall`) or cast request from another node, or null: the
 * module and function must be non-empty strings, the args an array, a call's id a ref.
 */
function malformed(req: Partial<RpcCallRequest> | Partial<RpcCastMessage>, isCall: boolean): string | null {
  const { module, fn, args } = req;
  if (typeof module !== 'string' || module.length === 0) return `rpc: module must be a non-empty string, got ${fieldText(module)}`;
  if (typeof fn !== 'string' || fn.length === 0) return `rpc ${module}: function must be a non-empty string, got ${fieldText(fn)}`;
  if (!Array.isArray(args)) return `rpc ${module}.${fn}: args must be an array, got ${fieldText(args)}`;
  const id = (req as Partial<RpcCallRequest>).id;
  if (isCall && !isRef(id)) return `rpc ${module}.${fn}: a call's id must be a ref, got ${fieldText(id)}`;
  return null;
}

/** A call id's key: its ref's own (a ref from another node has a string key naming that node). */
function callKey(id: Ref): number | string {
  return id.key;
}

/**
 * The worker: runs `f`, answers the caller (for a call). A function that returns a
 * value (not a promise) is answered at once, with no promise on the way.
 */
function work(w: ProcessContext, f: ExposedFunction, args: readonly unknown[], from: From | null): Promise<void> | void {
  let value: unknown;
  try {
    value = f.apply(w, args as unknown[]);
  } catch (e) {
    return answer(w, from, failed(e));
  }
  if (!isThenable(value)) return answer(w, from, { ok: value });
  return Promise.resolve(value).then(
    (v) => answer(w, from, { ok: v }),
    (e: unknown) => answer(w, from, failed(e)),
  );
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** What an exception thrown by the function answers: `exit` for an exit of its process, else `throw`. */
function failed(e: unknown): RpcReply {
  return e instanceof ProcessExit ? { error: 'exit', reason: e.reason } : { error: 'throw', reason: e };
}

function answer(w: ProcessContext, from: From | null, out: RpcReply): void {
  if (from === null) {
    if ('error' in out) log.debug(`rpc.cast on ${w.node.name} ended with ${out.error}: ${formatTerm(out.reason)}`);
    return;
  }
  try {
    reply(w.node, from, out);
  } catch (e) {
    // The value cannot cross the wire (a function, an unregistered class...): the caller hears why.
    const reason = e instanceof NotCopyableError ? e : new NotCopyableError('$', formatTerm(e));
    reply(w.node, from, { error: 'throw', reason } satisfies RpcReply);
  }
}
