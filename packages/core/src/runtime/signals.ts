/**
 * How a process ends, in one place: user errors become exit reasons, and
 * `terminate` releases everything the process held and tells its links and
 * monitors. One crash report per abnormal exit, written here (or by the behaviour
 * that already wrote a richer one).
 */
import { describe, ProcessExitedError } from '../errors';
import { getLogger, logEnabled } from '../logger';
import { isCleanExit, thrownReason, type ExitReason } from './exit';
import { Monitor, type CallerLink } from './monitor';
import { ProcessExit, type Process } from './process';

const log = getLogger('process');

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
  if (crashed && !p.reported && !isCleanExit(reason) && logEnabled('error')) {
    log.error('crash report', {
      pid: p.pid.toString(),
      name: p.name ?? undefined,
      label: p.label ?? undefined,
      reason: describe(reason),
      stack: reason instanceof Error ? reason.stack : undefined,
    });
  }
  node.notifyExit(p);
  // Last: what the process awaited with its signal (timers, I/O) ends once it is dead for everyone.
  node.abortFor(p);
}
