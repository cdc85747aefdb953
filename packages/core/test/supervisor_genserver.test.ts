/**
 * GenServer children under supervisors: fresh state after a restart, terminate
 * on the supervisor's shutdown, a dynamic supervisor of servers.
 */
import {
  Call,
  Cast,
  SimpleOneForOneSupervisor,
  GenServer,
  stopSupervisor,
  Supervisor,
  supervisor,
  whichChildren,
  type ChildSpec,
  type ChildTemplate,
  type Pid,
} from '@grove/core';
import { node, useNode, waitFor } from './helpers';
import { pidOf } from './supervisor_helpers';

const events: string[] = [];

class Counter extends GenServer<{ call: 'bump'; cast: 'crash' }> {
  private n = 0;
  override init(name: string): void {
    this.ctx.trapExit(true);
    this.label = name;
    events.push(`init ${name}`);
  }
  private label = '';
  @Call() bump(): number {
    return ++this.n;
  }
  @Cast() crash(): void {
    throw new Error('counter crashed');
  }
  override terminate(reason: unknown): void {
    events.push(`terminate ${this.label} ${String(reason)}`);
  }
}

@supervisor({ strategy: 'one_for_one', intensity: 3, periodMs: 5000 })
class Counters extends Supervisor {
  children(): ChildSpec[] {
    return [Counter.childSpec('one', { id: 'one' }), Counter.childSpec('two', { id: 'two' })];
  }
}

@supervisor({ maxChildren: 10 })
class CounterPool extends SimpleOneForOneSupervisor<void, string> {
  child(): ChildTemplate<string> {
    return { start: (parent, name) => Counter.startLink(parent, name) };
  }
}

useNode();

beforeEach(() => {
  events.length = 0;
});

describe('GenServer children', () => {
  it('restart with fresh state after a crash', async () => {
    const sup = await Counters.start(node);
    const one = pidOf(await whichChildren(node, sup), 'one');
    const c = Counter.client(node, one);
    await c.call.bump();
    expect(await c.call.bump()).toBe(2);
    c.cast.crash();
    await waitFor(() => events.filter((e) => e === 'init one').length === 2, 'one to restart');
    const again = Counter.client(node, pidOf(await whichChildren(node, sup), 'one'));
    expect(await again.call.bump()).toBe(1);
  });

  it('run terminate with shutdown, last started first, when the supervisor stops', async () => {
    const sup = await Counters.start(node);
    await stopSupervisor(node, sup);
    expect(events).toEqual(['init one', 'init two', 'terminate two shutdown', 'terminate one shutdown']);
  });

  it('start on demand under a dynamic supervisor', async () => {
    const pool = await CounterPool.start(node);
    const a = await CounterPool.startChild(node, pool, 'a');
    await CounterPool.startChild(node, pool, 'b');
    expect(events).toEqual(['init a', 'init b']);
    expect(await Counter.client(node, a as Pid).call.bump()).toBe(1);
    await stopSupervisor(node, pool);
    expect(events.slice(2).sort()).toEqual(['terminate a shutdown', 'terminate b shutdown']);
  });
});
