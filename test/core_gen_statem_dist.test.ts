/**
 * A GenStateMachine reached from another node over TCP: typed calls and casts to
 * `[name, node]`, a call postponed until a cast from the other node changes the
 * state, replies to a remote From, and a remote stop.
 */
import { CallExitError, GenStateMachine, State, stopServer, type StatemEvent, type StateResult } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { useCluster } from '@grove/testing';
import '@grove/testing/jest';

const cluster = useCluster();

type GateState = 'closed' | 'open';
interface GateProtocol {
  call: { status(): GateState; whenOpen(): 'open' };
  cast: { open(): void };
}
type GateEvent = StatemEvent<GateState, GateProtocol>;

class Gate extends GenStateMachine<GateState, GateProtocol> {
  override init() {
    return 'closed' as const;
  }
  @State() closed(ev: GateEvent): StateResult<GateState> {
    if (ev.type === 'cast') return this.nextState('open');
    if (ev.type === 'call') return ev.content === 'status' ? this.keepState(this.replyTo(ev.from, 'closed')) : this.keepState(this.postpone());
  }
  @State() open(ev: GateEvent): StateResult<GateState> {
    if (ev.type === 'call') return this.keepState(this.replyTo(ev.from, 'open'));
  }
}

describe('a GenStateMachine on another node', () => {
  it('answers typed calls, postpones a call until a remote cast opens it, and stops on request', async () => {
    const [a, b] = (await cluster().nodes(2)) as [DistNode, DistNode];
    const gatePid = await Gate.start(b.node, undefined, { name: 'gate' });
    const stopped = expect(gatePid).toExit('normal', { node: a.node, timeoutMs: 5000 });
    const got = await a.node.run(async (ctx) => {
      const gate = Gate.client(ctx, ['gate', b.name]);
      const first = await gate.call.status();
      const waiting = gate.call.whenOpen(); // postponed on b
      expect(await gate.call.status()).toBe('closed');
      gate.cast.open();
      const opened = await waiting;
      const now = await gate.call.status();
      await stopServer(ctx, ['gate', b.name]);
      const after = await gate.call.status().catch((e: unknown) => e);
      return { first, opened, now, after };
    });
    expect(got.first).toBe('closed');
    expect(got.opened).toBe('open');
    expect(got.now).toBe('open');
    expect(got.after).toBeInstanceOf(CallExitError);
    await stopped; // seen from a, through a monitor across the link
    expect(b.node.whereis('gate')).toBeUndefined();
  });
});
