/**
 * Remote procedure calls (OTP `rpc` and `erpc`) against the functions a node exposes
 * (rex.ts): `expose(node, 'math', { add: (a, b) => a + b })` on one node,
 * `rpc.call(ctx, 'b@host', 'math', 'add', [1, 2])` on another.
 *
 * Every failure is an {@link RpcError} whose `kind` says what happened: `throw`
 * (the function threw), `exit` (its process exited), `timeout`, `noconnection`,
 * `undef` (not exposed). A call that times out asks the remote node to kill the
 * worker still running it (as erpc does); its late answer is dropped.
 *
 * Deliberate differences from OTP: calls return promises; a node runs only what it
 * exposed (no `apply` of arbitrary code); `rpc` and `erpc` report failures the same
 * way (a JS exception carries its class), and differ only in `multicall`'s shape.
 */
import { BadArgError, call, CallExitError, CallTimeoutError, formatTerm, type TimeoutMs } from '@grove/core';
import { callerOf, knownNodes, type DistCaller } from '../node/dist_node';
import { DistNodeError, RpcError } from '../errors';
import { isNodeName } from '../node/node_name';
import { REX, rpcServerOf, type RpcServer, type ExposeOptions, type ExposedModule, type RpcCallRequest, type RpcCancelMessage, type RpcCastMessage, type RpcReply } from './rex';

/** Who calls: a process context, a node, or a distributed node (its root process calls). */
export type RpcCaller = DistCaller;

/** What {@link multicall} resolves with (OTP `{ResL, BadNodes}`). */
export interface MulticallResult<T> {
  /** One entry per node that answered, in the order of `nodes`: the value, or the RpcError (`throw`, `exit`, `undef`). */
  readonly results: Array<T | RpcError>;
  /** Nodes that did not answer: unreachable, lost, or silent past the timeout. */
  readonly badNodes: string[];
}

/** One node's outcome in {@link erpc}'s multicall (OTP `{ok, Result} | {Class, Reason}`). */
export type RpcSettled<T> = { readonly node: string; readonly ok: true; readonly value: T } | { readonly node: string; readonly ok: false; readonly error: RpcError };

/** A module's functions as promise-returning methods (see {@link moduleOf}). */
export type RpcModule<M> = {
  readonly [K in keyof M & string]: M[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

function serverOf(from: RpcCaller, what: string): RpcServer {
  const node = callerOf(from, what).node;
  const s = rpcServerOf(node);
  if (s === undefined) throw new DistNodeError(`${what}: node ${node.name} is not distributed (start it with startDistributed)`);
  return s;
}

function checkTarget(node: unknown, module: unknown, fn: unknown, args: unknown): void {
  if (typeof node !== 'string' || !isNodeName(node)) throw new BadArgError(`rpc: node must be a node name like b@127.0.0.1, got ${formatTerm(node)}`, node);
  if (typeof module !== 'string' || module.length === 0) throw new BadArgError(`rpc: module must be a non-empty string, got ${formatTerm(module)}`, module);
  if (typeof fn !== 'string' || fn.length === 0) throw new BadArgError(`rpc: function must be a non-empty string, got ${formatTerm(fn)}`, fn);
  if (!Array.isArray(args)) throw new BadArgError(`rpc ${module}.${fn}: args must be an array, got ${formatTerm(args)}`, args);
}

function checkTimeout(t: unknown): void {
  if (t !== 'infinity' && !(typeof t === 'number' && t >= 0 && t < Infinity)) {
    throw new BadArgError(`rpc: timeoutMs must be a finite number >= 0 or 'infinity', got ${formatTerm(t)}`, t);
  }
}

// ---- exposing ----

/**
 * Lets other nodes call `fns` as `module` on `on`'s node (with `allowFrom`, only those
 * nodes). Throws when the module is already exposed.
 */
export function expose<M extends ExposedModule>(on: RpcCaller, module: string, fns: M, options?: ExposeOptions): M {
  serverOf(on, 'rpc.expose').expose(module, fns, options);
  return fns;
}

/** Stops exposing `module`; false when it was not exposed. */
export function unexpose(on: RpcCaller, module: string): boolean {
  return serverOf(on, 'rpc.unexpose').unexpose(module);
}

/** The modules `on`'s node exposes, with their function names. */
export function exposed(on: RpcCaller): Record<string, string[]> {
  return serverOf(on, 'rpc.exposed').exposed();
}

// ---- calling ----

/**
 * Runs `module.fn(...args)` on `node` and resolves with its result (OTP
 * `rpc:call/5`, `erpc:call/5`). Default timeout: infinity, as OTP.
 */
export async function rpcCall<T = unknown>(from: RpcCaller, node: string, module: string, fn: string, args: readonly unknown[] = [], timeoutMs: TimeoutMs = 'infinity'): Promise<T> {
  checkTarget(node, module, fn, args);
  checkTimeout(timeoutMs);
  const proc = callerOf(from, 'rpc');
  const id = proc.node.makeRef();
  const req: RpcCallRequest = { type: 'rpc.call', id, module, fn, args };
  let r: RpcReply;
  try {
    r = (await call(proc, [REX, node], req, timeoutMs)) as RpcReply;
  } catch (e) {
    if (e instanceof CallTimeoutError) {
      const cancel: RpcCancelMessage = { type: 'rpc.cancel', id };
      proc.send([REX, node], cancel);
      throw new RpcError('timeout', node, module, fn, timeoutMs);
    }
    if (e instanceof CallExitError) {
      // No rex there (`noproc`) means no Grove node answers under that name.
      if (e.noconnection || e.noproc) throw new RpcError('noconnection', node, module, fn, e.noproc ? 'noproc' : 'noconnection');
      throw new RpcError('exit', node, module, fn, e.reason);
    }
    throw e;
  }
  if ('ok' in r) return r.ok as T;
  throw new RpcError(r.error, node, module, fn, r.reason);
}

/** Runs `module.fn(...args)` on `node` without waiting for anything (OTP `rpc:cast/4`). */
export function rpcCast(from: RpcCaller, node: string, module: string, fn: string, args: readonly unknown[] = []): true {
  checkTarget(node, module, fn, args);
  const proc = callerOf(from, 'rpc');
  const msg: RpcCastMessage = { type: 'rpc.cast', module, fn, args };
  proc.send([REX, node], msg);
  return true;
}

/** Settles one call per node, in order. */
async function settleAll<T>(from: RpcCaller, nodes: readonly string[] | undefined, module: string, fn: string, args: readonly unknown[], timeoutMs: TimeoutMs): Promise<RpcSettled<T>[]> {
  const list = nodes ?? knownNodes(callerOf(from, 'rpc').node);
  if (!Array.isArray(list)) throw new BadArgError(`rpc.multicall: nodes must be an array of node names, got ${formatTerm(list)}`, list);
  for (const n of list) checkTarget(n, module, fn, args);
  checkTimeout(timeoutMs);
  return Promise.all(
    list.map((node) =>
      rpcCall<T>(from, node, module, fn, args, timeoutMs).then(
        (value): RpcSettled<T> => ({ node, ok: true, value }),
        (error: unknown): RpcSettled<T> => {
          if (error instanceof RpcError) return { node, ok: false, error };
          throw error;
        },
      ),
    ),
  );
}

/**
 * Calls `module.fn(...args)` on every node of `nodes` (default: this node and the
 * visible ones) at once (OTP `rpc:multicall/5`): the answers, and the nodes that
 * gave none (unreachable, lost, timed out).
 */
export async function multicall<T = unknown>(from: RpcCaller, nodes: readonly string[] | undefined, module: string, fn: string, args: readonly unknown[] = [], timeoutMs: TimeoutMs = 'infinity'): Promise<MulticallResult<T>> {
  const settled = await settleAll<T>(from, nodes, module, fn, args, timeoutMs);
  const results: Array<T | RpcError> = [];
  const badNodes: string[] = [];
  for (const s of settled) {
    if (s.ok) results.push(s.value);
    else if (s.error.kind === 'noconnection' || s.error.kind === 'timeout') badNodes.push(s.node);
    else results.push(s.error);
  }
  return { results, badNodes };
}

/** A call under way (OTP `rpc:async_call/4`'s key): read it with {@link rpcYield} or {@link nbYield}. */
export class RpcKey<T = unknown> {
  private outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  /** @internal never rejects: the outcome is kept until read. */
  readonly settled: Promise<void>;

  /** @internal use {@link asyncCall}. */
  constructor(call: Promise<T>) {
    this.settled = call.then(
      (value) => void (this.outcome = { ok: true, value }),
      (error: unknown) => void (this.outcome = { ok: false, error }),
    );
  }

  /** @internal the value, or the error thrown; null while running. */
  read(): { value: T } | null {
    const o = this.outcome;
    if (o === null) return null;
    if (o.ok) return { value: o.value };
    throw o.error;
  }
}

/** Starts `module.fn(...args)` on `node` and returns a key for its result (OTP `rpc:async_call/4`). */
export function asyncCall<T = unknown>(from: RpcCaller, node: string, module: string, fn: string, args: readonly unknown[] = []): RpcKey<T> {
  checkTarget(node, module, fn, args);
  return new RpcKey<T>(rpcCall<T>(from, node, module, fn, args));
}

/** The result of an {@link asyncCall}, once there is one (OTP `rpc:yield/1`); throws its RpcError. */
export async function rpcYield<T>(key: RpcKey<T>): Promise<T> {
  checkKey(key);
  await key.settled;
  return key.read()!.value;
}

/**
 * The result of an {@link asyncCall} if it arrives within `timeoutMs` (default 0:
 * only if it is there already): `{ value }`, else `'timeout'` (the key stays usable).
 * Throws the call's RpcError (OTP `rpc:nb_yield/2`).
 */
export async function nbYield<T>(key: RpcKey<T>, timeoutMs: TimeoutMs = 0): Promise<{ value: T } | 'timeout'> {
  checkKey(key);
  checkTimeout(timeoutMs);
  const now = key.read();
  if (now !== null) return now;
  if (timeoutMs === 0) return 'timeout';
  if (timeoutMs !== 'infinity') {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([key.settled, late]);
    clearTimeout(timer);
  } else {
    await key.settled;
  }
  return key.read() ?? 'timeout';
}

function checkKey(key: unknown): void {
  if (!(key instanceof RpcKey)) throw new BadArgError(`rpc.yield: expected a key from rpc.asyncCall, got ${formatTerm(key)}`, key);
}

/**
 * A module on `node` as an object of promise-returning methods, typed by the
 * module's functions: `moduleOf<typeof math>(ctx, 'b@h', 'math').add(1, 2)`.
 */
export function moduleOf<M extends object>(from: RpcCaller, node: string, module: string, timeoutMs: TimeoutMs = 'infinity'): RpcModule<M> {
  checkTarget(node, module, 'module', []);
  checkTimeout(timeoutMs);
  return new Proxy(Object.create(null) as object, {
    get: (_t, fn) => (typeof fn === 'string' ? (...args: unknown[]) => rpcCall(from, node, module, fn, args, timeoutMs) : undefined),
  }) as RpcModule<M>;
}

/** OTP `rpc`: call, cast, multicall (results and bad nodes), asyncCall with yield / nbYield. */
export const rpc = {
  call: rpcCall,
  cast: rpcCast,
  multicall,
  asyncCall,
  yield: rpcYield,
  nbYield,
  expose,
  unexpose,
  exposed,
  moduleOf,
} as const;

/** OTP `erpc`: call and cast as {@link rpc}; multicall settles each node with its value or its RpcError. */
export const erpc = {
  call: rpcCall,
  cast: rpcCast,
  /** One outcome per node, in order (OTP `erpc:multicall/5`). */
  multicall: <T = unknown>(from: RpcCaller, nodes: readonly string[] | undefined, module: string, fn: string, args: readonly unknown[] = [], timeoutMs: TimeoutMs = 'infinity'): Promise<RpcSettled<T>[]> =>
    settleAll<T>(from, nodes, module, fn, args, timeoutMs),
} as const;
