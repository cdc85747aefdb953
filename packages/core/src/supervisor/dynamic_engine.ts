/**
 * The dynamic supervisor process (OTP `simple_one_for_one`, Elixir's
 * DynamicSupervisor): no children at start, one child template, children added by
 * `startChild(args)` up to `maxChildren`, each restarted on its own (one for one)
 * with the args it was started with. The GenServer, the restart executor and
 * stopping one child are shared with the static supervisor (engine.ts).
 *
 * Differences from the static engine, as OTP: children have no ids (they are named
 * by pid), a child that is not running is dropped (nothing is kept for
 * `restartChild`, and `restartChild` and `deleteChild` are not supported),
 * `terminateChild` takes a pid, and on shutdown all children are told to stop at
 * once (then killed together when the shutdown time runs out), not one by one.
 * Children sit in a Map, so adding and dropping one costs the same however many
 * there are.
 */
import { Call } from '../gen_server/decorators';
import type { ProcessContext } from '../runtime/context';
import { Pid } from '../runtime/pid';
import type { Process } from '../runtime/process';
import { checkChildTemplate, checkFlags, type CheckedChildSpec } from './child_spec';
import { shutdownChildren, SupervisedChild } from './children';
import type { DynamicSupervisorInit } from './dynamic_supervisor';
import { SupervisorServer } from './engine';
import { Handoff, type ChildInfo, type SupervisorReply } from './protocol';

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

/** @internal one dynamic supervisor and its children. */
export class DynamicSupervisorServer extends SupervisorServer<DynamicChild, DynamicSupervisorInit> {
  private readonly entries = new Map<number, DynamicChild>();
  private nextKey = 1;
  private template!: CheckedChildSpec;

  protected setup({ flags, child }: DynamicSupervisorInit): void {
    this.configure(checkFlags(flags, true));
    this.template = checkChildTemplate(child);
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

  protected remove(child: DynamicChild): void {
    this.entries.delete(child.key);
    if (child.pid !== null) this.byPid.delete(child.pid.key);
  }

  /** Stops every child at once. */
  protected async terminateAll(): Promise<void> {
    const live = [...this.byPid.values()];
    const pids = live.map((c) => c.pid!);
    for (const c of live) c.pid = null;
    this.byPid.clear();
    const outcomes = await shutdownChildren(this.ctx, pids, this.template.shutdown);
    outcomes.forEach((o, i) => this.stopped(live[i]!, pids[i]!, o));
  }

  // ---- the API ----

  @Call('which_children')
  whichChildren(): SupervisorReply {
    const { type, restart } = this.template;
    const out: ChildInfo[] = [];
    for (const c of this.entries.values()) out.push({ id: undefined, pid: c.pid ?? 'restarting', type, restart });
    return { ok: out };
  }

  @Call('count_children')
  countChildren(): SupervisorReply {
    const active = this.byPid.size;
    const sup = this.template.type === 'supervisor';
    return { ok: { specs: 1, active, supervisors: sup ? this.entries.size : 0, workers: sup ? 0 : this.entries.size } };
  }

  /** A child with `args` (a child spec is refused: children come from the template). */
  @Call('start_child')
  startChild(args: unknown): SupervisorReply | Promise<SupervisorReply> {
    if (args instanceof Handoff) return { error: { code: 'not_supported' } };
    if (this.entries.size >= this.flags.maxChildren) return { error: { code: 'max_children' } };
    const child = new DynamicChild(this.nextKey++, args, this.template);
    return this.startForCall(child, (v) => {
      if (v === 'ignore') return;
      this.entries.set(child.key, child);
      this.started(child, v);
    });
  }

  /**
   * A child by pid. As OTP: a child waiting for a retried restart is named by its old
   * pid and dropped (no more retries); a pid that died meanwhile is ok.
   */
  @Call('terminate_child')
  terminateChild(which: string | Pid): SupervisorReply | Promise<SupervisorReply> {
    if (!(which instanceof Pid)) return { error: { code: 'not_found' } };
    const child = this.byPid.get(which.key);
    if (child !== undefined) {
      this.remove(child);
      return this.stopChild(child).then((): SupervisorReply => ({ ok: true }));
    }
    for (const c of this.entries.values()) {
      if (c.restarting && c.lastPid !== null && c.lastPid.equals(which)) {
        this.remove(c);
        return { ok: true };
      }
    }
    return this.notRunningPid(which);
  }

  /** Nothing is kept of a child that is not running: nothing to restart or delete. */
  @Call('restart_child')
  @Call('delete_child')
  notSupported(): SupervisorReply {
    return { error: { code: 'not_supported' } };
  }
}
