/**
 * A GenStateMachine reached from another node over TCP: typed calls and casts to
 * `[name, node]`, a call postponed until a cast from the other node changes the
 * state, replies to a remote From, and a remote stop.
 */
import { CallExitError, GenStateMachine, State, stopServer, type StatemEvent, type StateResult } from '@grove/core';
import { cleanup, mesh, privateEpmd, tcpNode } from './support/nodes';

afterEach(cleanup);

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
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    await mesh([a, b]);
    await Gate.start(b.node, undefined, { name: 'gate' });
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
    expect(b.node.whereis('gate')).toBeUndefined();
  });
});
