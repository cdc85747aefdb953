import {
  Call,
  GenServer,
  Info,
  isDownMessage,
  startSupervisor,
  stopSupervisor,
  terminateChild,
  whichChildren,
  type DownMessage,
  type ExitMessage,
  type ExitReason,
  type Pid,
  type ProcessContext,
  type Ref,
} from '@grove/core';
import { remoteChild, spawnLinkRemote, spawnRemote, type DistNode } from '@grove/distribution';
import { memNode, stopAll } from './router_helpers';

afterEach(stopAll);

type Note = { terminated: ExitReason } | { info: ExitReason };
const isNote = (m: unknown): m is Note => typeof m === 'object' && m !== null && ('terminated' in m || 'info' in m);

/** Traps exits; tells `observer` (on another node) when it terminates, and of any EXIT it gets as a message. */
class Cache extends GenServer<{ call: 'ping' }> {
  private observer!: Pid;
  override init(observer: Pid) {
    this.observer = observer;
    this.ctx.trapExit(true);
  }
  override terminate(reason: ExitReason): void {
    this.ctx.send(this.observer, { terminated: reason });
  }
  @Info('EXIT') onExit(m: ExitMessage): void {
    this.ctx.send(this.observer, { info: m.reason });
  }
  @Call() ping(): string {
    return 'pong';
  }
}

async function pair(): Promise<[DistNode, DistNode]> {
  const [a, b] = [await memNode('a'), await memNode('b')];
  b.registerSpawnable('cache', Cache);
  return [a, b];
}

/** The exit reason in the DOWN of monitor `ref`. */
async function down(ctx: ProcessContext, ref: Ref): Promise<unknown> {
  return (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))).reason;
}

// The supervisor is the remote server's parent, as for a local child: its shutdown runs terminate there.
describe('a GenServer that a supervisor runs on another node', () => {
  for (const where of ['another node', "the supervisor's own node"]) {
    it(`runs terminate('shutdown') when the supervisor terminates it, on ${where}`, async () => {
      const [a, b] = await pair();
      a.registerSpawnable('cache', Cache);
      const on = where === 'another node' ? b.name : a.name;
      const got = await a.node.run(async (ctx) => {
        const sup = await startSupervisor(ctx, { children: [remoteChild({ id: 'cache', node: on, spawnable: 'cache', args: [ctx.self] })] });
        const child = (await whichChildren(ctx, sup))[0]!.pid as Pid;
        const ref = ctx.monitor(child);
        await terminateChild(ctx, sup, 'cache');
        return { note: await ctx.receive(isNote, 5000), reason: await down(ctx, ref), child };
      });
      expect(got.child.node).toBe(on);
      expect(got.note).toEqual({ terminated: 'shutdown' });
      expect(got.reason).toBe('shutdown');
    });
  }

  it("runs terminate('shutdown') when the supervisor stops", async () => {
    const [a, b] = await pair();
    const got = await a.node.run(async (ctx) => {
      const sup = await startSupervisor(ctx, { children: [remoteChild({ id: 'cache', node: b.name, spawnable: 'cache', args: [ctx.self] })] });
      const child = (await whichChildren(ctx, sup))[0]!.pid as Pid;
      const ref = ctx.monitor(child);
      await stopSupervisor(ctx, sup);
      return { note: await ctx.receive(isNote, 5000), reason: await down(ctx, ref) };
    });
    expect(got.note).toEqual({ terminated: 'shutdown' });
    expect(got.reason).toBe('shutdown');
  });

  it('has the requester of a remote spawn_link as parent, and no parent but itself when spawned unlinked', async () => {
    const [a, b] = await pair();
    const got = await a.node.run(async (ctx) => {
      const test = ctx.self;
      // Linked: the requester's exit signal ends the server through terminate.
      const linker = ctx.spawn(async (p: ProcessContext) => {
        const pid = await spawnLinkRemote(p, b.name, 'cache', [test]);
        p.send(test, { linked: pid });
        await p.receive((m) => m === 'go');
        p.exit('boom');
      });
      const { linked } = (await ctx.receive((m) => typeof m === 'object' && m !== null && 'linked' in m)) as { linked: Pid };
      const ref = ctx.monitor(linked);
      ctx.send(linker, 'go');
      const linkedNote = await ctx.receive(isNote, 5000);
      // Unlinked: an exit signal from the requester is an EXIT message like any other.
      const plain = await spawnRemote(ctx, b.name, 'cache', [test]);
      ctx.exit(plain, 'shutdown');
      const plainNote = await ctx.receive(isNote, 5000);
      return { linkedNote, linkedReason: await down(ctx, ref), plainNote, plainAlive: await callPing(ctx, plain) };
    });
    expect(got.linkedNote).toEqual({ terminated: 'boom' });
    expect(got.linkedReason).toBe('boom');
    expect(got.plainNote).toEqual({ info: 'shutdown' });
    expect(got.plainAlive).toBe('pong');
  });
});

function callPing(ctx: ProcessContext, pid: Pid): Promise<unknown> {
  return Cache.client(ctx, pid).call.ping().catch((e: unknown) => e);
}

