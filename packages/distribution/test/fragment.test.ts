/**
 * Fragments on the wire (`wire/fragment.ts`): the sender's queue cuts messages into
 * fragment frames in order, the receiver puts them back together, and every
 * malformed or out-of-sequence fragment is a DecodeError (the connection closes).
 */
import { getLogger } from '@grove/core';
import { FragmentQueue, fragmentFrame, MessageTooLargeError, Reassembly } from '@grove/distribution/internal';
import { AuthPeer, nextNodedown } from './support/auth_peer';
import { decodeError } from './term_support';
import { stopTcpNodes, tcpEpmdPort, tcpNode, TCP_COOKIE } from './support/tcp_nodes';

const peers: AuthPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  jest.restoreAllMocks();
  await stopTcpNodes();
});

const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

describe('fragments', () => {
  it('are cut in order and put back together exactly', () => {
    const q = new FragmentQueue();
    const m1 = bytes(1000, 1);
    const m2 = bytes(10, 2);
    q.push('<a.1.0>', m1);
    q.push(undefined, m2);
    expect(q.bytes).toBe(1010);
    const r = new Reassembly(4096);
    const out: Buffer[] = [];
    for (let f = q.next(300); f !== null; f = q.next(300)) {
      const whole = r.add(f);
      if (whole !== null) out.push(whole);
    }
    expect(out).toEqual([m1, m2]);
    expect(q.empty).toBe(true);
    expect(q.bytes).toBe(0);
    expect(r.bytes).toBe(0);
  });

  it('hold back the next messages of a sender with one queued, and everyone behind a message with no sender', () => {
    const q = new FragmentQueue();
    q.push('<a.1.0>', bytes(10));
    expect([q.holds('<a.1.0>'), q.holds('<a.2.0>'), q.holds(undefined)]).toEqual([true, false, false]);
    q.push(undefined, bytes(10));
    expect(q.holds('<a.2.0>')).toBe(true);
    q.next(100);
    q.next(100);
    expect([q.holds('<a.1.0>'), q.holds(undefined), q.empty]).toEqual([false, false, true]);
  });

  const cases: [string, (r: Reassembly) => void, RegExp][] = [
    ['a continuation with no message begun', (r) => r.add(fragmentFrame(0, true, bytes(4), 0, 4)), /first fragment must carry its size/],
    ['a new message before the last one ended', (r) => {
      r.add(fragmentFrame(10, false, bytes(10), 0, 5));
      r.add(fragmentFrame(10, true, bytes(10), 0, 5));
    }, /a new message began before the last one \(5 of 10 bytes\) ended/],
    ['more data than announced', (r) => {
      r.add(fragmentFrame(6, false, bytes(10), 0, 5));
      r.add(fragmentFrame(0, true, bytes(10), 5, 5));
    }, /fragments add up to more than the 6 bytes announced/],
    ['a last fragment short of the size', (r) => r.add(fragmentFrame(10, true, bytes(10), 0, 5)), /the last fragment ends the message at 5 of the 10 bytes announced/],
    ['no data field', (r) => r.add(Buffer.from([0x12, 0x04, 0x08, 0x05, 0x10, 0x01])), /fragment without data/],
    ['a bad field key', (r) => r.add(Buffer.from([0x12, 0x02, 0x0d, 0x01])), /bad field key 0xd in a fragment/],
    ['bytes after the fragment', (r) => r.add(Buffer.concat([fragmentFrame(4, true, bytes(4), 0, 4), Buffer.from([0])])), /a fragment frame holds one fragment and nothing else/],
    ['a length past the frame', (r) => r.add(Buffer.from([0x12, 0x7f, 0x08])), /fragment length 127 exceeds/],
  ];
  it.each(cases)('refuse %s with a DecodeError', (_what, act, message) => {
    const r = new Reassembly(1024);
    expect(decodeError(() => act(r)).message).toMatch(message);
  });

  it('refuse a message announced over the limit before buffering it', () => {
    const r = new Reassembly(1024);
    expect(() => r.add(fragmentFrame(1025, false, bytes(10), 0, 10))).toThrow(MessageTooLargeError);
    expect(r.bytes).toBe(0);
  });

  it('out of sequence from an authenticated peer close its connection (bad_frame); the node lives on', async () => {
    const node = await tcpNode('frag');
    const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    const down = nextNodedown(node);
    const peer = await AuthPeer.connect(node, await tcpEpmdPort(), TCP_COOKIE);
    peers.push(peer);
    peer.sendFrame(fragmentFrame(0, true, bytes(8), 0, 8));
    await peer.closed();
    await expect(down).resolves.toMatchObject({ node: peer.name, reason: 'bad_frame' });
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/first fragment must carry its size/);
    await expect((await tcpNode('other')).ping(node.name)).resolves.toBe('pong');
  });
});
