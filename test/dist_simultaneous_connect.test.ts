/**
 * Simultaneous connects between OS processes: many pairs of nodes (visible, hidden and
 * mixed), the two nodes of each pair in two different OS processes
 * (test/fixtures/dist_pairs.js), send each other a first message at the same moment,
 * in several rounds. As in OTP (the handshake's `ok_simultaneous`/`nok`), every pair
 * ends with one connection and one nodeup on each side, no nodedown, the messages
 * delivered, and the monitor and call taken meanwhile unharmed.
 */
import { TIMEOUT } from '@grove/core';
import { isNodeMessage, monitorNodes, type DistNode } from '@grove/distribution';
import { connect, HandshakeError, initiateHandshake } from '@grove/distribution/internal';
import type { Socket } from 'node:net';
import { removeTranspiled, transpilePackages } from './support/children';
import { cleanup, startChild, COOKIE, nodeName, privateEpmd, tcpNode, waitFor } from './support/nodes';

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']));
afterAll(removeTranspiled);
afterEach(cleanup);

const PAIRS = 18;
const ROUNDS = 3;

interface NodeReport {
  events: string[];
  received: Array<{ from: string; v: number }>;
  signals: string[];
  connected: string[];
}
type Report = Record<string, NodeReport>;

it('ends every pair of a simultaneous connect with one connection and one nodeup on each side, round after round', async () => {
  const epmd = await privateEpmd();
  // Pair i: a visible or hidden node on each side (both visible, both hidden, one of each).
  const specs = Array.from({ length: PAIRS }, (_, i) => ({
    a: { name: nodeName('pa'), hidden: i % 3 === 1 || i % 3 === 2 },
    b: { name: nodeName('pb'), hidden: i % 3 === 1 },
  }));
  const [sideA, sideB] = await Promise.all([
    startChild('dist_pairs', nodeName('sideA'), epmd, { PAIR_NODES: JSON.stringify(specs.map((s) => s.a)) }),
    startChild('dist_pairs', nodeName('sideB'), epmd, { PAIR_NODES: JSON.stringify(specs.map((s) => s.b)) }),
  ]);
  const aToB = Object.fromEntries(specs.map((s) => [s.a.name, s.b.name]));
  const bToA = Object.fromEntries(specs.map((s) => [s.b.name, s.a.name]));
  const peerOf: Record<string, string> = { ...aToB, ...bToA };
  const report = async (): Promise<Report> => ({ ...(await sideA.request<Report>('report')), ...(await sideB.request<Report>('report')) });
  /** Waits for `cond` on the reports; on a timeout, fails with the last report (what went wrong where). */
  const settle = async (cond: (r: Report) => boolean, what: string): Promise<void> => {
    let last: Report = {};
    await waitFor(async () => cond((last = await report())), what).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last, null, 1)}`);
    });
  };

  for (let round = 1; round <= ROUNDS; round++) {
    const at = Date.now() + 200;
    await Promise.all([sideA.request('race', { at, pairs: aToB, round }), sideB.request('race', { at, pairs: bToA, round })]);
    // Settled: every node has its peer's message and answered its call.
    await settle((r) => Object.entries(r).every(([n, x]) => x.received.length > 0 && x.signals.length === 0 && x.connected.includes(peerOf[n]!)), `round ${round}: every first message delivered`);
    // One more round trip per pair through the same connections, then the verdict.
    await Promise.all([sideA.request('race', { at: 0, pairs: aToB, round }), sideB.request('race', { at: 0, pairs: bToA, round })]);
    await settle((r) => Object.values(r).every((x) => x.received.length >= 2), `round ${round}: second messages`);
    const r = await report();
    const seen = Object.fromEntries(Object.entries(r).map(([n, x]) => [n, { events: x.events, signals: x.signals, connected: x.connected, received: x.received }]));
    const want = Object.fromEntries(
      Object.keys(r).map((n) => [n, { events: [`nodeup ${peerOf[n]}`], signals: [], connected: [peerOf[n]], received: [{ from: peerOf[n], v: round }, { from: peerOf[n], v: round }] }]),
    );
    expect(seen).toEqual(want);
    // Down again for the next round: half the pairs closed from each side.
    const half = (m: Record<string, string>, odd: number) => Object.fromEntries(Object.entries(m).filter((_, i) => i % 2 === odd));
    await Promise.all([sideA.request('disconnect', { pairs: half(aToB, 0) }), sideB.request('disconnect', { pairs: half(bToA, 1) })]);
    await settle((r) => Object.values(r).every((x) => x.connected.length === 0 && x.events.length === 2), `round ${round}: every pair down`);
    await Promise.all([sideA.request('reset'), sideB.request('reset')]);
  }
}, 60_000);

describe('a handshake from a node that already has a connection up (alive)', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });

  /** Node `a` with a connection up to node `b`, and a raw handshake to `a` under `b`'s name answering `alive` with `proceed`. */
  async function comeBack(proceed: boolean): Promise<{ a: DistNode; b: DistNode; result: Promise<unknown> }> {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    expect(await b.connect(a.name)).toBe(true);
    const socket = await connect({ host: a.address.host, port: a.address.port });
    sockets.push(socket);
    const result = initiateHandshake(socket, { name: b.name, creation: 4242, cookie: COOKIE, peer: a.name, onAlive: () => proceed }).catch((e: unknown) => e);
    return { a, b, result };
  }

  it('replaces the connection when the newcomer says it has none (the peer restarted): nodedown, then nodeup', async () => {
    const { a, b, result } = await comeBack(true);
    const events = await a.node.run(async (ctx) => {
      monitorNodes(ctx, true);
      await result;
      const got: string[] = [];
      for (let i = 0; i < 2; i++) {
        const m = await ctx.receive(isNodeMessage, 5000); // bounds a failure only
        got.push(m === TIMEOUT ? 'none' : `${m.type} ${m.type === 'nodedown' ? m.reason : ''}`.trim());
      }
      return got;
    });
    expect({ events, nodes: a.nodes(), result: ((await result) as { peer?: string }).peer }).toEqual({ events: ['nodedown connection_closed', 'nodeup'], nodes: [b.name], result: a.name });
    await waitFor(() => b.nodes().length === 0, 'the old b to lose its connection');
  });

  it('keeps the connection when the newcomer still has its own (a name clash), and asks the next newcomer again', async () => {
    const { a, b, result } = await comeBack(false);
    expect(((await result) as HandshakeError).reason).toBe('name_clash');
    const again = await connect({ host: a.address.host, port: a.address.port });
    sockets.push(again);
    const second = await initiateHandshake(again, { name: b.name, creation: 4243, cookie: COOKIE, peer: a.name, onAlive: () => false }).catch((e: unknown) => e);
    expect((second as HandshakeError).reason).toBe('name_clash');
    expect(await b.ping(a.name)).toBe('pong');
    expect([a.nodes(), b.nodes()]).toEqual([[b.name], [a.name]]);
  });
});
