/**
 * The matchers' failures: what each one says when the expectation does not hold.
 */
import { Node, startSupervisor, type Pid } from '@grove/core';
import { groveMatchers, Probe, RestartWatch, trackNode, useCluster, waitFor } from '@grove/testing';
import '@grove/testing/jest';

let node: Node;
beforeEach(() => {
  node = new Node();
  trackNode(node);
});
afterEach(() => node.halt());

const idle = (): Pid => node.spawn(async (ctx) => void (await ctx.receive((m) => m === 'stop')));

describe('toReceive', () => {
  it('takes the first matching message and leaves the others, in order', async () => {
    const probe = new Probe(node);
    for (const m of [1, { n: 2, extra: true }, 3]) node.send(probe.pid, m);
    await expect(probe).toReceive(expect.objectContaining({ n: 2 }));
    await expect(probe).toReceive((m: unknown) => m === 3);
    expect(probe.messages).toEqual([1]);
  });

  it('fails after the timeout, showing what the probe holds', async () => {
    const probe = new Probe(node);
    node.send(probe.pid, 'something else');
    await expect(expect(probe).toReceive('hello', 20)).rejects.toThrow(/to receive "hello" within 20 ms; it holds \["something else"\]/);
  });

  it('refuses what is not a probe', async () => {
    await expect(expect(idle()).toReceive('x')).rejects.toThrow(/toReceive: expected a Probe/);
  });
});

describe('toExit', () => {
  it('sees the exact reason of a local process that dies at once', async () => {
    const pid = node.spawn(() => {
      throw new Error('boom');
    });
    await expect(pid).toExit(expect.objectContaining({ message: 'boom' }));
  });

  it('fails with the reason it saw, or because the process lives on', async () => {
    const pid = idle();
    await expect(expect(pid).toExit(undefined, { timeoutMs: 20 })).rejects.toThrow(/to exit with any reason within 20 ms; it is still alive/);
    const p2 = idle();
    setImmediate(() => node.exit(p2, 'kill'));
    await expect(expect(p2).toExit('normal')).rejects.toThrow(/to exit with "normal", but it exited with "killed"/);
  });

  it('says noproc for a pid already gone', async () => {
    const pid = idle();
    node.exit(pid, 'kill');
    await expect(pid).toExit('killed');
    await expect(expect(pid).toExit('killed')).rejects.toThrow(/noproc: it was gone before the matcher was called/);
  });

  it('asks for a node when the pid is on no tracked one', async () => {
    const other = new Node();
    const pid = other.spawn(async (ctx) => void (await ctx.receive()));
    node.halt();
    await expect(expect(pid).toExit()).rejects.toThrow(/no node to observe/);
    other.halt();
  });
});

describe('toExit across nodes', () => {
  const cluster = useCluster();

  it('monitors a pid of another node and gets its reason', async () => {
    const [a, b] = await cluster().nodes(2);
    const pid = b!.node.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'go');
      ctx.exit('done');
    });
    const exited = expect(pid).toExit('done', { node: a!.node, timeoutMs: 5000 });
    // The matcher's monitor travels from a to b: only once b has it may the process exit.
    await waitFor(() => b!.node.processInfo(pid)?.monitoredBy === 1, 'the matcher to monitor the pid');
    b!.node.send(pid, 'go');
    await exited;
  });
});

describe('toHaveRestarted and toHaveMailboxLength', () => {
  it('refuses a watch of a child the supervisor does not have', async () => {
    const sup = await startSupervisor(node, { flags: { strategy: 'one_for_one' }, children: [] });
    await expect(RestartWatch.start(node, sup, 'nope')).rejects.toThrow(/has no child "nope"/);
  });

  it('counts the mailbox now', () => {
    const pid = idle();
    node.send(pid, 'a');
    node.send(pid, 'b');
    expect(pid).toHaveMailboxLength(2);
    expect(() => expect(pid).toHaveMailboxLength(0)).toThrow(/to have a mailbox of length 0; it has 2/);
  });

  it('are the ones groveMatchers exports', () => {
    expect(Object.keys(groveMatchers).sort()).toEqual(['toExit', 'toHaveMailboxLength', 'toHaveRestarted', 'toReceive']);
  });
});
