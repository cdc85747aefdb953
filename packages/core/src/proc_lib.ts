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
import type { MessageHandler, ProcessContext, TimeoutMs } from './runtime/context';
import { BadArgError, formatTerm, StartError } from './errors';
import type { DeadlineQueue, Expiring } from './runtime/clock';
import type { ExitReason } from './runtime/exit';
import type { MailboxOptions } from './runtime/mailbox_bound';
import { joinCallers, leaveCallers, type CallerLink } from './runtime/monitor';
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
 * @internal one start, the starter's side: it watches the child (the child's death
 * before the ack fails the start: the start sits in the child's list of waiters, as
 * a local call does, so a start touches no monitor map), holds the start timeout (on
 * the node's shared deadlines), and tells the starter how the start went, exactly
 * once: `resolve` with the pid or `'ignore'`, `reject` with a StartError (or the
 * BadArgError of a bad option), in order with what was sent to the starter before,
 * and not at all when the starter died meanwhile (the node's root always hears). It
 * also carries what the child's first run needs: `init`, the name. A behaviour may
 * subclass it to carry its own init's data (GenServer does), so that a start makes
 * one object where closures would make several.
 */
export abstract class Starting implements CallerLink, Expiring {
  settled = false;
  deadline = 0;
  queue: DeadlineQueue | null = null;
  prevCaller: CallerLink | null = null;
  nextCaller: CallerLink | null = null;
  /** The starter, once launched. */
  starter: Process = null as unknown as Process;
  /** The child while it is still starting (the list it waits in). */
  child: Process | null = null;
  pid: Pid = null as unknown as Pid;

  constructor(
    /** Registered under this name (local or via) before init. */
    readonly name: string | ViaName | undefined,
    private readonly resolve: (outcome: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Runs in the new process: what init answers. */
  abstract init(ctx: ProcessContext): InitOutcome | Promise<InitOutcome>;

  /** Waits on `child` (just spawned, so alive). */
  attach(child: Process): void {
    this.child = child;
    this.pid = child.pid;
    joinCallers(child, this);
  }

  private detach(): void {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    leaveCallers(child, this);
    child.dropEmptyRelations();
  }

  /** The start failed before there was a child (a bad option, a spawn that threw). */
  refuse(e: unknown): void {
    this.settled = true;
    this.reject(e);
  }

  settle(outcome: Pid | 'ignore' | StartError): void {
    if (this.settled) return;
    this.settled = true;
    this.queue?.settled();
    this.detach();
    // The starter resumes in order with what was sent to it before (an exit signal from its parent).
    this.starter.resumeInOrder(outcome instanceof StartError ? this.reject : this.resolve, outcome);
  }

  /** The child died before its ack (terminate has already taken the start off its list). */
  serverDown(reason: ExitReason): void {
    this.child = null;
    this.settle(new StartError(reason, String(this.pid)));
  }

  /** Init took too long: unlink and kill the child, then fail the start. */
  expire(): void {
    const starter = this.starter;
    const pid = this.pid;
    starter.links?.delete(pid.key);
    starter.node.local(pid)?.links?.delete(starter.pid.key);
    starter.node.exitFrom(starter.pid, pid, 'kill');
    this.settle(new StartError('timeout', String(pid)));
  }
}

/** A start whose init is a function (proc_lib's `start`). */
class FnStart extends Starting {
  constructor(
    private readonly fn: (ctx: ProcessContext) => InitOutcome | Promise<InitOutcome>,
    name: string | ViaName | undefined,
    resolve: (outcome: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    super(name, resolve, reject);
  }

  init(ctx: ProcessContext): InitOutcome | Promise<InitOutcome> {
    return this.fn(ctx);
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
  return new Promise<Pid | 'ignore'>((resolve, reject) => {
    const s = new FnStart(init, options.name, resolve as (x: unknown) => void, reject);
    launch(from, s, handler, options.link === true, options.label ?? handler.name, options.timeoutMs, options.mailbox);
  });
}

/**
 * @internal {@link start} without a promise: spawns the child that runs `s`'s init
 * (linked to the starter when `link`), and `s` tells how it went (perhaps before
 * `launch` returns: an option refused, a spawn that failed). A supervisor
 * restarting a GenServer child starts it this way.
 */
export function launch(
  from: ProcessContext | Node,
  s: Starting,
  handler: MessageHandler,
  link: boolean,
  label: string,
  timeoutMs: TimeoutMs | undefined,
  mailbox: MailboxOptions | undefined,
): void {
  const starter: Process = from instanceof NodeClass ? from.root : (from as Process);
  const node: Node = starter.node;
  const name = s.name;
  if (name !== undefined && !isValidName(name) && !isViaName(name)) {
    s.refuse(new BadArgError(`start: invalid name ${formatTerm(name)}`, name));
    return;
  }
  s.starter = starter;
  let child: Process;
  try {
    child = node.spawnWith(starter, (ctx) => initChild(ctx as Process, s), handler, link, label, mailbox);
  } catch (e) {
    s.refuse(e);
    return;
  }
  s.attach(child);
  const ms = timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  if (ms !== 'infinity') node.deadlines.add(s, ms);
}

/**
 * The child's first run: (1) its name, (2) init, (3) the ack, then the process goes
 * on to its handler. Synchronous unless a via registry or init answers with a promise.
 */
function initChild(ctx: Process, s: Starting): void | Promise<void> {
  const name = s.name;
  if (typeof name === 'string') {
    const holder = ctx.node.whereis(name);
    if (holder !== undefined) alreadyStarted(ctx, s, holder);
    ctx.node.register(name, ctx.pid);
  } else if (name !== undefined) {
    return initViaNamed(ctx, s, name);
  }
  const outcome = s.init(ctx);
  if (isThenable(outcome)) return Promise.resolve(outcome).then((o) => initDone(ctx, s, o));
  return initDone(ctx, s, outcome);
}

/** The same under a via name, whose registry may answer with a promise. */
async function initViaNamed(ctx: Process, s: Starting, name: ViaName): Promise<void> {
  if (!(await name.via.registerName(name.name, ctx.pid))) alreadyStarted(ctx, s, name.via.whereisName(name.name));
  let outcome: InitOutcome;
  try {
    outcome = await s.init(ctx);
  } catch (e) {
    // A local name goes with the process; a via registry may not know it died yet.
    await name.via.unregisterName(name.name);
    throw e;
  }
  return initDone(ctx, s, outcome);
}

/** Init answered: ack the pid, or release the name, then ack `'ignore'` or stop. */
function initDone(ctx: Process, s: Starting, outcome: InitOutcome): void | Promise<void> {
  if ('ok' in outcome) {
    s.settle(ctx.pid);
    return;
  }
  const name = s.name;
  if (typeof name === 'string') ctx.node.unregister(name);
  else if (name !== undefined) return Promise.resolve(name.via.unregisterName(name.name)).then(() => initRefused(s, outcome));
  initRefused(s, outcome);
}

function initRefused(s: Starting, outcome: { readonly ignore: true } | { readonly stop: ExitReason }): never {
  if ('ignore' in outcome) {
    s.settle('ignore');
    throw new ProcessExit('normal');
  }
  throw new ProcessExit(outcome.stop);
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as PromiseLike<unknown>).then === 'function';
}

/**
 * The name is taken (OTP `gen:init_it`: `init_ack({error, {already_started, Pid}})`,
 * then exit normal): the starter hears the error and nothing else. The process
 * unlinks from it before it ends, so a trapping starter gets no EXIT either (as
 * OTP 26's proc_lib, which flushes it; OTP 25 leaves an `EXIT normal` behind).
 */
function alreadyStarted(ctx: ProcessContext, s: Starting, holder: Pid | undefined): never {
  s.settle(new StartError({ alreadyStarted: holder }, String(ctx.self)));
  ctx.unlink(s.starter.pid);
  throw new ProcessExit('normal');
}

/** True when a StartError says the name was already taken. */
export function isAlreadyStarted(e: unknown): e is StartError & { reason: { alreadyStarted: Pid } } {
  return e instanceof StartError && typeof e.reason === 'object' && e.reason !== null && 'alreadyStarted' in e.reason;
}

