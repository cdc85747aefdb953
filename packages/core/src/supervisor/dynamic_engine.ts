/**
 * The dynamic supervisor process, in two forms: Elixir's DynamicSupervisor (any
 * child spec per `startChild(spec)`, each started with `extraArguments` after the
 * parent) and OTP's `simple_one_for_one` (one child template, children added by
 * `startChild(args)`). No children at start, children up to `maxChildren`, each
 * restarted on its own (one for one) as it was first started. The GenServer, the restart executor and
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
import { ChildSpecError } from '../errors';
import { checkChildSpec, checkChildTemplate, checkFlags, type CheckedChildSpec } from './child_spec';
import { shutdownChildren, SupervisedChild } from './children';
import type { DynamicSupervisorInit, SimpleOneForOneInit } from './dynamic_supervisor';
import { SupervisorServer } from './engine';
import { badSpec, Handoff, takeHandoff, type ChildInfo, type SupervisorReply } from './protocol';

/**
 * One dynamic child: its spec, what its start is given after the parent (the
 * template form: its args; the spec form: the supervisor's extra arguments), and its process.
 */
class DynamicChild extends SupervisedChild {
  constructor(
    readonly key: number,
    readonly args: readonly unknown[],
    spec: CheckedChildSpec,
  ) {
    super(spec);
  }

  /** Reports name every child of a dynamic supervisor alike (they have no ids). */
  get id(): string {
    return '(dynamic)';
  }
  launch(parent: Process): unknown {
    return (this.spec.start as unknown as (parent: ProcessContext, ...args: unknown[]) => unknown)(parent, ...this.args);
  }
}

const NO_SIBLINGS: readonly DynamicChild[] = [];

/** @internal one dynamic supervisor and its children. */
export class DynamicSupervisorServer extends SupervisorServer<DynamicChild, SimpleOneForOneInit | DynamicSupervisorInit> {
  private readonly entries = new Map<number, DynamicChild>();
  private nextKey = 1;
  /** The simple_one_for_one form's template; null for Elixir's (a spec per child). */
  private template: CheckedChildSpec | null = null;
  private extra: readonly unknown[] = [];

  protected setup(init: SimpleOneForOneInit | DynamicSupervisorInit): void {
    this.configure(checkFlags(init.flags, true));
    if ('child' in init) {
      this.template = checkChildTemplate(init.child);
      return;
    }
    const extra = (init as DynamicSupervisorInit).extraArguments ?? [];
    if (!Array.isArray(extra)) throw new ChildSpecError(undefined, 'extraArguments', `dynamic supervisor: extraArguments must be an array, got ${String(extra)}`);
    this.extra = extra.slice();
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
    const live = this.byPid.values();
    const pids = live.map((c) => c.pid!);
    for (const c of live) c.pid = null;
    this.byPid.clear();
    // All at once, each within its own shutdown (the template's, or each spec's).
    const outcomes = await shutdownChildren(this.ctx, pids, this.template !== null ? this.template.shutdown : live.map((c) => c.shutdown));
    outcomes.forEach((o, i) => this.stopped(live[i]!, pids[i]!, o));
  }

  // ---- the API ----

  @Call('which_children')
  whichChildren(): SupervisorReply {
    const out: ChildInfo[] = [];
    for (const c of this.entries.values()) out.push({ id: undefined, pid: c.pid ?? 'restarting', type: c.type, restart: c.restart });
    return { ok: out };
  }

  @Call('count_children')
  countChildren(): SupervisorReply {
    const active = this.byPid.size;
    let supervisors = 0;
    for (const c of this.entries.values()) if (c.type === 'supervisor') supervisors++;
    // OTP counts the template as the one spec; Elixir counts every child's.
    const specs = this.template !== null ? 1 : this.entries.size;
    return { ok: { specs, active, supervisors, workers: this.entries.size - supervisors } };
  }

  /**
   * simple_one_for_one: a child with `args` (a child spec is refused: children come
   * from the template). Elixir's form: a child from its spec, started with the
   * extra arguments.
   */
  @Call('start_child')
  startChild(arg: unknown): SupervisorReply | Promise<SupervisorReply> {
    let child: DynamicChild;
    if (this.template !== null) {
      if (arg instanceof Handoff) {
        takeHandoff(arg);
        return { error: { code: 'not_supported' } };
      }
      if (this.entries.size >= this.flags.maxChildren) return { error: { code: 'max_children' } };
      child = new DynamicChild(this.nextKey++, [arg], this.template);
    } else {
      let spec: CheckedChildSpec;
      try {
        spec = checkChildSpec(arg instanceof Handoff ? takeHandoff(arg) : arg);
      } catch (e) {
        return { error: badSpec(e as ChildSpecError) };
      }
      if (this.entries.size >= this.flags.maxChildren) return { error: { code: 'max_children' } };
      child = new DynamicChild(this.nextKey++, this.extra, spec);
    }
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
