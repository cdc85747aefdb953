/**
 * A node: a process table, a scheduler, a registry and timers. A program that never
 * distributes uses a local node (`nonode@nohost`); @grove/distribution names it and attaches a
 * {@link RemoteRouter} into it. Several nodes may live in one OS process.
 */
import { AlreadyRegisteredError, BadArgError, formatTerm, NoProcError } from '../errors';
import { Deadlines, systemClock, type Clock } from './clock';
import type { MessageHandler, ProcessBody, SpawnOptions } from './context';
import { isDownMessage, type ExitReason } from './exit';
import { mailboxBound, type MailboxOptions } from './mailbox_bound';
import { Monitor } from './monitor';
import { Pid } from './pid';
import { Process } from './process';
import { processInfo, type ProcessInfo } from './process_info';
import { ProcessTable } from './process_table';
import { Ref } from './ref';
import { isRemoteName, isValidName, isViaName, type Dest } from './registry';
import type { RemoteName, RemoteRouter } from './remote';
import { Scheduler, type SchedulerOptions } from './scheduler';
import { flushQueuedDown, inTurn, lateMonitor, terminate } from './signals';
import { checkTerm } from './term';
import { Timers } from './timers';

export interface NodeOptions {
  /** Node name, `name@host`. Default `nonode@nohost` (not distributed). */
  name?: string;
  /** Incarnation number; random by default. */
  creation?: number;
  /** Time source for timers and timeouts (tests pass a ManualClock). */
  clock?: Clock;
  /**
   * Check every local message as if it crossed the wire (default: on under jest,
   * off otherwise). Catches unsendable messages on one node.
   */
  checkMessages?: boolean;
  scheduler?: SchedulerOptions;
}

export class Node {
  readonly name: string;
  readonly creation: number;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  /** @internal timeouts of calls and start handshakes. */
  readonly deadlines: Deadlines;
  /** @internal `sendAfter` timers. */
  readonly timers: Timers;
  /** @internal the distribution layer, once attached (remote.ts's `attachRouter`). */
  router: RemoteRouter | null = null;
  /** See {@link NodeOptions.checkMessages}. */
  checkMessages: boolean;
  /** @internal replaces check-only with a full wire round trip (set through the router's inbound side). */
  messageCopier: ((msg: unknown) => unknown) | null = null;
  private readonly table = new ProcessTable();
  private readonly names = new Map<string, Process>();
  private readonly exitListeners = new Set<(pid: Pid, reason: ExitReason) => void>();
  /**
   * The AbortControllers of the live processes that read `ctx.signal`: a side table,
   * since most processes never do and a field would grow every process.
   */
  private aborters: Map<Process, AbortController> | null = null;
  private nextPid = 1;
  private nextRef = 1;
  private rootProc: Process | null = null;

  constructor(options: NodeOptions = {}) {
    this.name = options.name ?? 'nonode@nohost';
    if (!/^[^@\s]+@[^@\s]+$/.test(this.name)) {
      throw new BadArgError(`node name must look like name@host, got ${JSON.stringify(this.name)}`, this.name);
    }
    // Added as a tagged field first (see Pid's constructor): a creation of 2^31 or more is
    // no small integer, and a double field would hand every pid a copy of it.
    this.creation = undefined as never;
    this.creation = options.creation ?? (Math.random() * 0xfffffffe + 1) >>> 0;
    this.clock = options.clock ?? systemClock;
    this.scheduler = new Scheduler(options.scheduler);
    this.deadlines = new Deadlines(this.clock);
    this.timers = new Timers(this);
    this.checkMessages = options.checkMessages ?? process.env['JEST_WORKER_ID'] !== undefined;
  }

  // ---- spawning ----

  /** Spawns a process running `body`; it exits `normal` when `body` returns. */
  spawn(body: ProcessBody, options?: SpawnOptions): Pid {
    return this.spawnFrom(null, body, null, options);
  }

  /**
   * Spawns a handler process: `handler` runs for each message in order, synchronously
   * when it returns synchronously. The process lives until it exits or is killed.
   */
  spawnLoop(handler: MessageHandler, options?: SpawnOptions): Pid {
    return this.spawnFrom(null, null, handler, options);
  }

  /** Runs `body` in a new process and resolves with its result, or rejects with its exit reason. */
  run<T>(body: ProcessBody<T>, options?: SpawnOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let result: T;
      const pid = this.spawn(async (ctx) => {
        result = await body(ctx);
      }, options);
      const off = this.onExit((dead, reason) => {
        if (!dead.equals(pid)) return;
        off();
        if (reason === 'normal') resolve(result);
        else reject(reason instanceof Error ? reason : new Error(`process exited: ${formatTerm(reason)}`, { cause: reason }));
      });
    });
  }

  /** @internal */
  spawnFrom(parent: Process | null, body: ProcessBody | null, handler: MessageHandler | null, options?: SpawnOptions): Pid {
    if (body !== null && typeof body !== 'function') throw new BadArgError('spawn: expected a function', body);
    if (handler !== null && typeof handler !== 'function') throw new BadArgError('spawnLoop: expected a function', handler);
    if (options === undefined) return this.spawnWith(parent, body, handler, false, null, undefined).pid;
    if (options.link === true && parent === null) {
      throw new BadArgError('spawn: `link` needs a parent process; use ctx.spawnLink inside a process');
    }
    return this.spawnWith(parent, body, handler, options.link === true, options.label ?? null, options.mailbox, options.name, options.trapExit === true).pid;
  }

  /**
   * @internal {@link spawnFrom}'s work, its options as arguments (a start spawns without
   * an options object): the new process, linked to `parent` when `link`.
   */
  spawnWith(
    parent: Process | null,
    body: ProcessBody | null,
    handler: MessageHandler | null,
    link: boolean,
    label: string | null,
    mailbox: MailboxOptions | undefined,
    name?: string,
    trapExit = false,
  ): Process {
    const bound = mailbox === undefined ? null : mailboxBound(mailbox);
    const pid = new Pid(this.name, this.nextPid++, 0, this.creation);
    // The label is read from the function when introspection asks (spawn stays cheap).
    const p = new Process(this, pid, body, handler, label);
    if (name !== undefined) this.registerProcess(name, p);
    if (trapExit) p.trapping = true;
    if (bound !== null) p.bound = bound;
    if (link && parent !== null) {
      (parent.links ??= new Map()).set(pid.key, pid);
      (p.links ??= new Map()).set(parent.pid.key, parent.pid);
    }
    this.table.add(p);
    if (body !== null) this.scheduler.enqueue(p);
    return p;
  }

  // ---- lookup ----

  /** @internal the live local process for `pid`. */
  local(pid: Pid): Process | undefined {
    if (pid.node !== this.name || pid.creation !== this.creation) return undefined;
    const p = this.table.get(pid.id);
    return p !== undefined && p.pid.serial === pid.serial ? p : undefined;
  }

  /** True when `pid` names a process of this node. */
  isLocal(pid: Pid): boolean {
    return pid.node === this.name;
  }

  /** True when `pid` is a live local process. */
  isAlive(pid: Pid): boolean {
    return this.local(pid) !== undefined;
  }

  /** @internal the live process registered under `name`. */
  named(name: string): Process | undefined {
    return this.names.get(name);
  }

  /** The pid a destination names right now, if it can be known locally. */
  whereis(dest: Dest): Pid | undefined {
    if (dest instanceof Pid) return this.local(dest)?.pid ?? (this.isLocal(dest) ? undefined : dest);
    if (typeof dest === 'string') return this.names.get(dest)?.pid;
    if (isRemoteName(dest)) return dest[1] === this.name ? this.names.get(dest[0])?.pid : undefined;
    if (isViaName(dest)) return dest.via.whereisName(dest.name);
    return undefined;
  }

  // ---- messages ----

  /** Sends from outside any process. See {@link ProcessContext.send}. */
  send(dest: Dest, msg: unknown): void {
    this.sendFrom(undefined, dest, msg);
  }

  /** @internal */
  sendFrom(from: Pid | undefined, dest: Dest, msg: unknown): void {
    if (dest instanceof Pid) {
      if (dest.node === this.name) {
        // Checked even when the pid is dead, so a bad message never depends on timing.
        const m = this.checkMessages ? this.copy(msg) : msg;
        this.local(dest)?.post(m);
      } else {
        this.router?.send(from, dest, msg);
      }
    } else if (typeof dest === 'string') {
      const p = this.names.get(dest);
      if (p === undefined) throw new NoProcError(dest);
      p.post(this.checkMessages ? this.copy(msg) : msg);
    } else {
      this.sendNamed(from, dest, msg);
    }
  }

  /** A send to `[name, node]` or a via name (kept out of {@link sendFrom}, which stays small enough to inline). */
  private sendNamed(from: Pid | undefined, dest: Dest, msg: unknown): void {
    if (isRemoteName(dest)) {
      if (dest[1] === this.name) {
        // As to another node (OTP's `{Name, Node}`): an unknown name drops the message; only a bare name throws.
        const m = this.checkMessages ? this.copy(msg) : msg;
        this.names.get(dest[0])?.post(m);
      } else {
        this.router?.sendNamed(from, dest, msg);
      }
    } else if (isViaName(dest)) {
      const pid = dest.via.whereisName(dest.name);
      if (pid === undefined) throw new NoProcError(dest.name);
      this.sendFrom(from, pid, msg);
    } else {
      throw new BadArgError(`send: not a destination: ${formatTerm(dest)}`, dest);
    }
  }

  /** @internal the message as the receiver should see it under `checkMessages`. */
  copy(msg: unknown): unknown {
    if (this.messageCopier !== null) return this.messageCopier(msg);
    checkTerm(msg);
    return msg;
  }

  // ---- exit signals and links ----

  /** Sends an exit signal to `pid` from outside any process (Erlang `exit/2`). */
  exit(pid: Pid, reason: ExitReason): void {
    this.exitFrom(this.root.pid, pid, reason);
  }

  /** @internal */
  exitFrom(from: Pid, to: Pid, reason: ExitReason): void {
    if (!(to instanceof Pid)) throw new BadArgError(`exit: not a pid: ${formatTerm(to)}`, to);
    if (to.node === this.name) this.local(to)?.exitSignal(from, reason, false);
    else this.router?.exit(from, to, reason, false);
  }

  /** @internal a link exit from a dying process `from` to `to`. */
  linkExit(from: Pid, to: Pid, reason: ExitReason): void {
    if (to.node === this.name) this.local(to)?.exitSignal(from, reason, true);
    else this.router?.exit(from, to, reason, true);
  }

  /** @internal */
  linkFrom(p: Process, pid: Pid): void {
    if (!(pid instanceof Pid)) throw new BadArgError(`link: not a pid: ${formatTerm(pid)}`, pid);
    if (pid.equals(p.pid)) return;
    if (pid.node === this.name) {
      const other = this.local(pid);
      if (other === undefined) {
        if (p.trapping) p.deliver({ type: 'EXIT', from: pid, reason: 'noproc' });
        else throw new NoProcError(pid, 'link to');
        return;
      }
      if (other.signals === null) (other.links ??= new Map()).set(p.pid.key, p.pid);
      else inTurn(other, (q) => (q.links ??= new Map()).set(p.pid.key, p.pid), () => this.linkExit(pid, p.pid, 'noproc'));
    } else if (this.router === null) {
      (p.links ??= new Map()).set(pid.key, pid);
      p.exitSignal(pid, 'noconnection', true);
      return;
    } else {
      this.router.link(p.pid, pid);
    }
    (p.links ??= new Map()).set(pid.key, pid);
  }

  /** @internal */
  unlinkFrom(p: Process, pid: Pid): void {
    if (!(pid instanceof Pid)) throw new BadArgError(`unlink: not a pid: ${formatTerm(pid)}`, pid);
    if (p.links === null || !p.links.delete(pid.key)) return;
    if (pid.node === this.name) {
      const other = this.local(pid);
      if (other === undefined) return;
      if (other.signals === null) other.links?.delete(p.pid.key);
      else inTurn(other, (q) => q.links?.delete(p.pid.key));
    } else {
      this.router?.unlink(p.pid, pid);
    }
  }

  // ---- monitors ----

  /** @internal a new ref id, unique on this node. */
  newRefId(): number {
    return this.nextRef++;
  }

  /** A new unique reference (`make_ref()`). */
  makeRef(): Ref {
    return new Ref(this.name, this.creation, this.nextRef++, true);
  }

  /** @internal */
  monitorFrom(p: Process, target: Pid | string | RemoteName, m?: Monitor): Monitor {
    let spec: Pid | RemoteName;
    let tp: Process | undefined;
    if (target instanceof Pid) {
      spec = target;
      tp = this.local(target);
    } else if (typeof target === 'string') {
      spec = [target, this.name];
      tp = this.names.get(target);
    } else if (isRemoteName(target)) {
      spec = target;
      if (target[1] === this.name) tp = this.names.get(target[0]);
    } else {
      throw new BadArgError(`monitor: not a pid or name: ${formatTerm(target)}`, target);
    }
    const mon = m ?? new Monitor(p, this.nextRef++, spec, null);
    mon.target = spec;
    p.addMonitor(mon);
    const here = nodeOf(spec) === this.name;
    if (tp !== undefined && tp.signals !== null) {
      lateMonitor(tp, mon);
    } else if (tp !== undefined) {
      mon.targetProc = tp;
      (tp.monitoredBy ??= new Map()).set(mon.refId, mon);
    } else if (here || this.router === null) {
      // Dead or unknown here: DOWN noproc now; another node with no distribution: noconnection.
      p.monitors!.delete(mon.refId);
      mon.down(here ? 'noproc' : 'noconnection');
    } else {
      this.router.monitor(p.pid, spec, mon.ref);
    }
    return mon;
  }

  /** @internal */
  demonitorFrom(p: Process, ref: Ref, flush: boolean): boolean {
    const m = ref.node === this.name ? p.monitors?.get(ref.key) : undefined;
    if (m !== undefined) {
      p.monitors!.delete(m.refId);
      this.dropMonitor(m);
    }
    if (flush) {
      const isDown = (msg: unknown): boolean => isDownMessage(msg, ref);
      const i = p.mailbox === null ? -1 : p.mailbox.find(isDown);
      // Not in the mailbox: it may still wait behind an exit signal.
      if (i >= 0) p.mailbox!.takeAt(i);
      else flushQueuedDown(p, isDown);
    }
    return m !== undefined;
  }

  /** @internal removes the target side of a monitor `p` no longer holds. */
  dropMonitor(m: Monitor): void {
    const tp = m.targetProc;
    if (tp !== null) {
      const by = tp.monitoredBy;
      if (by !== null && by.delete(m.refId) && by.size === 0) tp.monitoredBy = null;
      m.targetProc = null;
    } else if (this.router !== null && nodeOf(m.target) !== this.name) {
      this.router.demonitor(m.watcher.pid, m.target, m.ref);
    }
  }

  // ---- registry ----

  /** Registers `pid` (a live local process without a name) under `name`. */
  register(name: string, pid: Pid): void {
    const p = pid instanceof Pid ? this.local(pid) : undefined;
    if (p === undefined) throw new NoProcError(pid, 'register');
    this.registerProcess(name, p);
  }

  private registerProcess(name: string, p: Process): void {
    if (!isValidName(name)) throw new BadArgError(`register: invalid name ${JSON.stringify(name)}`, name);
    const holder = this.names.get(name);
    if (holder !== undefined) throw new AlreadyRegisteredError(name, holder.pid);
    if (p.name !== null) throw new AlreadyRegisteredError(name, p.pid, p.name);
    this.names.set(name, p);
    p.name = name;
  }

  /** Removes a registered name; false when nobody held it. */
  unregister(name: string): boolean {
    const p = this.names.get(name);
    if (p === undefined) return false;
    this.names.delete(name);
    p.name = null;
    return true;
  }

  /** The locally registered names. */
  registered(): string[] {
    return [...this.names.keys()];
  }

  // ---- timers ----

  /** Sends `msg` to `dest` after `ms` (from outside a process). */
  sendAfter(dest: Dest, msg: unknown, ms: number): Ref {
    return this.timers.start(null, dest, msg, ms);
  }

  /** Cancels a timer: the milliseconds it had left, or false when it already fired or was cancelled. */
  cancelTimer(ref: Ref): number | false {
    return this.timers.cancel(ref);
  }

  // ---- introspection ----

  /** Pids of every live local process. */
  processes(): Pid[] {
    return this.table.values().map((p) => p.pid);
  }

  /** Number of live local processes. */
  get processCount(): number {
    return this.table.size;
  }

  /** Status, mailbox, links, monitors, name and behaviour of a live local process. */
  processInfo(pid: Pid): ProcessInfo | undefined {
    const p = this.local(pid);
    return p === undefined ? undefined : processInfo(p);
  }

  /** Calls `fn` whenever a local process exits; returns the function that stops it. */
  onExit(fn: (pid: Pid, reason: ExitReason) => void): () => void {
    this.exitListeners.add(fn);
    return () => this.exitListeners.delete(fn);
  }

  /** @internal */
  forget(p: Process): void {
    this.table.delete(p.pid.id);
    if (p.name !== null && this.names.get(p.name) === p) this.names.delete(p.name);
  }

  /** @internal */
  notifyExit(p: Process): void {
    // A Set's iteration survives a listener removing itself.
    for (const fn of this.exitListeners) fn(p.pid, p.exitReason);
  }

  /** @internal the AbortSignal of `p` (`ctx.signal`): made on first use, aborted when `p` dies. */
  abortSignalOf(p: Process): AbortSignal {
    if (!p.alive) return AbortSignal.abort(p.exitReason);
    const aborters = (this.aborters ??= new Map());
    let ac = aborters.get(p);
    if (ac === undefined) aborters.set(p, (ac = new AbortController()));
    return ac.signal;
  }

  /**
   * @internal `p` died: aborts its signal, if it has one. The listeners run now; one
   * that throws is reported by Node.js as an uncaught exception, as for any event listener.
   */
  abortFor(p: Process): void {
    const ac = this.aborters?.get(p);
    if (ac === undefined) return;
    this.aborters!.delete(p);
    ac.abort(p.exitReason);
  }

  /** @internal true for the node's own process (see {@link root}). */
  isRoot(p: Process): boolean {
    return p === this.rootProc;
  }

  /** @internal the node's own process: the caller for calls and exit signals made from outside processes. */
  get root(): Process {
    if (this.rootProc === null || !this.rootProc.alive) {
      const pid = new Pid(this.name, this.nextPid++, 0, this.creation);
      this.rootProc = new Process(this, pid, null, null, 'root');
      this.rootProc.trapping = true;
      this.table.add(this.rootProc);
    }
    return this.rootProc;
  }

  /** Ends every local process at once (reason `killed`) and stops the node's timers. */
  halt(): void {
    for (const p of this.table.values()) terminate(p, 'killed');
    this.timers.dropAll();
  }
}

function nodeOf(target: Pid | RemoteName): string {
  return target instanceof Pid ? target.node : target[1];
}
