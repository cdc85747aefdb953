/**
 * The functions in scope at the shell's prompt, named as in Erlang's shell. Each one
 * acts as the shell process (see process.ts): `send` sends from `self()`,
 * `call` calls from it, `flush()` empties its mailbox.
 */
import {
  BadArgError,
  callServer,
  castServer,
  isPid,
  sys,
  TIMEOUT,
  type Dest,
  type ExitReason,
  type Node,
  type Pid,
  type ProcessBody,
  type Ref,
  type SpawnOptions,
  type TimeoutMs,
} from '@grove/core';
import { isNodeName, spawnRemote, type DistNode, type MonitorNodesOptions, type Spawnable } from '@grove/distribution';
import { processTable, Shown, showTerm } from './format';
import type { ShellProcess } from './process';
import type { ShellServices } from './services';

/** What the helpers act on. */
export interface ShellEnv {
  readonly node: Node;
  readonly dist: DistNode | undefined;
  readonly shell: ShellProcess;
  readonly services: ShellServices;
  /** Writes a line to the shell's output. */
  readonly print: (line: string) => void;
}

/** A destination as the shell accepts it: a core {@link Dest}, or `{ global: name }`. */
export type ShellDest = Dest | { readonly global: unknown };

const HELP = `Grove shell helpers (a promise an expression returns is awaited):
  self()                    the shell process's pid
  node()                    this node's name;  thisNode()  the Node itself, e.g. Counter.start(thisNode(), 0)
  nodes(kind?)              connected nodes: 'visible' (default), 'hidden' or 'connected'
  ping(node)                'pong' or 'pang'
  connect(node), disconnect(node)
  monitorNodes(on?)         nodeup/nodedown messages to the shell (see flush())
  send(dest, msg)           dest: a pid, a local name, [name, node] or { global: name }
  receive(match?, ms?)      the next (matching) message; TIMEOUT after ms
  flush()                   prints and removes every message in the shell's mailbox
  spawn(fn), spawnLink(fn)  spawn a process running fn(ctx); spawn(node, spawnable, args) spawns there
  registerSpawnable(name, fn | GenServerClass), unregisterSpawnable(name)
                            what other nodes may spawn here by name
  call(dest, req, ms?)      a GenServer call;  cast(dest, req)  a cast
  register(name, pid?), unregister(name), whereis(name), registered()
  exit(pid, reason), link(pid), unlink(pid), monitor(target), demonitor(ref)
  i()                       the processes: pid, name, behaviour, mailbox length, status
  processInfo(pid)          one process in detail
  sys.*                     debug a live server (help: sys.help()): sys.getState(dest), sys.getStatus(dest),
                            sys.replaceState(dest, fn), sys.suspend/resume(dest), sys.log(dest, n), sys.getLog(dest),
                            sys.trace(dest, on), sys.statistics(dest, on), sys.getStatistics(dest)
  global.*  pg.*  rpc.*     cluster names, process groups, remote calls (help of each: global.help())
A helper that takes a pid also takes a promise of one: send(spawn(node, 'echo'), msg) works.
Ctrl-C interrupts the line being evaluated; the shell process and its mailbox stay.`;

/** True for a promise (or any thenable). */
function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/**
 * A helper whose first argument is a pid or destination also takes a promise of one
 * (what \`spawn(node, ...)\` returns): it then runs once the promise resolves, and the
 * line returns a promise that the shell awaits.
 */
function pidFirst<A extends unknown[], R>(fn: (first: never, ...rest: A) => R): (first: unknown, ...rest: A) => R | Promise<R> {
  return (first, ...rest) => (isThenable(first) ? Promise.resolve(first).then((v) => fn(v as never, ...rest)) : fn(first as never, ...rest));
}

/** Builds the helpers for one shell. */
export function makeHelpers(env: ShellEnv): Record<string, unknown> {
  const { node, shell, services, print } = env;
  const dist = (what: string): DistNode => {
    if (env.dist === undefined) throw new BadArgError(`${what}: this node is not distributed (start the shell with --sname or --name)`);
    return env.dist;
  };
  const dest = (d: unknown): Dest => {
    if (typeof d === 'object' && d !== null && !Array.isArray(d) && !isPid(d) && 'global' in d) {
      return services.globalDest((d as { global: unknown }).global);
    }
    return d as Dest;
  };
  const checkNode = (what: string, n: unknown): string => {
    if (!isNodeName(n)) throw new BadArgError(`${what}: a node name is a string like 'alice@127.0.0.1', got ${showTerm(n)}`, n);
    return n;
  };
  return {
    help: (): Shown => new Shown(HELP),
    self: (): Pid => shell.self,
    node: (): string => node.name,
    thisNode: (): Node => node,
    nodes: (kind: 'visible' | 'hidden' | 'connected' = 'visible'): string[] => env.dist?.nodes(kind) ?? [],
    ping: async (n: unknown): Promise<'pong' | 'pang'> => {
      const target = checkNode('ping', n); // a bad argument is an error even where nothing can be reached
      return env.dist === undefined ? 'pang' : env.dist.ping(target);
    },
    connect: async (n: unknown): Promise<boolean> => {
      const target = checkNode('connect', n);
      return env.dist === undefined ? false : env.dist.connect(target);
    },
    disconnect: (n: unknown): boolean => {
      const target = checkNode('disconnect', n);
      return env.dist === undefined ? false : env.dist.disconnect(target);
    },
    monitorNodes: (on = true, options?: MonitorNodesOptions): 'ok' => {
      dist('monitorNodes').monitorNodes(shell.self, on, options);
      return 'ok';
    },
    send: pidFirst((d: ShellDest, msg: unknown): unknown => {
      shell.ctx.send(dest(d), msg);
      return msg;
    }),
    receive: (match?: (msg: unknown) => boolean, timeoutMs?: TimeoutMs): Promise<unknown> => shell.receive(match, timeoutMs),
    TIMEOUT,
    flush: async (): Promise<'ok'> => {
      for (let msg = await shell.receive(undefined, 0); msg !== TIMEOUT; msg = await shell.receive(undefined, 0)) {
        print(`Shell got ${showTerm(msg)}`);
      }
      return 'ok';
    },
    spawn: (what: unknown, ...rest: unknown[]): Pid | Promise<Pid> => {
      if (typeof what === 'function') return shell.ctx.spawn(what as ProcessBody, rest[0] as SpawnOptions | undefined);
      if (typeof what === 'string') {
        dist('spawn');
        const [name, args] = rest;
        if (typeof name !== 'string') throw new BadArgError(`spawn(node, spawnable, args): the spawnable's name is a string, got ${showTerm(name)}`, name);
        return spawnRemote(shell.ctx, what, name, (args as unknown[] | undefined) ?? []);
      }
      throw new BadArgError(`spawn: expected a function (ctx) => ..., or (node, spawnable, args), got ${showTerm(what)}`, what);
    },
    spawnLink: (fn: ProcessBody, options?: SpawnOptions): Pid => shell.ctx.spawnLink(fn, options),
    registerSpawnable: (name: string, spawnable: Spawnable): 'ok' => {
      dist('registerSpawnable').registerSpawnable(name, spawnable);
      return 'ok';
    },
    unregisterSpawnable: (name: string): boolean => dist('unregisterSpawnable').unregisterSpawnable(name),
    call: pidFirst((d: ShellDest, request: unknown, timeoutMs?: TimeoutMs): Promise<unknown> => callServer(shell.ctx, dest(d), request, timeoutMs)),
    cast: pidFirst((d: ShellDest, request: unknown): 'ok' => {
      castServer(shell.ctx, dest(d), request);
      return 'ok';
    }),
    register: (name: string, pid: unknown = shell.self): true | Promise<true> =>
      pidFirst((p: Pid): true => {
        node.register(name, p);
        return true;
      })(pid),
    unregister: (name: string): boolean => node.unregister(name),
    whereis: (name: string | readonly [string, string]): Pid | undefined => node.whereis(name),
    registered: (): string[] => node.registered(),
    exit: (...args: unknown[]): true | Promise<true> => {
      // exit(reason) ends the shell process itself, as in erl (a new one takes over).
      if (args.length < 2) {
        shell.ctx.exit(shell.self, args[0] as ExitReason);
        return true;
      }
      return pidFirst((pid: Pid, reason: ExitReason): true => {
        shell.ctx.exit(pid, reason);
        return true;
      })(args[0], args[1] as ExitReason);
    },
    link: pidFirst((pid: Pid): true => {
      shell.ctx.link(pid);
      return true;
    }),
    unlink: pidFirst((pid: Pid): true => {
      shell.ctx.unlink(pid);
      return true;
    }),
    monitor: pidFirst((target: Pid | string | readonly [string, string]): Ref => shell.ctx.monitor(target)),
    demonitor: (ref: Ref, options?: { flush?: boolean }): boolean => shell.ctx.demonitor(ref, options),
    i: (): Shown => new Shown(processTable(node)),
    processInfo: pidFirst((pid: Pid) => node.processInfo(pid)),
    sys: sysHelpers(env, dest),
    global: services.global,
    pg: services.pg,
    rpc: services.rpc,
  };
}

const SYS_HELP = `sys: debugging a live GenServer (any behaviour on it), here or on another node; dest as for call()
  sys.getState(dest)             its state (a GenServer's fields; an Agent's value; a state machine's { state, data })
  sys.replaceState(dest, fn)     state = fn(state); fn runs in the server, so the server must be on this node
  sys.getStatus(dest)            pid, module, name, running or suspended, parent, formatState()
  sys.suspend(dest), sys.resume(dest)
  sys.trace(dest, on)            events to the sys logger
  sys.log(dest, n | false), sys.getLog(dest)
  sys.statistics(dest, on), sys.getStatistics(dest)`;

/** \`sys.*\` at the prompt: core's sys, called from the shell process, with shell destinations. */
function sysHelpers(env: ShellEnv, dest: (d: unknown) => Dest): Record<string, unknown> {
  const shell = env.shell; // its ctx is read on each use: a new shell process takes over after exit(reason)
  return {
    help: (): Shown => new Shown(SYS_HELP),
    getState: pidFirst((d: ShellDest) => sys.getState(shell.ctx, dest(d))),
    replaceState: pidFirst((d: ShellDest, fn: (s: unknown) => unknown) => sys.replaceState(shell.ctx, dest(d), fn)),
    getStatus: pidFirst((d: ShellDest) => sys.getStatus(shell.ctx, dest(d))),
    suspend: pidFirst((d: ShellDest) => sys.suspend(shell.ctx, dest(d))),
    resume: pidFirst((d: ShellDest) => sys.resume(shell.ctx, dest(d))),
    trace: pidFirst((d: ShellDest, on: boolean = true) => sys.trace(shell.ctx, dest(d), on)),
    log: pidFirst((d: ShellDest, on: boolean | number = true) => sys.log(shell.ctx, dest(d), on)),
    getLog: pidFirst((d: ShellDest) => sys.getLog(shell.ctx, dest(d))),
    statistics: pidFirst((d: ShellDest, on: boolean = true) => sys.statistics(shell.ctx, dest(d), on)),
    getStatistics: pidFirst((d: ShellDest) => sys.getStatistics(shell.ctx, dest(d))),
  };
}
