/**
 * The start handshake every behaviour uses (OTP `proc_lib:start_link` + `gen:start`).
 *
 * `start` spawns a process that (1) registers its name, (2) runs `init`, (3) tells
 * the starter how init went, then (4) handles messages with `handler`. The starter's
 * promise settles exactly once: with the pid when init succeeded, `'ignore'` when
 * init said so, or a {@link StartError} when init failed, stopped, threw, the process
 * died, or the start timeout passed (the child is then killed). A name already
 * taken fails the start with `{ alreadyStarted: pid }` and nothing else: the new
 * process unlinks and ends normal. The name is released
 * before the starter hears of a failure (terminate releases it first), so an
 * immediate restart never finds it taken.
 */
import type { MessageHandler, ProcessContext, SpawnOptions, TimeoutMs } from './runtime/context';
import { BadArgError, formatTerm, StartError } from './errors';
import type { DeadlineQueue, Expiring } from './runtime/clock';
import type { ExitReason } from './runtime/exit';
import type { MailboxOptions } from './runtime/mailbox_bound';
import { Monitor } from './runtime/monitor';
import { Node as NodeClass, type Node } from './runtime/node';
import type { Pid } from './runtime/pid';
import { ProcessExit, type Process } from './runtime/process';
import { isValidName, isViaName, type ViaName } from './runtime/registry';

export { StartError };

/** What `init` may answer: go on, ignore (the process exits normally), or stop with a reason. */
export type InitOutcome = { readonly ok: true } | { readonly ignore: true } | { readonly stop: ExitReason };

export interface StartOptions {
  /** Link the new process to the starter. */
  link?: boolean;
  /** Register under a local name, or a via name. */
  name?: string | ViaName;
  /** How long init may take (default 5000 ms); past it the child is killed. Like call timeouts, the timer does not keep the OS process alive by itself. */
  timeoutMs?: TimeoutMs;
  /** Introspection label (`gen_server`, `supervisor`, ...). */
  label?: string;
  /** Bound the new process's mailbox (see `SpawnOptions.mailbox`). */
  mailbox?: MailboxOptions;
}


const DEFAULT_START_TIMEOUT_MS = 5000;

/**
 * The starter's side of one start: the monitor on the child (its death before the
 * ack fails the start), the start timeout (on the node's shared deadlines), and
 * the promise to settle, exactly once.
 */
class StartWatch extends Monitor implements Expiring {
  settled = false;
  deadline = 0;
  queue: DeadlineQueue | null = null;

  constructor(
    starter: Process,
    refId: number,
    pid: Pid,
    private readonly resolve: (outcome: Pid | 'ignore') => void,
    private readonly reject: (error: StartError) => void,
  ) {
    super(starter, refId, pid, null);
  }

  settle(outcome: Pid | 'ignore' | StartError): void {
    if (this.settled) return;
    this.settled = true;
    this.queue?.settled();
    const starter = this.watcher;
    if (starter.monitors?.delete(this.refId) === true) starter.node.dropMonitor(this);
    // The starter resumes in order with what was sent to it before (an exit signal from its parent).
    if (outcome instanceof StartError) starter.resumeInOrder(this.reject as (x: unknown) => void, outcome);
    else starter.resumeInOrder(this.resolve as (x: unknown) => void, outcome);
  }

  override down(reason: ExitReason): void {
    this.settle(new StartError(reason, String(this.target)));
  }

  /** Init took too long: unlink and kill the child, then fail the start. */
  expire(): void {
    const starter = this.watcher;
    const pid = this.target as Pid;
    starter.links?.delete(pid.key);
    starter.node.local(pid)?.links?.delete(starter.pid.key);
    starter.node.exitFrom(starter.pid, pid, 'kill');
    this.settle(new StartError('timeout', String(pid)));
  }
}

/**
 * Starts a behaviour process from `from`: a process context (the parent), or a node
 * (started from outside any process; the node's root process is the parent).
 * Resolves with the pid, or `'ignore'`; rejects with StartError. A name taken for
 * the process (local or via) is released before the starter hears of a failure.
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
    return Promise.reject(new BadArgError(`start: invalid name ${formatTerm(name)}`, name));
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  return new Promise<Pid | 'ignore'>((resolve, reject) => {
    // Assigned right after the spawn, before the body can run.
    let watch!: StartWatch;
    const body = async (ctx: ProcessContext): Promise<void> => {
      if (typeof name === 'string') {
        const holder = node.whereis(name);
        if (holder !== undefined) alreadyStarted(ctx, watch, holder);
        node.register(name, ctx.self);
      } else if (name !== undefined && !(await name.via.registerName(name.name, ctx.self))) {
        alreadyStarted(ctx, watch, name.via.whereisName(name.name));
      }
      let outcome: InitOutcome;
      try {
        outcome = await init(ctx);
      } catch (e) {
        // A local name goes with the process; a via registry may not know it died yet.
        if (isViaName(name)) await name.via.unregisterName(name.name);
        throw e;
      }
      if ('ok' in outcome) {
        watch.settle(ctx.self);
        return;
      }
      if (typeof name === 'string') node.unregister(name);
      else if (name !== undefined) await name.via.unregisterName(name.name);
      if ('ignore' in outcome) {
        watch.settle('ignore');
        throw new ProcessExit('normal');
      }
      throw new ProcessExit(outcome.stop);
    };
    let pid: Pid;
    try {
      const spawnOptions: SpawnOptions = { link: options.link === true, label: options.label ?? handler.name };
      if (options.mailbox !== undefined) spawnOptions.mailbox = options.mailbox;
      pid = node.spawnFrom(starter, body, handler, spawnOptions);
    } catch (e) {
      reject(e as StartError);
      return;
    }
    watch = new StartWatch(starter, node.newRefId(), pid, resolve, reject);
    node.monitorFrom(starter, pid, watch);
    if (timeoutMs !== 'infinity' && !watch.settled) node.deadlines.add(watch, timeoutMs);
  });
}

/**
 * The name is taken (OTP `gen:init_it`: `init_ack({error, {already_started, Pid}})`,
 * then exit normal): the starter hears the error and nothing else. The process
 * unlinks from it before it ends, so a trapping starter gets no EXIT either (as
 * OTP 26's proc_lib, which flushes it; OTP 25 leaves an `EXIT normal` behind).
 */
function alreadyStarted(ctx: ProcessContext, watch: StartWatch, holder: Pid | undefined): never {
  watch.settle(new StartError({ alreadyStarted: holder }, String(ctx.self)));
  ctx.unlink(watch.watcher.pid);
  throw new ProcessExit('normal');
}

/** True when a StartError says the name was already taken. */
export function isAlreadyStarted(e: unknown): e is StartError & { reason: { alreadyStarted: Pid } } {
  return e instanceof StartError && typeof e.reason === 'object' && e.reason !== null && 'alreadyStarted' in e.reason;
}

