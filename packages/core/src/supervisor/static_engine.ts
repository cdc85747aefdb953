/**
 * The static supervisor (OTP `supervisor.erl`): children from specs, with ids, in
 * start order, and the supervisor API as it answers it (OTP's `handle_call`). The
 * GenServer, the restart executor and stopping are shared with the dynamic
 * supervisor (engine.ts).
 *
 * - Start (in init): the flags and every spec are checked, then children start one
 *   after the other, each `start(ctx)` awaited. One that fails stops those already
 *   started (last first) and the supervisor exits with
 *   `{ shutdown: { failedToStartChild: id, reason } }`; `'ignore'` keeps the spec
 *   without a process (a temporary child's spec is dropped).
 * - A child that ends without being restarted, or whose restart answers
 *   `'ignore'`, keeps its spec (a temporary child's is dropped) for `restartChild`.
 * - Calls: start, terminate, restart and delete children, list and count them
 *   (stopping is the GenServer's `stopServer`). Each answer is `{ ok }` or
 *   `{ error }` (protocol.ts).
 * - Stop: children stop one by one, last started first.
 */
import type { ChildSpecError } from '../errors';
import { Call } from '../gen_server/decorators';
import { Pid } from '../runtime/pid';
import { ProcessExit, type Process } from '../runtime/process';
import { checkChildSpec, checkChildSpecs, checkFlags, type CheckedChildSpec } from './child_spec';
import { SupervisedChild } from './children';
import { SupervisorServer } from './engine';
import { badSpec, Handoff, startFailure, takeHandoff, type ChildCounts, type ChildInfo, type SupervisorReply } from './protocol';
import type { SupervisorInit } from './supervisor';

/** A child slot: its checked spec and its process, if any. @internal */
export class Child extends SupervisedChild {
  get id(): string {
    return this.spec.id;
  }
  get key(): string {
    return this.spec.id;
  }
  launch(parent: Process): unknown {
    return this.spec.start(parent);
  }
}

type Reply = SupervisorReply | Promise<SupervisorReply>;

/** @internal one static supervisor and its children. */
export class StaticSupervisorServer extends SupervisorServer<Child, SupervisorInit> {
  private readonly children: Child[] = [];
  private readonly byId = new Map<string, Child>();

  protected setup({ flags, children }: SupervisorInit): Promise<void> {
    const checked = checkFlags(flags, false);
    const specs = checkChildSpecs(children, checked.autoShutdown);
    this.configure(checked);
    return this.startAll(specs);
  }

  /** Starts the initial children in order; on a failure stops the started ones and exits. */
  private async startAll(specs: readonly CheckedChildSpec[]): Promise<void> {
    for (const spec of specs) {
      const child = new Child(spec);
      let v: Pid | 'ignore';
      try {
        v = await this.invokeStart(child);
      } catch (e) {
        this.reportStartError(child, e);
        await this.terminateAll();
        throw new ProcessExit({ shutdown: { failedToStartChild: spec.id, reason: startFailure(e).reason } });
      }
      if (v === 'ignore' && spec.restart === 'temporary') continue;
      this.add(child);
      if (v !== 'ignore') this.started(child, v);
    }
  }

  protected childByKey(key: unknown): Child | undefined {
    return typeof key === 'string' ? this.byId.get(key) : undefined;
  }

  protected inOrder(): readonly Child[] {
    return this.children;
  }

  protected forget(): void {
    // The spec stays, for restartChild or a later group restart.
  }

  private add(child: Child): void {
    this.children.push(child);
    this.byId.set(child.id, child);
  }

  protected remove(child: Child): void {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    this.byId.delete(child.id);
    if (child.pid !== null) this.byPid.delete(child.pid.key);
  }

  /** Stops every child, last started first. */
  protected async terminateAll(): Promise<void> {
    for (let i = this.children.length - 1; i >= 0; i--) {
      const c = this.children[i]!;
      if (c.pid !== null) await this.stopChild(c);
    }
  }

  // ---- the API ----

  @Call('which_children')
  whichChildren(): SupervisorReply {
    return { ok: this.children.map(info) };
  }

  @Call('count_children')
  countChildren(): SupervisorReply {
    let active = 0;
    let supervisors = 0;
    for (const c of this.children) {
      if (c.pid !== null) active++;
      if (c.type === 'supervisor') supervisors++;
    }
    const n = this.children.length;
    const counts: ChildCounts = { specs: n, active, supervisors, workers: n - supervisors };
    return { ok: counts };
  }

  @Call('start_child')
  startChild(spec: unknown): Reply {
    let checked: CheckedChildSpec;
    try {
      checked = checkChildSpec(spec instanceof Handoff ? takeHandoff(spec) : spec, this.flags.autoShutdown);
    } catch (e) {
      return { error: badSpec(e as ChildSpecError) };
    }
    const existing = this.byId.get(checked.id);
    if (existing !== undefined) {
      const pid = existing.pid;
      return { error: pid === null ? { code: 'already_present' } : { code: 'already_started', pid } };
    }
    const child = new Child(checked);
    return this.startForCall(child, (v) => {
      if (v !== 'ignore' || checked.restart !== 'temporary') this.add(child);
      if (v !== 'ignore') this.started(child, v);
    });
  }

  /** A child by id, or by pid (a pid that died meanwhile is ok, as for a dynamic supervisor). */
  @Call('terminate_child')
  terminateChild(which: string | Pid): Reply {
    const child = which instanceof Pid ? this.byPid.get(which.key) : this.byId.get(which);
    if (child === undefined) return which instanceof Pid ? this.notRunningPid(which) : { error: { code: 'not_found' } };
    return this.stopChild(child).then((): SupervisorReply => {
      if (child.restart === 'temporary') this.remove(child);
      return { ok: true };
    });
  }

  @Call('restart_child')
  restartChild(id: string): Reply {
    const child = this.notRunning(id);
    if (!(child instanceof Child)) return child;
    return this.startForCall(child, (v) => {
      if (v !== 'ignore') this.started(child, v);
    });
  }

  @Call('delete_child')
  deleteChild(id: string): SupervisorReply {
    const child = this.notRunning(id);
    if (!(child instanceof Child)) return child;
    this.remove(child);
    return { ok: true };
  }

  /** Child `id` when it is known and not running (restart and delete need that), else the refusal. */
  private notRunning(id: string): Child | SupervisorReply {
    const child = this.byId.get(id);
    if (child === undefined) return { error: { code: 'not_found' } };
    if (child.pid !== null) return { error: { code: 'running', pid: child.pid } };
    if (child.restarting) return { error: { code: 'restarting' } };
    return child;
  }
}

function info(c: Child): ChildInfo {
  return { id: c.id, pid: c.pid ?? (c.restarting ? 'restarting' : undefined), type: c.type, restart: c.restart };
}
