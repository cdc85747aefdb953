/**
 * Stopping children the OTP way (`supervisor:shutdown/2`, `monitor_child/1`).
 *
 * 1. Monitor the child, then unlink it: from here on its death reaches the
 *    supervisor as a DOWN (with the real reason), never as an EXIT that the
 *    supervisor would take for a crash to restart.
 * 2. If the child died before the unlink, its EXIT may already sit in the mailbox:
 *    take it, and the DOWN that follows; the child stopped by itself.
 * 3. `brutal_kill`: exit signal `kill`. Otherwise exit signal `shutdown`, then wait
 *    for the DOWN for at most the shutdown time (`infinity`: for ever) and send `kill`
 *    when it does not come.
 *
 * A dynamic supervisor stops all its children at once: the same steps, each phase
 * done for every child before the next.
 */
import { TIMEOUT, type ProcessContext } from '../runtime/context';
import { isDownMessage, isExitMessage, type DownMessage, type ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import type { Ref } from '../runtime/ref';
import type { Shutdown } from './child_spec';

/** How a child ended when told to stop. */
export interface Stopped {
  readonly reason: ExitReason;
  /** The reason is the one asked for (`shutdown`, or `killed` after brutal_kill), or the child was already gone. */
  readonly expected: boolean;
}

const ALREADY_GONE: Stopped = { reason: 'noproc', expected: true };

/** Steps 1-2: monitor and unlink; the early exit reason when it was already dead. */
async function detach(sup: ProcessContext, pid: Pid): Promise<{ ref: Ref; early: Stopped | null }> {
  const ref = sup.monitor(pid);
  sup.unlink(pid);
  const exit = await sup.receive((m) => isExitMessage(m) && m.from.equals(pid), 0);
  if (exit === TIMEOUT) return { ref, early: null };
  await sup.receive((m) => isDownMessage(m, ref));
  const reason = (exit as { reason: ExitReason }).reason;
  return { ref, early: { reason, expected: reason === 'normal' || reason === 'shutdown' } };
}

function waitDown(sup: ProcessContext, ref: Ref, timeoutMs?: number): Promise<DownMessage | typeof TIMEOUT> {
  const match = (m: unknown): m is DownMessage => isDownMessage(m, ref);
  return timeoutMs === undefined ? sup.receive(match) : sup.receive(match, timeoutMs);
}

function outcome(reason: ExitReason, asked: 'shutdown' | 'killed'): Stopped {
  return reason === 'noproc' ? ALREADY_GONE : { reason, expected: reason === asked };
}

/** Stops one child per its shutdown spec; resolves with how it ended. */
export async function shutdownChild(sup: ProcessContext, pid: Pid, shutdown: Shutdown): Promise<Stopped> {
  const { ref, early } = await detach(sup, pid);
  if (early !== null) return early;
  if (shutdown === 'brutal_kill') {
    sup.exit(pid, 'kill');
    return outcome(((await waitDown(sup, ref)) as DownMessage).reason, 'killed');
  }
  sup.exit(pid, 'shutdown');
  const down = await waitDown(sup, ref, shutdown === 'infinity' ? undefined : shutdown);
  if (down !== TIMEOUT) return outcome(down.reason, 'shutdown');
  sup.exit(pid, 'kill');
  // Killed because it did not stop in time: reported, as OTP does.
  return { reason: ((await waitDown(sup, ref)) as DownMessage).reason, expected: false };
}

/**
 * Stops many children with the same shutdown spec at once: all are told to stop,
 * then the supervisor waits (at most the shutdown time in all) and kills the rest.
 * Resolves with each child's outcome, in the order given.
 */
export async function shutdownChildren(sup: ProcessContext, pids: readonly Pid[], shutdown: Shutdown): Promise<Stopped[]> {
  const detached = [];
  for (const pid of pids) detached.push(await detach(sup, pid));
  const results: (Stopped | null)[] = detached.map((d) => d.early);
  const asked = shutdown === 'brutal_kill' ? 'killed' : 'shutdown';
  for (let i = 0; i < pids.length; i++) if (results[i] === null) sup.exit(pids[i]!, shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
  const clock = sup.node.clock;
  const deadline = typeof shutdown === 'number' ? clock.now() + shutdown : Infinity;
  for (let i = 0; i < pids.length; i++) {
    if (results[i] !== null) continue;
    const left = deadline === Infinity ? undefined : Math.max(0, Math.ceil(deadline - clock.now()));
    const down = await waitDown(sup, detached[i]!.ref, left);
    if (down !== TIMEOUT) {
      results[i] = outcome(down.reason, asked);
      continue;
    }
    sup.exit(pids[i]!, 'kill');
    results[i] = { reason: ((await waitDown(sup, detached[i]!.ref)) as DownMessage).reason, expected: false };
  }
  return results as Stopped[];
}
