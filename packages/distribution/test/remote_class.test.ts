/**
 * Typed remote starts: a GenServer class registered under its own name, started on
 * another node by class (spawnRemote, remoteChild), with init's argument checked at
 * compile time (see also test/types in @grove/core's style: the `@ts-expect-error`
 * lines below must fail to compile).
 */
import { Call, Cast, GenServer, Pid, ServerRef, startSupervisor, stopSupervisor, whichChildren, type ProcessContext } from '@grove/core';
import { remoteChild, spawnRemote, SpawnError, type DistNode } from '@grove/distribution';
import { memNode, stopAll } from './router_helpers';

afterEach(stopAll);

class Counter extends GenServer<{ call: 'add' | 'where'; cast: 'reset' }> {
  private n = 0;
  override init(start: number) {
    this.n = start;
  }
  @Call() add(k: number): number {
    return (this.n += k);
  }
  @Call() where(): string {
    return this.ctx.node.name;
  }
  @Cast() reset(): void {
    this.n = 0;
  }
}

class Idle extends GenServer<{ call: 'ping' }> {
  @Call() ping(): 'pong' {
    return 'pong';
  }
}

async function pair(): Promise<[DistNode, DistNode]> {
  const [a, b] = [await memNode('a'), await memNode('b')];
  b.registerSpawnable(Counter);
  b.registerSpawnable(Idle);
  return [a, b];
}

describe('typed remote starts by class', () => {
  it('registerSpawnable(Cls) registers it under the class name', async () => {
    const [a, b] = await pair();
    const pid = await spawnRemote(a.node, b.name, 'Counter', [3]);
    expect(await Counter.client(a.node, pid).call.add(1)).toBe(4);
    // Registering the same class again is fine; another spawnable under its name is not.
    b.registerSpawnable(Counter);
    expect(() => b.registerSpawnable('Counter', Idle)).toThrow(/already registered/);
  });

  it('spawnRemote(ctx, node, Cls, arg) resolves with a typed ServerRef on the other node', async () => {
    const [a, b] = await pair();
    const got = await a.node.run(async (ctx: ProcessContext) => {
      const counter = await spawnRemote(ctx, b.name, Counter, 5);
      const idle = await spawnRemote(ctx, b.name, Idle);
      const r = { isRef: counter instanceof ServerRef, node: counter.node, added: await counter.call.add(2), where: await counter.call.where(), pong: await idle.call.ping() };
      counter.cast.reset();
      return { ...r, after: await counter.call.add(0) };
    });
    expect(got).toEqual({ isRef: true, node: b.name, added: 7, where: b.name, pong: 'pong', after: 0 });
  });

  it('spawnRemote from a Node, and a class the other node did not register', async () => {
    const [a, b] = await pair();
    class Unknown extends GenServer {}
    const ref = await spawnRemote(a.node, b.name, Counter, 1);
    expect(await ref.call.add(1)).toBe(2);
    await expect(spawnRemote(a.node, b.name, Unknown)).rejects.toBeInstanceOf(SpawnError);
    await expect(spawnRemote(a.node, b.name, (() => 1) as unknown as typeof Counter, 1)).rejects.toThrow(/expected a GenServer class/);
  });

  it('remoteChild(Cls, { node, args }) runs the class on the other node under a supervisor', async () => {
    const [a, b] = await pair();
    const got = await a.node.run(async (ctx: ProcessContext) => {
      const sup = await startSupervisor(ctx, { children: [remoteChild(Counter, { node: b.name, args: 40 }), remoteChild(Idle, { node: b.name, id: 'idle' })] });
      const children = await whichChildren(ctx, sup);
      const counter = children[0]!.pid as Pid;
      const r = { ids: children.map((c) => c.id), node: counter.node, added: await Counter.client(ctx, counter).call.add(2) };
      await stopSupervisor(ctx, sup);
      return r;
    });
    expect(got).toEqual({ ids: ['Counter', 'idle'], node: b.name, added: 42 });
  });
});

/** Compile-time checks only (never called). */
export async function typeChecks(ctx: ProcessContext, b: DistNode): Promise<void> {
  const c: ServerRef<Counter> = await spawnRemote(ctx, b.name, Counter, 1);
  const n: number = await c.call.add(1);
  void n;
  // @ts-expect-error: init takes a number
  await spawnRemote(ctx, b.name, Counter, 'one');
  // @ts-expect-error: init's argument is required
  await spawnRemote(ctx, b.name, Counter);
  // @ts-expect-error: add takes a number
  await c.call.add('1');
  const p: Pid = await spawnRemote(ctx, b.name, 'counter', [1]);
  void p;
  remoteChild(Counter, { node: b.name, args: 1, restart: 'transient' });
  // @ts-expect-error: args is init's argument, a number
  remoteChild(Counter, { node: b.name, args: 'x' });
  // @ts-expect-error: args is required when init needs one
  remoteChild(Counter, { node: b.name });
  remoteChild(Idle, { node: b.name });
}
