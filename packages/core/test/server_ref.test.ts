import { Call, CallTimeoutError, Cast, GenServer, isPid, isServerRef, Pid, ServerRef, startSupervisor, whichChildren, type NoReply, type ProcessContext } from '@grove/core';
import { node, useNode } from './helpers';

class Counter extends GenServer<{ call: 'add' | 'get' | 'slow'; cast: 'reset' }> {
  private n = 0;
  override init(start: number) {
    this.n = start;
  }
  @Call() add(k: number): number {
    return (this.n += k);
  }
  @Call() get(): number {
    return this.n;
  }
  /** Never replies. */
  @Call() slow(): NoReply {
    return this.noReply();
  }
  @Cast() reset(): void {
    this.n = 0;
  }
}

class Ignores extends GenServer {
  override init() {
    return this.ignore();
  }
}

describe('ServerRef: what start and startLink resolve with', () => {
  useNode();

  it('is a pid with typed calls and casts from the starter', async () => {
    const ref = await Counter.start(node, 1);
    expect(ref).toBeInstanceOf(ServerRef);
    expect(isServerRef(ref)).toBe(true);
    expect(isPid(ref)).toBe(true);
    expect(node.isAlive(ref)).toBe(true);
    expect(await ref.call.add(4)).toBe(5);
    ref.cast.reset();
    expect(await ref.call.get()).toBe(0);
    // The plain pid names the same process and keys alike.
    expect(ref.pid).toBeInstanceOf(Pid);
    expect(ref.pid).not.toBeInstanceOf(ServerRef);
    expect(ref.pid.equals(ref)).toBe(true);
    expect(ref.key).toBe(ref.pid.key);
  });

  it('startLink from a process: calls go from that process, client() binds another caller', async () => {
    const done = new Promise<number[]>((resolve, reject) => {
      node.spawn(async (ctx: ProcessContext) => {
        try {
          const ref = await Counter.startLink(ctx, 10);
          const fromProcess = await ref.call.add(1);
          const fromNode = await ref.client(node).call.add(1);
          ctx.unlink(ref);
          resolve([fromProcess, fromNode]);
        } catch (e) {
          reject(e);
        }
      });
    });
    expect(await done).toEqual([11, 12]);
  });

  it('withTimeout gives the same calls another timeout', async () => {
    const ref = await Counter.start(node, 0);
    await expect(ref.withTimeout(10).call.slow()).rejects.toBeInstanceOf(CallTimeoutError);
  });

  it("resolves with 'ignore' when init ignores", async () => {
    await expect(Ignores.start(node)).resolves.toBe('ignore');
  });

  it('goes wherever a pid goes: a hand-written child spec under a supervisor', async () => {
    const sup = await startSupervisor(node, { children: [{ id: 'c', start: (parent) => Counter.startLink(parent, 3) }] });
    const [child] = await whichChildren(node, sup);
    expect(child!.pid).toBeInstanceOf(Pid);
    expect(await Counter.client(node, child!.pid as Pid).call.get()).toBe(3);
  });
});

describe('startChild with a GenServer class child spec', () => {
  useNode();

  it('resolves with a ServerRef, also for a spread of the spec, and a plain pid for other specs', async () => {
    const { startDynamicSupervisor, startChild, stopSupervisor, start } = await import('@grove/core');
    const sup = await startDynamicSupervisor(node);
    const ref = await startChild(node, sup, Counter.childSpec(2));
    expect(ref).toBeInstanceOf(ServerRef);
    expect(await (ref as ServerRef<Counter>).call.add(1)).toBe(3);
    const spread = await startChild(node, sup, { ...Counter.childSpec(7), id: 'other', restart: 'temporary' });
    expect(await (spread as ServerRef<Counter>).call.get()).toBe(7);
    const plain = await startChild(node, sup, { id: 'p', start: (parent) => start(parent, () => ({ ok: true }), () => undefined, { link: true }) });
    expect(plain).toBeInstanceOf(Pid);
    expect(plain).not.toBeInstanceOf(ServerRef);
    await stopSupervisor(node, sup);
  });
});
