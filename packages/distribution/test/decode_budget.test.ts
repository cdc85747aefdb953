/**
 * What one frame may build is bounded (issue 13 item 8): a frame of "expansion bombs"
 * (empty Maps, Errors, Buffers: a few bytes each on the wire, far more in heap or
 * time) is refused with a clear error, and the connection that sent it is closed
 * while the node lives on.
 */
import { getLogger } from '@grove/core';
import { DecodeError } from '@grove/distribution';
import { decodeTerm, encodeTerm, TermEncoder, WireWriter } from '@grove/distribution/internal';
import { AuthPeer, nextNodedown } from './support/auth_peer';
import { stopTcpNodes, tcpEpmdPort, tcpNode, TCP_COOKIE } from './support/tcp_nodes';

const ctx = { localNode: 'n@h', localCreation: 1 };
const peers: AuthPeer[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  jest.restoreAllMocks();
  await stopTcpNodes();
});

/** A term as a hostile peer would encode it: not held to the decoding budget (`encodeTerm` is). */
function unchecked(value: unknown): Buffer {
  const w = new WireWriter(256);
  new TermEncoder(w).encode(value);
  return w.take();
}

/** An Error of 6 bytes on the wire: empty name and message, no stack. */
function tinyError(): Error {
  const e = new Error('');
  Object.defineProperty(e, 'name', { value: '', enumerable: false });
  delete (e as { stack?: string }).stack;
  return e;
}

describe('the decoding budget', () => {
  const bombs: [string, number, () => unknown][] = [
    ['empty Maps', 100_000, () => new Map()],
    ['empty Sets', 100_000, () => new Set()],
    ['empty Buffers', 100_000, () => Buffer.alloc(0)],
    ['empty Errors', 40_000, tinyError],
  ];
  it.each(bombs)('refuses a term of many %s (a few bytes each) with a clear DecodeError', (_what, n, make) => {
    const bytes = unchecked(Array.from({ length: n }, make));
    expect(bytes.length).toBeLessThan(8 * n);
    expect(() => decodeTerm(bytes, ctx)).toThrow(DecodeError);
    expect(() => decodeTerm(bytes, ctx)).toThrow(/would build more than \d+ bytes of terms \(64 per byte of it, plus 262144\): too many Maps, Sets, Errors or Buffers for its size/);
  });

  it('lets ordinary terms through: structure, errors with stacks, a few Maps among data', () => {
    const value = {
      rows: Array.from({ length: 20_000 }, (_, i) => ({ id: i, tags: new Set([`t${i % 7}`]), meta: new Map([['k', i]]) })),
      errors: Array.from({ length: 200 }, (_, i) => new Error(`failure ${i}`)),
      blobs: Array.from({ length: 1000 }, () => Buffer.alloc(16, 1)),
    };
    const back = decodeTerm(encodeTerm(value), ctx) as typeof value;
    expect(back.rows).toHaveLength(20_000);
    expect(back.errors[199]!.message).toBe('failure 199');
    expect(back.blobs[999]).toEqual(Buffer.alloc(16, 1));
  });

  it('closes the connection of an authenticated peer that sends a frame of empty Maps; the node lives on', async () => {
    const node = await tcpNode('budget');
    const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    const down = nextNodedown(node);
    const got: unknown[] = [];
    node.node.register('budget_sink', node.node.spawnLoop((m: unknown) => void got.push(m)));
    const peer = await AuthPeer.connect(node, await tcpEpmdPort(), TCP_COOKIE);
    peers.push(peer);
    // 300,000 empty Maps: a 600 KB frame (under the 1 MiB frame limit) that would build ~60 MB.
    peer.enc.regSend(undefined, 'budget_sink', Array.from({ length: 300_000 }, () => new Map()));
    peer.sendFrame();
    await peer.closed();
    await expect(down).resolves.toMatchObject({ node: peer.name, reason: 'bad_frame' });
    expect(got).toEqual([]);
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(
      new RegExp(`connection to ${peer.name} closed: cannot decode wire data at byte \\d+: the frame would build more than \\d+ bytes of terms`),
    );
    // The node carries on: another node connects and is answered.
    const other = await tcpNode('after');
    await expect(other.ping(node.name)).resolves.toBe('pong');
  });
});
