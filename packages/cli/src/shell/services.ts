/**
 * The shell's `global`, `pg` and `rpc` objects: the cluster services' functions with
 * the shell process bound as the caller, so that `pg.join('chat')` at the prompt is
 * `pg.join(ctx, 'chat', self())` in a program.
 *
 * On a node that is not distributed, `global` and `rpc` functions throw the dist
 * layer's error saying so; `pg` works locally.
 */
import type { Dest, Pid, TimeoutMs } from '@grove/core';
import {
  asyncCall,
  expose,
  exposed,
  globalOf,
  moduleOf,
  multicall,
  nbYield,
  notifyAllName,
  randomExitName,
  randomNotifyName,
  rpcCall,
  rpcCast,
  rpcYield,
  unexpose,
  type GlobalName,
  type ResolveFn,
} from '@grove/distribution';
import * as pgApi from '@grove/pg';
import { Shown } from './format';
import type { ShellProcess } from './process';

/** The bound service objects, and how `{ global: name }` becomes a destination. */
export interface ShellServices {
  readonly global: object;
  readonly pg: object;
  readonly rpc: object;
  /** `{ global: name }` as a destination (a via name of the global registry). */
  globalDest(name: unknown): Dest;
}

/** Builds the services for `shell`. */
export function makeServices(shell: ShellProcess): ShellServices {
  return {
    global: makeGlobal(shell),
    pg: makePg(shell),
    rpc: makeRpc(shell),
    globalDest: (name: unknown): Dest => globalOf(shell.ctx).via(name as GlobalName),
  };
}

const GLOBAL_HELP = `global: cluster-wide names (OTP global); the shell process is the caller.
  global.register(name, pid?, resolve?)
                                  pid defaults to self(); true, or false when the name is taken.
                                  resolve decides a clash found when partitions heal: a function
                                  (name, pid1, pid2, node) => the pid to keep (or 'none'), or a
                                  built-in: global.randomExitName (the default), global.randomNotifyName, global.notifyAllName
  global.reRegister(name, pid?, resolve?)   takes the name whoever holds it
  global.unregister(name)
  global.whereis(name)            the pid, or undefined
  global.send(name, msg)          also send({ global: name }, msg) and call({ global: name }, request)
  global.registeredNames()
  global.sync()                   resolves once this node's table is in sync with the connected nodes
  global.via(name)                a name to start a GenServer under: Counter.start(thisNode(), 0, { name: global.via('counter') })`;

function makeGlobal(shell: ShellProcess): object {
  const registry = () => globalOf(shell.ctx);
  return {
    help: (): Shown => new Shown(GLOBAL_HELP),
    register: (name: GlobalName, pid: Pid = shell.self, resolve?: ResolveFn): Promise<boolean> => registry().registerName(name, pid, resolve),
    reRegister: (name: GlobalName, pid: Pid = shell.self, resolve?: ResolveFn): Promise<void> => registry().reRegisterName(name, pid, resolve),
    unregister: (name: GlobalName): Promise<void> => registry().unregisterName(name),
    whereis: (name: GlobalName): Pid | undefined => registry().whereisName(name),
    send: (name: GlobalName, msg: unknown): Pid => registry().send(name, msg),
    registeredNames: (): GlobalName[] => registry().registeredNames(),
    sync: (timeoutMs?: TimeoutMs): Promise<void> => registry().sync(timeoutMs),
    via: (name: GlobalName) => registry().via(name),
    randomExitName,
    randomNotifyName,
    notifyAllName,
  };
}

const RPC_HELP = `rpc: remote calls of the functions a node exposes (OTP rpc); the shell process is the caller.
  rpc.call(node, module, fn, args?, timeoutMs?)
  rpc.cast(node, module, fn, args?)
  rpc.multicall(nodes | undefined, module, fn, args?, timeoutMs?)   undefined: this node and nodes()
  rpc.asyncCall(node, module, fn, args?), then rpc.yield(key) or rpc.nbYield(key, timeoutMs?)
  rpc.expose(module, { fn: (...args) => ... }), rpc.unexpose(module), rpc.exposed()
  rpc.moduleOf(node, module)      an object whose methods call that module`;

type AnyFn = (...a: never[]) => unknown;

/** Binds functions to the shell: each gets the current shell process's context before its arguments. */
function binder(shell: ShellProcess): (fn: AnyFn) => (...args: unknown[]) => unknown {
  return (fn) => (...args) => (fn as (...a: unknown[]) => unknown)(shell.ctx, ...args);
}

function makeRpc(shell: ShellProcess): object {
  const bound = binder(shell);
  return {
    help: (): Shown => new Shown(RPC_HELP),
    call: bound(rpcCall),
    cast: bound(rpcCast),
    multicall: bound(multicall),
    asyncCall: bound(asyncCall),
    yield: rpcYield,
    nbYield,
    expose: bound(expose),
    unexpose: bound(unexpose),
    exposed: bound(exposed),
    moduleOf: bound(moduleOf),
  };
}

const PG_HELP = `pg: process groups of the default scope 'pg' (started with the shell); pass a scope first to use another.
  pg.join(group, pids?)     pids default to self()
  pg.leave(group, pids?)
  pg.getMembers(group), pg.getLocalMembers(group), pg.whichGroups(), pg.whichLocalGroups()
  pg.monitor(group), pg.monitorScope(), pg.demonitor(ref)   join/leave events to the shell (see flush())
  pg.start(scope)           starts another scope`;

function makePg(shell: ShellProcess): object {
  const bound = binder(shell);
  // join/leave: the shell's own pid when no pids are given (the last argument).
  const withSelf = (fn: AnyFn) => {
    const f = bound(fn);
    return (...args: unknown[]) => (args.length === 1 ? f(args[0], shell.self) : f(...args));
  };
  return {
    help: (): Shown => new Shown(PG_HELP),
    start: (scope?: string): Promise<Pid> => pgApi.start(shell.node, scope),
    join: withSelf(pgApi.join),
    leave: withSelf(pgApi.leave),
    getMembers: bound(pgApi.getMembers),
    getLocalMembers: bound(pgApi.getLocalMembers),
    whichGroups: bound(pgApi.whichGroups),
    whichLocalGroups: bound(pgApi.whichLocalGroups),
    monitor: bound(pgApi.monitor),
    monitorScope: bound(pgApi.monitorScope),
    demonitor: bound(pgApi.demonitor),
  };
}

/** Starts the default pg scope on the shell's node; a message saying why when it cannot. */
export async function startDefaultScope(shell: ShellProcess): Promise<string | undefined> {
  try {
    await pgApi.start(shell.node);
    return undefined;
  } catch (e) {
    return `the default pg scope did not start: ${e instanceof Error ? e.message : String(e)}`;
  }
}

