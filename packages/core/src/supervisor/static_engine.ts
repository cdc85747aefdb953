/**
 * The static supervisor process (OTP `supervisor.erl`): children from specs, with
 * ids, in start order, and the supervisor API as it answers it (OTP's
 * `handle_call`). The loop, the restart executor and stopping are shared with the
 * dynamic supervisor (engine.ts).
 *
 * - Start: children start one after the other, each `start(ctx)` awaited. One that
 *   fails stops those already started (last first) and the supervisor exits with
 *   `{ shutdown: { failedToStartChild: id, reason } }`; `'ignore'` keeps the spec
 *   without a process (a temporary child's spec is dropped).
 * - A child that ends without being restarted, or whose restart answers
 *   `'ignore'`, keeps its spec (a temporary child's is dropped) for `restartChild`.
 * - Calls: start, terminate, restart and delete children, list and count them
 *   (stopping is answered by every supervisor alike, in engine.ts). Each answer is
 *   `{ ok }` or `{ error }` (protocol.ts).
 * - Stop: children stop one by one, last started first.
 */
import type { ChildSpecError } from '../errors';
import type { GenCall } from '../gen';
import { Pid } from '../runtime/pid';
import { ProcessExit, type Process } from '../runtime/process';
import { checkChildSpec, type CheckedChildSpec } from './child_spec';
import { SupervisedChild, SupervisorProcess } from './engine';
import { badSpec, startFailure, takeHandoff, type ChildCounts, type ChildInfo, type SupervisorReply, type SupervisorRequest } from './protocol';

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

/** @internal one static supervisor's children. */
export class SupervisorEngine extends SupervisorProcess<Child> {
  /** @internal */ readonly children: Child[] = [];
  /** @internal */ readonly byId = new Map<string, Child>();

  /** Starts the initial children in order; on a failure stops the started ones and exits. */
  async startAll(specs: readonly CheckedChildSpec[]): Promise<void> {
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

  /** @internal */
  remove(child: Child): void {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    this.byId.delete(child.id);
    if (child.pid !== null) this.byPid.delete(child.pid.key);
  }

  /** Stops every child, last started first. */
  async terminateAll(): Promise<void> {
    for (let i = this.children.length - 1; i >= 0; i--) {
      const c = this.children[i]!;
      if (c.pid !== null) await this.stopChild(c);
    }
  }

  // ---- the API ----

  protected handleCall(call: GenCall): void | Promise<unknown> {
    const req = call.request as SupervisorRequest;
    switch (req?.op) {
      case 'which_children':
        return this.answer(call, { ok: this.children.map(info) });
      case 'count_children':
        return this.answer(call, { ok: this.counts() });
      case 'start_child':
        return this.answerWhenDone(call, this.startChild(req.handoff !== undefined ? takeHandoff(req.handoff) : req.args));
      case 'terminate_child':
        return this.answerWhenDone(call, this.terminateChild(req.child));
      case 'restart_child':
        return this.answerWhenDone(call, this.restartChild(req.id));
      case 'delete_child':
        return this.answer(call, this.deleteChild(req.id));
      default:
        this.unexpectedCall(call);
    }
  }

  private answerWhenDone(call: GenCall, r: SupervisorReply | Promise<SupervisorReply>): void | Promise<unknown> {
    if (r instanceof Promise) return r.then((v) => this.answer(call, v));
    this.answer(call, r);
  }

  private counts(): ChildCounts {
    let active = 0;
    let supervisors = 0;
    for (const c of this.children) {
      if (c.pid !== null) active++;
      if (c.type === 'supervisor') supervisors++;
    }
    const n = this.children.length;
    return { specs: n, active, supervisors, workers: n - supervisors };
  }

  private startChild(spec: unknown): SupervisorReply | Promise<SupervisorReply> {
    let checked: CheckedChildSpec;
    try {
      checked = checkChildSpec(spec, this.flags.autoShutdown);
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

  private terminateChild(which: string | Pid): SupervisorReply | Promise<SupervisorReply> {
    const child = which instanceof Pid ? this.byPid.get(which.key) : this.byId.get(which);
    if (child === undefined) return { error: { code: 'not_found' } };
    return this.stopChild(child).then(() => {
      if (child.restart === 'temporary') this.remove(child);
      return { ok: true };
    });
  }

  private restartChild(id: string): SupervisorReply | Promise<SupervisorReply> {
    const child = this.byId.get(id);
    if (child === undefined) return { error: { code: 'not_found' } };
    if (child.pid !== null) return { error: { code: 'running', pid: child.pid } };
    if (child.restarting) return { error: { code: 'restarting' } };
    return this.startForCall(child, (v) => {
      if (v !== 'ignore') this.started(child, v);
    });
  }

  private deleteChild(id: string): SupervisorReply {
    const child = this.byId.get(id);
    if (child === undefined) return { error: { code: 'not_found' } };
    if (child.pid !== null) return { error: { code: 'running', pid: child.pid } };
    if (child.restarting) return { error: { code: 'restarting' } };
    this.remove(child);
    return { ok: true };
  }
}

function info(c: Child): ChildInfo {
  return { id: c.id, pid: c.pid ?? (c.restarting ? 'restarting' : undefined), type: c.type, restart: c.restart };
}
