/**
 * Elixir's Agent (src/agent/): state behind a process, changed by functions run in it.
 */
import { Agent, BadArgError, CallExitError, Registry, Pid, classCodecNamed, startSupervisor, whichChildren, stopServer } from '@grove/core';
import { downReason, node, useNode, waitFor } from './helpers';

useNode();

describe('Agent', () => {
  it('gets, updates, gets and updates, and casts, one function at a time', async () => {
    const agent = await Agent.start(node, () => ({ count: 0, log: [] as string[] }));
    expect(await Agent.update(node, agent, (s: { count: number; log: string[] }) => ({ ...s, count: s.count + 1 }))).toBe('ok');
    Agent.cast(node, agent, (s: { count: number; log: string[] }) => ({ ...s, log: [...s.log, 'cast'] }));
    expect(await Agent.getAndUpdate(node, agent, (s: { count: number; log: string[] }) => [s.count, { ...s, count: 10 }] as const)).toBe(1);
    expect(await Agent.get(node, agent, (s: { count: number; log: string[] }) => s)).toEqual({ count: 10, log: ['cast'] });
    await Agent.stop(node, agent);
    expect(node.isAlive(agent)).toBe(false);
  });

  it('is linked to its parent by startLink, and named locally', async () => {
    const parent = node.spawn(async (ctx) => {
      await Agent.startLink(ctx, () => 'x', { name: 'a' });
      await ctx.receive((m) => m === 'crash');
      throw new Error('parent crashed');
    });
    await waitFor(() => node.whereis('a') !== undefined, 'the agent to start');
    const agent = node.whereis('a') as Pid;
    expect(await Agent.get(node, 'a', (s: string) => s + 'y')).toBe('xy');
    const reason = node.run((ctx) => downReason(ctx, agent));
    node.send(parent, 'crash');
    expect(await reason).toMatchObject({ message: 'parent crashed' });
  });

  it('crashes when a function throws, and the caller sees the exit', async () => {
    const agent = await Agent.start(node, () => 1);
    await expect(
      Agent.update(node, agent, () => {
        throw new Error('bad update');
      }),
    ).rejects.toBeInstanceOf(CallExitError);
    expect(node.isAlive(agent)).toBe(false);
    await expect(Agent.get(node, agent, (s: number) => s)).rejects.toMatchObject({ reason: 'noproc' });
  });

  it('is named locally or through a registry', async () => {
    await Registry.start(node, { name: 'agents', keys: 'unique' });
    const name = Registry.via(node, 'agents', ['bucket', 1]);
    const pid = await Agent.start(node, () => new Map<string, number>(), { name });
    await Agent.update(node, name, (m: Map<string, number>) => new Map(m).set('milk', 3));
    expect(await Agent.get(node, name, (m: Map<string, number>) => m.get('milk'))).toBe(3);
    expect(Registry.lookup(node, 'agents', ['bucket', 1])[0]!.pid).toEqual(pid);
  });

  it('restarts under a supervisor with a fresh state from its init function', async () => {
    let inits = 0;
    const sup = await startSupervisor(node, {
      children: [
        Agent.childSpec(
          () => {
            inits++;
            return 0;
          },
          { id: 'counter', name: 'counter' },
        ),
      ],
    });
    await Agent.update(node, 'counter', (n: number) => n + 5);
    const [child] = await whichChildren(node, sup);
    expect(child!.id).toBe('counter');
    await node.run(async (ctx) => {
      const down = downReason(ctx, child!.pid as Pid); // monitored before the kill: after it, OTP too says noproc
      ctx.exit(child!.pid as Pid, 'kill');
      expect(await down).toBe('killed');
    });
    await waitFor(() => node.whereis('counter') !== undefined, 'the agent to restart');
    expect(await Agent.get(node, 'counter', (n: number) => n)).toBe(0);
    expect(inits).toBe(2);
    await stopServer(node, sup);
  });

  it('refuses an agent on another node and a function that is not one, at the caller', async () => {
    await expect(Agent.get(node, ['a', 'other@host'], (s: number) => s)).rejects.toBeInstanceOf(BadArgError);
    await expect(Agent.start(node, 42 as unknown as () => number)).rejects.toThrow(/expected a function/);
  });

  it('never takes a function term decoded from another OS process for one of its own', async () => {
    // A stand-in agent keeps the request, so its function term stays alive.
    let request: unknown;
    node.spawnLoop((msg) => void (request = msg), { name: 'keeper' });
    void Agent.get(node, 'keeper', (s: number) => s, 100).catch(() => undefined);
    await waitFor(() => request !== undefined, 'the request');
    const codec = classCodecNamed('grove.LocalFun')!;
    const token = findToken(request, 0);
    expect(token).toBeDefined();
    const term = codec.toTerm(token!) as { id: number; node: string; origin: string };
    expect(codec.fromTerm(term)).toBe(token); // a local copy: the same function
    expect(codec.fromTerm({ ...term, origin: 'another OS process' })).not.toBe(token);
  });
});

/** The function term inside a request, wherever it sits. */
function findToken(v: unknown, depth: number): object | undefined {
  if (typeof v !== 'object' || v === null || depth > 3) return undefined;
  if (v.constructor?.name === 'LocalFun') return v;
  for (const x of Object.values(v)) {
    const t = findToken(x, depth + 1);
    if (t !== undefined) return t;
  }
  return undefined;
}
