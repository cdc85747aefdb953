/**
 * The shell's `global`, `pg` and `rpc` objects: the cluster services' functions with
 * the shell process bound as the caller, so that `pg.join('chat')` at the prompt is
 * `pg.join(ctx, 'chat', self())` in a program.
 *
 * A service the installed packages do not provide yet is an object whose every
 * function throws an error saying so, rather than a missing name.
 */
import { BadArgError, type Dest, type Pid } from '@grove/core';
import * as pgApi from '@grove/pg';
import { Shown, showTerm } from './format';
import type { ShellProcess } from './shell_process';

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
    global: unavailable('global', 'the cluster-wide name registry (global) is not in @grove/dist yet', GLOBAL_KEYS),
    pg: makePg(shell),
    rpc: unavailable('rpc', 'rpc is not in @grove/dist yet', RPC_KEYS),
    globalDest(name: unknown): Dest {
      throw new BadArgError(`send to { global: ${showTerm(name)} }: the global registry is not in @grove/dist yet`, name);
    },
  };
}

/** The functions of OTP's `global` the shell offers. */
const GLOBAL_KEYS = ['register', 'unregister', 'whereis', 'send', 'registeredNames', 'sync'] as const;
/** The functions of OTP's `rpc` the shell offers. */
const RPC_KEYS = ['call', 'cast', 'multicall', 'asyncCall', 'nbYield'] as const;

const PG_HELP = `pg: process groups of the default scope 'pg' (started with the shell); pass a scope first to use another.
  pg.join(group, pids?)     pids default to self()
  pg.leave(group, pids?)
  pg.getMembers(group), pg.getLocalMembers(group), pg.whichGroups(), pg.whichLocalGroups()
  pg.monitor(group), pg.monitorScope(), pg.demonitor(ref)   join/leave events to the shell (see flush())
  pg.start(scope)           starts another scope`;

function makePg(shell: ShellProcess): object {
  // join/leave: the shell's own pid when no pids are given (the last argument).
  const withSelf = (fn: (...a: never[]) => unknown) => (...args: unknown[]) =>
    (fn as (...a: unknown[]) => unknown)(shell.ctx, ...(args.length === 1 ? [args[0], shell.self] : args));
  const bound = (fn: (...a: never[]) => unknown) => (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(shell.ctx, ...args);
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

/** A service that is not there: each of its functions throws an error that says why. */
function unavailable(what: string, why: string, keys: readonly string[]): object {
  const service: Record<string, unknown> = { help: () => new Shown(why) };
  for (const key of keys) {
    service[key] = () => {
      throw new BadArgError(`${what}.${key}: ${why}`);
    };
  }
  return service;
}
