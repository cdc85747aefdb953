/**
 * The static supervisor process (OTP `supervisor.erl`): children from specs, with
 * ids, in start order. The loop, the restart executor and stopping are shared with
 * the dynamic supervisor (supervisor_process.ts); calls are answered in
 * supervisor_calls.ts.
 *
 * - Start: children start one after the other, each `start(ctx)` awaited. One that
 *   fails stops those already started (last first) and the supervisor exits with
 *   `{ shutdown: { failedToStartChild: id, reason } }`; `'ignore'` keeps the spec
 *   without a process (a temporary child's spec is dropped).
 * - A child that ends without being restarted, or whose restart answers
 *   `'ignore'`, keeps its spec (a temporary child's is dropped) for `restartChild`.
 * - Stop: children stop one by one, last started first.
 */
import type { CheckedChildSpec } from './child_spec';
import type { GenCall } from '../gen';
import type { Pid } from '../runtime/pid';
import { ProcessExit, type Process } from '../runtime/process';
import * as calls from './calls';
import { SupervisorProcess, type SupervisedChild } from './engine';
import { startFailure } from './protocol';
import * as report from './report';

/** A child slot: its checked spec and its process, if any. @internal */
export class Child implements SupervisedChild {
  pid: Pid | null = null;
  restarting = false;
  constructor(readonly spec: CheckedChildSpec) {}
  get id(): string {
    return this.spec.id;
  }
  get key(): string {
    return this.spec.id;
  }
  get restart(): CheckedChildSpec['restart'] {
    return this.spec.restart;
  }
  get type(): CheckedChildSpec['type'] {
    return this.spec.type;
  }
  get shutdown(): CheckedChildSpec['shutdown'] {
    return this.spec.shutdown;
  }
  get significant(): boolean {
    return this.spec.significant;
  }
  get alive(): boolean {
    return this.pid !== null;
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
        report.reportStartError(this, child, e);
        await this.terminateAll();
        throw new ProcessExit({ shutdown: { failedToStartChild: spec.id, reason: startFailure(e).reason } });
      }
      if (v === 'ignore' && spec.restart === 'temporary') continue;
      this.add(child);
      if (v !== 'ignore') this.started(child, v);
    }
  }

  protected handleCall(call: GenCall): void | Promise<unknown> {
    return calls.handleCall(this, call);
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

  /** @internal */
  add(child: Child): void {
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
}
