/**
 * global as a `via` registry: GenServers and Supervisors named cluster-wide, reached
 * from any node, restarted under the same name.
 */
import { Call, CallExitError, GenServer, isAlreadyStarted, startSupervisor, whichChildren, type Pid } from '@grove/core';
import { globalOf } from '@grove/distribution';
import { cluster, exitReason, stopAll, waitFor } from './global_helpers';

afterEach(stopAll);

class Counter extends GenServer<{ call: 'add' }> {
  private n = 0;
  @Call() add(k: number): number {
    return (this.n += k);
  }
}

describe('global as a via registry', () => {
  it('names a GenServer for the whole cluster; clients on other nodes call it by that name', async () => {
    const [a, b, c] = await cluster(3);
    const pid = (await Counter.start(a.node, undefined, { name: globalOf(a).via('counter') })) as Pid;
    expect(globalOf(c).whereisName('counter')?.key).toBe(pid.key);
    const fromB = Counter.client(b.node, globalOf(b).via('counter'));
    expect(await fromB.call.add(2)).toBe(2);
    expect(await Counter.client(c.node, globalOf(c).via('counter')).call.add(3)).toBe(5);
  });

  it('refuses a second server under the same global name, from another node', async () => {
    const [a, b] = await cluster(2);
    const first = (await Counter.start(a.node, undefined, { name: globalOf(a).via('only') })) as Pid;
    const second = Counter.start(b.node, undefined, { name: globalOf(b).via('only') });
    const e = await second.catch((err: unknown) => err);
    expect(isAlreadyStarted(e) && e.reason.alreadyStarted.equals(first)).toBe(true);
  });

  it('frees the name when the server stops, so another node can start it', async () => {
    const [a, b] = await cluster(2);
    const pid = (await Counter.start(a.node, undefined, { name: globalOf(a).via('moving') })) as Pid;
    const dead = exitReason(a.node, pid);
    a.node.exit(pid, 'kill');
    await dead;
    await waitFor(() => globalOf(b).whereisName('moving') === undefined, 'the name to go on b');
    const moved = (await Counter.start(b.node, undefined, { name: globalOf(b).via('moving') })) as Pid;
    expect(globalOf(a).whereisName('moving')?.key).toBe(moved.key);
    await expect(Counter.client(a.node, globalOf(a).via('gone')).call.add(1)).rejects.toThrow(CallExitError);
  });

  it('re-registers a supervised child under its global name after a crash', async () => {
    const [a, b] = await cluster(2);
    const sup = await startSupervisor(a.node, {
      flags: { strategy: 'one_for_one', intensity: 5, periodMs: 5000 },
      children: [Counter.childSpec(undefined, { id: 'counter', name: globalOf(a).via('supervised') })],
    });
    const first = (await whichChildren(a.node, sup))[0]!.pid as Pid;
    expect(globalOf(b).whereisName('supervised')?.key).toBe(first.key);
    a.node.exit(first, 'crash');
    await waitFor(() => {
      const p = globalOf(b).whereisName('supervised');
      return p !== undefined && !p.equals(first);
    }, 'the restarted child to hold the name on b');
    const second = (await whichChildren(a.node, sup))[0]!.pid as Pid;
    expect(globalOf(b).whereisName('supervised')?.key).toBe(second.key);
    expect(await Counter.client(b.node, globalOf(b).via('supervised')).call.add(1)).toBe(1);
  });

  it('names a Supervisor globally: its API works by that name from another node', async () => {
    const [a, b] = await cluster(2);
    const sup = await startSupervisor(a.node, { children: [Counter.childSpec()] }, { name: globalOf(a).via('root_sup') });
    expect(globalOf(b).whereisName('root_sup')?.key).toBe(sup.key);
    const children = await whichChildren(b.node, globalOf(b).via('root_sup'));
    expect(children.map((c) => c.id)).toEqual(['Counter']);
  });
});
