/**
 * The dynamic supervisor process (OTP `simple_one_for_one`, Elixir's
 * DynamicSupervisor): no children at start, one child template, children added by
 * `startChild(args)` up to `maxChildren`, each restarted on its own (one for one)
 * with the args it was started with.
 *
 * Differences from the static engine, as OTP: children have no ids (they are named
 * by pid), `restartChild` and `deleteChild` are not supported, `terminateChild`
 * takes a pid and forgets the child whatever its restart type, and on shutdown all
 * children are told to stop at once (then killed together when the shutdown time
 * runs out), not one by one.
 */
import type { CheckedChildSpec } from './child_spec';
import { shutdownChild, shutdownChildren } from './child_shutdown';
import type { ProcessContext } from './context';
import { BadArgError, describe } from './errors';
import { isCleanExit, isExitMessage, type ExitReason } from './exit';
import { GenCall, reply } from './gen';
import { SystemStop } from './gen_server_actions';
import { getLogger } from './logger';
import { Pid } from './pid';
import { ProcessExit, type Process } from './process';
import { RestartIntensity } from './restart_intensity';
import type { CheckedFlags } from './supervisor_flags';
import { startFailure, type ChildInfo, type SupervisorReply, type SupervisorRequest } from './supervisor_protocol';
import * as report from './supervisor_report';
import { mustRestart } from './supervisor_strategy';

const RETRY = '$dynamic_supervisor_retry';

/** One dynamic child: its args, and its pid (null while a failed restart waits for its retry). */
interface Entry {
  readonly key: number;
  readonly args: unknown;
  pid: Pid | null;
}

/** @internal */
export class DynamicSupervisorEngine {
  private readonly entries = new Map<number, Entry>();
  private readonly byPid = new Map<string, Entry>();
  private readonly restarts: RestartIntensity;
  private readonly start: (parent: ProcessContext, args: unknown) => unknown;
  private nextKey = 1;
  /** The report shape of every child. */
  private readonly child: { id: string; restart: string; type: string };

  constructor(
    private readonly ctx: Process,
    private readonly parent: Pid | null,
    private readonly flags: CheckedFlags,
    private readonly template: CheckedChildSpec,
    private readonly label: string,
  ) {
    this.restarts = new RestartIntensity(flags.intensity, flags.periodMs);
    this.start = template.start as unknown as (parent: ProcessContext, args: unknown) => unknown;
    this.child = { id: '(dynamic)', restart: template.restart, type: template.type };
  }

  toString(): string {
    return this.ctx.name ?? `${this.label}${this.ctx.pid}`;
  }

  readonly handle = (msg: unknown): void | Promise<unknown> => {
    if (isExitMessage(msg)) return this.onExit(msg.from, msg.reason);
    if (msg instanceof GenCall) return this.onCall(msg);
    if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === RETRY) {
      const e = this.entries.get((msg as { key: number }).key);
      if (e !== undefined && e.pid === null) return this.restart(e);
      return;
    }
    getLogger('supervisor').warn('unexpected message', { supervisor: String(this), message: describe(msg) });
  };

  private onExit(from: Pid, reason: ExitReason): void | Promise<unknown> {
    const e = this.byPid.get(from.key);
    if (e === undefined) {
      if (this.parent !== null && from.equals(this.parent)) return this.stopAll(reason);
      return;
    }
    this.byPid.delete(from.key);
    e.pid = null;
    const restart = this.template.restart;
    if (restart === 'permanent' || !isCleanExit(reason)) report.reportTerminated(this, this.child, from, reason);
    if (!mustRestart(restart, reason)) {
      this.entries.delete(e.key);
      return;
    }
    return this.restart(e);
  }

  /** Counts a restart, then starts the entry again (or gives up). */
  private restart(e: Entry): void | Promise<unknown> {
    if (!this.restarts.add(this.ctx.node.clock.now())) {
      this.entries.delete(e.key);
      report.reportGivingUp(this, 'reached_max_restart_intensity', this.child);
      return this.stopAll('shutdown');
    }
    report.reportRestarting(this, 'one_for_one', this.child);
    let r: unknown;
    try {
      r = this.start(this.ctx, e.args);
    } catch (err) {
      return this.restartFailed(e, err);
    }
    return Promise.resolve(r).then(
      (v) => {
        if (v instanceof Pid) this.running(e, v);
        else if (v === 'ignore') this.entries.delete(e.key);
        else this.restartFailed(e, badResult(v));
      },
      (err: unknown) => this.restartFailed(e, err),
    );
  }

  private restartFailed(e: Entry, err: unknown): void {
    report.reportStartError(this, this.child, err);
    this.ctx.send(this.ctx.self, { type: RETRY, key: e.key });
  }

  private running(e: Entry, pid: Pid): void {
    e.pid = pid;
    this.byPid.set(pid.key, e);
    const links = this.ctx.links;
    if (links === null || !links.has(pid.key)) this.ctx.link(pid);
    report.reportStarted(this, this.child, pid);
  }

  private async stopAll(reason: ExitReason): Promise<never> {
    await this.terminateAll();
    throw new ProcessExit(reason);
  }

  /** Stops every child at once. */
  private async terminateAll(): Promise<void> {
    const live = [...this.entries.values()].filter((e) => e.pid !== null);
    const pids = live.map((e) => e.pid!);
    for (const e of live) e.pid = null;
    this.byPid.clear();
    const outcomes = await shutdownChildren(this.ctx, pids, this.template.shutdown);
    outcomes.forEach((o, i) => {
      if (!o.expected) report.reportShutdownError(this, this.child, pids[i]!, o.reason);
    });
  }

  // ---- the API ----

  private answer(call: GenCall, value: SupervisorReply): void {
    reply(this.ctx.node, call.from, value);
  }

  private onCall(call: GenCall): void | Promise<unknown> {
    if (call.request instanceof SystemStop) {
      const reason = call.request.reason;
      return this.terminateAll().then(() => {
        reply(this.ctx.node, call.from, 'ok');
        throw new ProcessExit(reason);
      });
    }
    const req = call.request as SupervisorRequest;
    switch (req?.op) {
      case 'which_children': {
        const { type, restart } = this.template;
        const out: ChildInfo[] = [];
        for (const e of this.entries.values()) out.push({ id: undefined, pid: e.pid ?? 'restarting', type, restart });
        return this.answer(call, { ok: out });
      }
      case 'count_children': {
        const active = this.byPid.size;
        const sup = this.template.type === 'supervisor';
        return this.answer(call, { ok: { specs: 1, active, supervisors: sup ? this.entries.size : 0, workers: sup ? 0 : this.entries.size } });
      }
      case 'start_child':
        if (req.handoff !== undefined) return this.answer(call, { error: { code: 'not_supported' } });
        return this.startChild(call, req.args);
      case 'terminate_child':
        return this.terminateChild(call, req.child);
      case 'restart_child':
      case 'delete_child':
        return this.answer(call, { error: { code: 'not_supported' } });
      default:
        getLogger('supervisor').warn('unexpected call', { supervisor: String(this), request: describe(req) });
    }
  }

  private startChild(call: GenCall, args: unknown): void | Promise<unknown> {
    if (this.entries.size >= this.flags.maxChildren) return this.answer(call, { error: { code: 'max_children' } });
    let r: unknown;
    try {
      r = this.start(this.ctx, args);
    } catch (err) {
      r = Promise.reject(err);
    }
    return Promise.resolve(r).then(
      (v) => {
        if (v instanceof Pid) {
          const e: Entry = { key: this.nextKey++, args, pid: null };
          this.entries.set(e.key, e);
          this.running(e, v);
        } else if (v !== 'ignore') {
          throw badResult(v);
        }
        this.answer(call, { ok: v });
      },
    ).catch((err: unknown) => {
      report.reportStartError(this, this.child, err);
      this.answer(call, { error: startFailure(err) });
    });
  }

  private terminateChild(call: GenCall, which: string | Pid): void | Promise<unknown> {
    const e = which instanceof Pid ? this.byPid.get(which.key) : undefined;
    if (e === undefined) return this.answer(call, { error: { code: 'not_found' } });
    const pid = e.pid!;
    this.byPid.delete(pid.key);
    this.entries.delete(e.key);
    return shutdownChild(this.ctx, pid, this.template.shutdown).then((o) => {
      if (!o.expected) report.reportShutdownError(this, this.child, pid, o.reason);
      this.answer(call, { ok: true });
    });
  }
}

function badResult(v: unknown): BadArgError {
  return new BadArgError(`a dynamic child's start resolved with ${describe(v)}; expected a Pid or 'ignore'`, v);
}
