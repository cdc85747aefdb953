/**
 * `sys` across nodes: system requests are calls, so they reach a server on another
 * node, the distribution's own system processes included.
 */
import { Call, callServer, Cast, castServer, GenServer, sys, type Pid } from '@grove/core';
import { memNode, stopAll } from './router_helpers';

afterEach(stopAll);

class Tally extends GenServer<{ call: 'total'; cast: 'add' }> {
  total_ = 0;
  secret = 's3cret';
  @Call() total(): number {
    return this.total_;
  }
  @Cast() add(n: number): void {
    this.total_ += n;
  }
  override formatState(): unknown {
    return { total_: this.total_, secret: '***' };
  }
}

describe('sys on another node', () => {
  it('gets state and status, suspends and resumes, logs and counts a remote server', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    await Tally.start(b.node, undefined, { name: 'tally' });
    const far = ['tally', b.name] as const;
    expect(await sys.getState(a.node, far)).toEqual({ total_: 0, secret: 's3cret' });
    expect(await sys.getStatus(a.node, far)).toMatchObject({ module: 'Tally', name: 'tally', status: 'running', state: { total_: 0, secret: '***' } });
    await sys.suspend(a.node, far);
    castServer(a.node, far, ['add', 2]);
    await sys.log(a.node, far, 5);
    await sys.statistics(a.node, far, true);
    expect(await sys.getState(a.node, far)).toEqual({ total_: 0, secret: 's3cret' });
    await sys.resume(a.node, far);
    expect(await callServer(a.node, far, 'total')).toBe(2);
    expect(await sys.getStatistics(a.node, far)).toMatchObject({ messagesIn: 2, messagesOut: 1 });
    const events = await sys.getLog(a.node, far);
    expect(events.filter((e) => e.type === 'in').map((e) => (e as { kind: string }).kind)).toEqual(['cast', 'call']);
    expect(events).toContainEqual({ type: 'out', reply: 2, to: expect.anything() });
  });

  it('refuses a replaceState function from another node, and the server goes on', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const pid = (await Tally.start(b.node)) as Pid;
    await expect(sys.replaceState(a.node, pid, (s) => s)).rejects.toThrow(/only run on the node that made it/);
    expect(await callServer(a.node, pid, 'total')).toBe(0);
  });

  it("answers for the distribution's system processes (net_kernel, rex, global_name_server)", async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    for (const name of ['net_kernel', 'rex', 'global_name_server']) {
      const status = await sys.getStatus(a.node, [name, b.name]);
      expect(status).toMatchObject({ name, status: 'running' });
      await sys.suspend(a.node, [name, b.name]);
      await sys.resume(a.node, [name, b.name]);
    }
    // net_kernel's state holds connections: it cannot cross the wire, and the caller hears why (no timeout).
    await expect(sys.getState(a.node, ['net_kernel', b.name])).rejects.toThrow(/cannot be sent to another node/);
    expect(await b.ping(a.name)).toBe('pong');
  });
});
