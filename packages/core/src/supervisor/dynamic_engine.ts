/**
 * The dynamic supervisor process (OTP `simple_one_for_one`, Elixir's
 * DynamicSupervisor): no children at start, one child template, children added by
 * `startChild(args)` up to `maxChildren`, each restarted on its own (one for one)
 * with the args it was started with. The loop, the restart executor and stopping
 * one child are shared with the static supervisor (engine.ts).
 *
 * Differences from the static engine, as OTP: children have no ids (they are named
 * by pid), a child that is not running is dropped (nothing is kept for
 * `restartChild`, and `restartChild` and `deleteChild` are not supported),
 * `terminateChild` takes a pid, and on shutdown all children are told to stop at
 * once (then killed together when the shutdown time runs out), not one by one.
 * Children sit in a Map, so adding and dropping one costs the same however many
 * there are.
 */
import type { GenCall } from '../gen';
import type { ProcessContext } from '../runtime/context';
import { Pid } from '../runtime/pid';
import type { Process } from '../runtime/process';
import type { CheckedChildSpec, CheckedFlags } from './child_spec';
import { SupervisedChild, SupervisorProcess } from './engine';
import type { ChildInfo, SupervisorRequest } from './protocol';
import { shutdownChildren } from './children';

/** One dynamic child: its args and its process. */
class DynamicChild extends SupervisedChild {
  constructor(
    readonly key: number,
    readonly args: unknown,
    template: CheckedChildSpec,
  ) {
    super(template);
  }

  /** Reports name every child of a dynamic supervisor alike (they have no ids). */
  get id(): string {
    return '(dynamic)';
  }
  launch(parent: Process): unknown {
    return (this.spec.start as unknown as (parent: ProcessContext, args: unknown) => unknown)(parent, this.args);
  }
}

const NO_SIBLINGS: readonly DynamicChild[] = [];

/** @internal */
export class DynamicSupervisorEngine extends SupervisorProcess<DynamicChild> {
  private readonly entries = new Map<number, DynamicChild>();
  private nextKey = 1;

  constructor(ctx: Process, parent: Pid | null, flags: CheckedFlags, private readonly template: CheckedChildSpec, label: string) {
    super(ctx, parent, flags, label);
  }

  protected childByKey(key: unknown): DynamicChild | undefined {
    return typeof key === 'number' ? this.entries.get(key) : undefined;
  }

  /** One for one, without significant children: a plan never looks at siblings. */
  protected inOrder(): readonly DynamicChild[] {
    return NO_SIBLINGS;
  }

  protected forget(child: DynamicChild): void {
    this.remove(child);
  }

  remove(child: DynamicChild): void {
    this.entries.delete(child.key);
    if (child.pid !== null) this.byPid.delete(child.pid.key);
  }

  /** Stops every child at once. */
  async terminateAll(): Promise<void> {
    const live = [...this.byPid.values()];
    const pids = live.map((c) => c.pid!);
    for (const c of live) c.pid = null;
    this.byPid.clear();
    const outcomes = await shutdownChildren(this.ctx, pids, this.template.shutdown);
    outcomes.forEach((o, i) => this.stopped(live[i]!, pids[i]!, o));
  }

  // ---- the API ----

  protected handleCall(call: GenCall): void | Promise<unknown> {
    const req = call.request as SupervisorRequest;
    switch (req?.op) {
      case 'which_children': {
        const { type, restart } = this.template;
        const out: ChildInfo[] = [];
        for (const c of this.entries.values()) out.push({ id: undefined, pid: c.pid ?? 'restarting', type, restart });
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
        this.unexpectedCall(call);
    }
  }

  private startChild(call: GenCall, args: unknown): void | Promise<unknown> {
    if (this.entries.size >= this.flags.maxChildren) return this.answer(call, { error: { code: 'max_children' } });
    const child = new DynamicChild(this.nextKey++, args, this.template);
    return this.startForCall(child, (v) => {
      if (v === 'ignore') return;
      this.entries.set(child.key, child);
      this.started(child, v);
    }).then((r) => this.answer(call, r));
  }

  private terminateChild(call: GenCall, which: string | Pid): void | Promise<unknown> {
    const child = which instanceof Pid ? this.byPid.get(which.key) : undefined;
    if (child === undefined) return this.answer(call, { error: { code: 'not_found' } });
    this.remove(child);
    return this.stopChild(child).then(() => this.answer(call, { ok: true }));
  }
}
