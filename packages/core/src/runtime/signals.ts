/**
 * A process's signals, in one place: the signal queue that keeps what one process
 * sends another in the order sent, and how a process ends (user errors become exit
 * reasons; `terminate` releases everything the process held and tells its links and
 * monitors). One crash report per abnormal exit, written here (or by the behaviour
 * that already wrote a richer one).
 *
 * Signal order (OTP's guarantee, ERTS's `erl_proc_sig_queue.c`): what one process
 * sends another arrives in the order sent, whatever its kind. While nothing is
 * pending, a message goes straight to the mailbox or to the waiting `receive` (the
 * fast path: one null check more, in `Process.deliver`). An exit signal cannot act
 * at once (a cascade through a long chain of links must not recurse), so it opens
 * the process's signal queue, and until that queue is drained everything else sent
 * to the process waits behind it in order: messages, DOWNs, and the outcomes of the
 * calls and starts it awaits (`Process.resumeInOrder`). The queue is drained as one
 * batch before the process runs code — at its next scheduler run, its next
 * `receive`, or a receive timeout: an exit signal kills, or becomes an `EXIT`
 * appended to the mailbox in its place; messages are appended after it; a waiting
 * `receive` and awaited outcomes resume only once the batch left the process alive.
 * Links, unlinks, monitors and demonitors act at once too while nothing is pending;
 * behind a pending exit signal they wait their turn ({@link LateOp}), and one that
 * finds the process dead gets OTP's answer: exit or DOWN `noproc`. (A local `call`
 * is the exception: it watches its server at once, so a server that dies of an exit
 * signal sent before the call fails it with that exit reason rather than `noproc`.)
 */
import { formatTerm, ProcessExitedError } from '../errors';
import { getLogger, logEnabled } from '../logger';
import { isCleanExit, thrownReason, type ExitReason } from './exit';
import { Mailbox } from './mailbox';
import { Monitor, type CallerLink } from './monitor';
import type { Pid } from './pid';
import { ProcessExit, type Process } from './process';

const log = getLogger('process');

// ---- the signal queue ----

/** An exit signal waiting in a signal queue. @internal */
export class ExitSignal {
  constructor(
    readonly from: Pid,
    readonly reason: ExitReason,
    readonly link: boolean,
  ) {}
}

/** Code of the process to resume (a settled call or start) waiting in a signal queue. @internal */
export class Resume {
  constructor(
    readonly fn: (x: unknown) => void,
    readonly x: unknown,
  ) {}
}

/**
 * A link, unlink, monitor or demonitor that reached a process behind an exit signal:
 * it acts in its turn; if the process dies first, `refuse` answers the other side as
 * OTP does for a process that is gone (a link gets exit `noproc`, a monitor DOWN
 * `noproc`). @internal
 */
export class LateOp {
  constructor(
    readonly act: (p: Process) => void,
    readonly refuse: (() => void) | null,
  ) {}
}

/**
 * What a signal queue holds, oldest first: exit signals, resumptions, late link and
 * monitor operations, and messages as they are (a message is never an instance of
 * the classes above). @internal
 */
export type Signal = ExitSignal | Resume | LateOp | unknown;

/** Queues `act` on `p` (which has a pending exit signal) in its turn; see {@link LateOp}. @internal */
export function inTurn(p: Process, act: (p: Process) => void, refuse: (() => void) | null = null): void {
  p.signals!.push(new LateOp(act, refuse));
}

/** A monitor of `p` made behind its pending exit signal: installed in its turn unless demonitored by then. @internal */
export function lateMonitor(p: Process, mon: Monitor): void {
  const active = (): boolean => mon.watcher.monitors?.get(mon.refId) === mon;
  inTurn(
    p,
    (q) => {
      if (!active()) return;
      mon.targetProc = q;
      (q.monitoredBy ??= new Map()).set(mon.refId, mon);
    },
    () => {
      if (!active()) return;
      mon.watcher.monitors!.delete(mon.refId);
      mon.down('noproc');
    },
  );
}

/**
 * Drains `p`'s signal queue as one batch; returns the signals handled. The queue
 * stays open while it drains, so that what arrives meanwhile (a signal to itself)
 * is appended and still waits its turn; a handled entry is cleared, so that a death
 * midway leaves only what is left for `terminate`. @internal
 */
export function drainSignals(p: Process): number {
  const q = p.signals!;
  let i = 0;
  let resumes: Resume[] | null = null;
  for (; i < q.length && p.alive; i++) {
    const s = q[i];
    q[i] = undefined;
    if (s instanceof ExitSignal) actOnSignal(p, s);
    else if (s instanceof Resume) (resumes ??= []).push(s);
    else if (s instanceof LateOp) s.act(p);
    else (p.mailbox ??= new Mailbox()).push(s);
  }
  if (!p.alive) return i;
  p.signals = null;
  if (resumes !== null) for (const r of resumes) r.fn(r.x);
  if (p.waiter !== null) wakeWaiter(p);
  return i;
}

function actOnSignal(p: Process, s: ExitSignal): void {
  const { from, reason, link } = s;
  if (link) {
    // A link exit from a process we already unlinked from is void (OTP 23+ link protocol).
    if (p.links === null || !p.links.delete(from.key)) return;
  } else if (reason === 'kill') {
    terminate(p, 'killed');
    return;
  }
  if (p.trapping) (p.mailbox ??= new Mailbox()).push({ type: 'EXIT', from, reason });
  else if (reason !== 'normal') terminate(p, reason);
  else if (!link && from.equals(p.pid)) terminate(p, 'normal');
}

/** After a drain: hands the waiting receive the first message it accepts, if any. */
function wakeWaiter(p: Process): void {
  const w = p.waiter!;
  const mb = p.mailbox;
  if (mb === null || mb.length === 0) return;
  let i: number;
  try {
    i = w.match === undefined ? 0 : mb.find(w.match);
  } catch (e) {
    onUserError(p, e);
    return;
  }
  if (i < 0) return;
  p.waiter = null;
  if (w.timer !== null) p.node.clock.clearTimeout(w.timer);
  w.resolve(mb.takeAt(i));
}

/** Removes the first message `isDown` accepts from `p`'s signal queue (demonitor with flush). @internal */
export function flushQueuedDown(p: Process, isDown: (msg: unknown) => boolean): void {
  const q = p.signals;
  if (q === null) return;
  for (let i = 0; i < q.length; i++) {
    const s = q[i];
    if (!(s instanceof ExitSignal) && !(s instanceof Resume) && !(s instanceof LateOp) && isDown(s)) {
      q.splice(i, 1);
      return;
    }
  }
}

// ---- how a process ends ----

/** A throw or rejection from user code running in `p`. */
export function onUserError(p: Process, e: unknown): void {
  if (e instanceof ProcessExit) {
    terminate(p, e.reason);
  } else if (e instanceof ProcessExitedError && !p.alive) {
    // The body ran on after its process died and touched its context: nothing to do.
  } else {
    terminate(p, thrownReason(e), true);
  }
}

/**
 * Ends `p` with `reason`: releases its name and timers, signals links, fires
 * monitors. `crashed` (the process raised) writes a crash report, as Erlang does for
 * an uncaught error; deaths by exit signal are not reported.
 */
export function terminate(p: Process, reason: ExitReason, crashed = false): void {
  if (!p.alive) return;
  p.alive = false;
  p.exitReason = reason;
  const node = p.node;
  node.forget(p);
  const w = p.waiter;
  if (w !== null) {
    if (w.timer !== null) node.clock.clearTimeout(w.timer);
    p.waiter = null;
  }
  if (p.timers !== null) {
    for (const t of p.timers) node.timers.drop(t);
    p.timers = null;
  }
  p.mailbox = null;
  const late = p.signals;
  p.signals = null;
  if (p.links !== null) {
    const linkReason = reason === 'kill' ? 'killed' : reason;
    const links = p.links;
    p.links = null;
    for (const pid of links.values()) node.linkExit(p.pid, pid, linkReason);
  }
  if (p.monitors !== null) {
    const mons = p.monitors;
    p.monitors = null;
    for (const m of mons.values()) node.dropMonitor(m);
  }
  if (p.callers !== null) {
    // Local calls waiting on this process (gen.ts keeps them here, not in monitoredBy).
    let c: CallerLink | null = p.callers;
    p.callers = null;
    while (c !== null) {
      const next: CallerLink | null = c.nextCaller;
      c.prevCaller = c.nextCaller = null;
      c.serverDown(reason);
      c = next;
    }
  }
  if (p.monitoredBy !== null) {
    const watchers = p.monitoredBy;
    p.monitoredBy = null;
    for (const watch of watchers.values()) {
      if (watch instanceof Monitor) {
        watch.watcher.monitors?.delete(watch.refId);
        watch.targetProc = null;
        watch.down(reason);
      } else {
        node.router?.down(watch.watcher, watch.ref, watch.target, reason);
      }
    }
  }
  // Links and monitors that were still waiting their turn reach a dead process (OTP: noproc).
  if (late !== null) {
    for (const s of late) if (s instanceof LateOp && s.refuse !== null) s.refuse();
  }
  if (crashed && !p.reported && !isCleanExit(reason) && logEnabled('error')) {
    log.error('crash report', {
      pid: p.pid.toString(),
      name: p.name ?? undefined,
      label: p.label ?? undefined,
      reason: formatTerm(reason),
      stack: reason instanceof Error ? reason.stack : undefined,
    });
  }
  node.notifyExit(p);
  // Last: what the process awaited with its signal (timers, I/O) ends once it is dead for everyone.
  node.abortFor(p);
}
