/**
 * The start handshake every behaviour uses (OTP `proc_lib:start_link` + `gen:start`).
 *
 * `start` spawns a process that (1) registers its name, (2) runs `init`, (3) tells
 * the starter how init went, then (4) handles messages with `handler`. The starter's
 * promise settles exactly once: with the pid when init succeeded, `'ignore'` when
 * init said so, or a {@link StartError} when init failed, stopped, threw, the process
 * died, or the start timeout passed (the child is then killed). The name is released
 * before the starter hears of a failure (terminate releases it first), so an
 * immediate restart never finds it taken.
 */
import type { MessageHandler, ProcessContext, TimeoutMs } from './context';
import { BadArgError, describe, GroveError } from './errors';
import type { ExitReason } from './exit';
import { Monitor } from './monitor';
import { Node as NodeClass, type Node } from './node';
import type { Pid } from './pid';
import type { Process } from './process';
import { ProcessExit } from './process';
import { isValidName, isViaName, type ViaName } from './registry';

/** What `init` may answer: go on, ignore (the process exits normally), or stop with a reason. */
export type InitOutcome = { readonly ok: true } | { readonly ignore: true } | { readonly stop: ExitReason };

export interface StartOptions {
  /** Link the new process to the starter. */
  link?: boolean;
  /** Register under a local name, or a via name. */
  name?: string | ViaName;
  /** How long init may take (default 5000 ms); past it the child is killed. */
  timeoutMs?: TimeoutMs;
  /** Introspection label (`gen_server`, `supervisor`, ...). */
  label?: string;
}

/** A process could not be started: `reason` is why (`{ alreadyStarted: pid }`, `'timeout'`, init's stop reason, the exit reason). */
export class StartError extends GroveError {
  readonly code = 'start_failed' as const;
  constructor(readonly reason: unknown, what: string) {
    super(`${what} failed to start: ${describe(reason)}`);
  }
}

const DEFAULT_START_TIMEOUT_MS = 5000;

class StartWatch extends Monitor {
  settle: ((outcome: Pid | 'ignore' | StartError) => void) | null = null;
  override down(reason: ExitReason): void {
    this.settle?.(new StartError(reason instanceof ProcessExit ? reason.reason : reason, String(this.target)));
  }
}

/**
 * Starts a behaviour process from `from`: a process context (the parent), or a node
 * (started from outside any process; the node's root process is the parent). Resolves with the pid, or `'ignore'`; rejects with StartError.
 */
export function start(
  from: ProcessContext | Node,
  init: (ctx: ProcessContext) => InitOutcome | Promise<InitOutcome>,
  handler: MessageHandler,
  options: StartOptions = {},
): Promise<Pid | 'ignore'> {
  const starter: Process = from instanceof NodeClass ? from.root : (from as Process);
  const node: Node = starter.node;
  const { name } = options;
  if (name !== undefined && !isValidName(name) && !isViaName(name)) {
    return Promise.reject(new BadArgError(`start: invalid name ${describe(name)}`, name));
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  return new Promise<Pid | 'ignore'>((resolve, reject) => {
    let done = false;
    let timer: unknown = null;
    let watch: StartWatch | null = null;
    const settle = (outcome: Pid | 'ignore' | StartError): void => {
      if (done) return;
      done = true;
      if (timer !== null) node.clock.clearTimeout(timer);
      if (watch !== null && starter.monitors?.delete(watch.refId) === true) node.dropMonitor(watch);
      if (outcome instanceof StartError) reject(outcome);
      else resolve(outcome);
    };
    const body = async (ctx: ProcessContext): Promise<void> => {
      if (typeof name === 'string') {
        const holder = node.whereis(name);
        if (holder !== undefined) throw new ProcessExit({ alreadyStarted: holder });
        node.register(name, ctx.self);
      } else if (name !== undefined) {
        if (!(await name.via.registerName(name.name, ctx.self))) {
          throw new ProcessExit({ alreadyStarted: name.via.whereisName(name.name) });
        }
      }
      const outcome = await init(ctx);
      if ('ok' in outcome) settle(ctx.self);
      else if ('ignore' in outcome) {
        if (typeof name === 'string') node.unregister(name);
        else if (name !== undefined) await name.via.unregisterName(name.name);
        settle('ignore');
        throw new ProcessExit('normal');
      } else throw new ProcessExit(outcome.stop);
    };
    let pid: Pid;
    try {
      pid = node.spawnFrom(starter, body, handler, { link: options.link === true, label: options.label ?? handler.name });
    } catch (e) {
      reject(e);
      return;
    }
    watch = new StartWatch(starter, node.newRefId(), pid, null);
    watch.settle = settle;
    node.monitorFrom(starter, pid, watch);
    if (timeoutMs !== 'infinity') {
      timer = node.clock.setTimeout(() => {
        if (done) return;
        starter.links?.delete(pid.key);
        node.local(pid)?.links?.delete(starter.pid.key);
        node.exitFrom(starter.pid, pid, 'kill');
        settle(new StartError('timeout', String(pid)));
      }, timeoutMs);
    }
  });
}

/** True when a StartError says the name was already taken. */
export function isAlreadyStarted(e: unknown): e is StartError & { reason: { alreadyStarted: Pid } } {
  return e instanceof StartError && typeof e.reason === 'object' && e.reason !== null && 'alreadyStarted' in e.reason;
}

