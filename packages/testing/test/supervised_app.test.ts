/**
 * The README's example: testing a small supervised app with a virtual clock, a
 * probe, a restart watch and the matchers. Runs as it stands in the README.
 */
// readme example: begin
import { Cast, GenServer, Info, Supervisor, supervisor, whichChildren, type ChildSpec, type Node, type Pid } from '@grove/core';
import { Probe, RestartWatch, VirtualClock } from '@grove/testing';
import '@grove/testing/jest';

/** Sends 'beat' to a listener every second; crashes when told to. */
class Heart extends GenServer<{ cast: 'stop' | 'crash' }> {
  private listener!: Pid;
  override init(listener: Pid): void {
    this.listener = listener;
    this.ctx.sendAfter(this.ctx.self, 'tick', 1000);
  }
  @Info('tick') tick(): void {
    this.ctx.send(this.listener, 'beat');
    this.ctx.sendAfter(this.ctx.self, 'tick', 1000);
  }
  @Cast() crash(): void {
    throw new Error('arrhythmia');
  }
  @Cast() stop(): void {
    this.ctx.exit('shutdown');
  }
}

@supervisor({ strategy: 'one_for_one', intensity: 2, periodMs: 10_000 })
class HeartSup extends Supervisor<Pid> {
  children(listener: Pid): ChildSpec[] {
    return [Heart.childSpec(listener, { id: 'heart' })];
  }
}

describe('a supervised heart', () => {
  let clock: VirtualClock;
  let node: Node;
  beforeEach(() => {
    clock = new VirtualClock();
    node = clock.node();
  });
  afterEach(() => node.halt());

  const heartOf = async (sup: Pid): Promise<Pid> => (await whichChildren(node, sup)).find((c) => c.id === 'heart')!.pid as Pid;

  it('beats once a second of virtual time', async () => {
    const probe = new Probe(node);
    await HeartSup.start(node, probe.pid);
    await expect(probe).not.toReceive('beat', 50); // no time has passed yet
    await clock.advance(3000);
    expect(probe.messages).toEqual(['beat', 'beat', 'beat']);
  });

  it('is restarted after each crash, and the supervisor gives up past its intensity', async () => {
    const probe = new Probe(node);
    const sup = await HeartSup.start(node, probe.pid);
    const watch = await RestartWatch.start(node, sup, 'heart');
    for (let i = 0; i < 2; i++) {
      const heart = await heartOf(sup);
      Heart.client(node, heart).cast.crash();
      await expect(heart).toExit(expect.objectContaining({ message: 'arrhythmia' }));
    }
    await expect(watch).toHaveRestarted(2);
    await clock.advance(1000);
    await expect(probe).toReceive('beat'); // the restarted heart beats

    Heart.client(node, await heartOf(sup)).cast.crash(); // a third crash in 10 s: too many
    await expect(sup).toExit('shutdown');
  });

  it('keeps its mailbox empty', async () => {
    const probe = new Probe(node);
    const sup = await HeartSup.start(node, probe.pid);
    await clock.advance(5000);
    expect(await heartOf(sup)).toHaveMailboxLength(0);
  });
});
// readme example: end
