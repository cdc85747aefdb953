/**
 * Bad input on the Erlang side of a Grove node: a fake BEAM peer (`support/fake_beam.ts`, speaking
 * Erlang's handshake and frames over a raw socket) sends what a real one never would.
 * Each case ends that connection at most; the node goes on.
 */
import * as net from 'node:net';
import { Ref } from '@grove/core';
import { atom, tuple } from '@grove/distribution';
import { erlangDigest } from '@grove/distribution/internal';
import { FakeBeam } from './support/fake_beam';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { closed, waitFor } from './support/wait';

afterEach(stopTcpNodes);

describe('the Erlang side of a Grove node, given bad input', () => {
  it('digests challenges as OTP does (the measured vectors)', () => {
    expect(erlangDigest('secret', 1453604057).toString('hex')).toBe('5b24d721f1f51f2be1306056ffe1ab3d');
    expect(erlangDigest('secret', 0).toString('hex')).toBe('175ec77a7f63082590987d0d8b051aff');
    expect(erlangDigest('secret', 4294967295).toString('hex')).toBe('5dfd181e69aa587cc812eb333e6536b6');
    expect(erlangDigest('COOKIE', 12345).toString('hex')).toBe('e8326bad89676cdadf29fb538c8f2b0c');
  });

  it('refuses a fake BEAM node with the wrong cookie, and a truncated name packet, and then takes a good one', async () => {
    const g = await tcpNode('mal');
    await expect(FakeBeam.connect(g, 'wrong')).rejects.toMatchObject({ reason: 'closed' });
    const s = net.connect(g.address.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write(Buffer.from([0, 20, 0x4e, 1, 2, 3])); // says 20 bytes, sends 4, then ends
    s.end();
    s.resume();
    await closed(s);
    const ok = await FakeBeam.connect(g);
    await waitFor(() => g.nodes().includes(ok.name), 'the good fake to be up');
    ok.socket.destroy();
  });

  it('survives a connection reset before its first bytes told the protocol, and accepts the next', async () => {
    const g = await tcpNode('mal');
    // An error event nobody listens to would end the OS process: catch it here to see it.
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => void uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const s = net.connect(g.address.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.write(Buffer.from([0]));
      await new Promise((r) => setTimeout(r, 50)); // let the byte arrive before the reset
      s.resetAndDestroy();
      await closed(s);
      const ok = await FakeBeam.connect(g);
      await waitFor(() => g.nodes().includes(ok.name), 'the next connection');
      ok.socket.destroy();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it('ignores control messages it cannot use, answers a spawn request it does not run with notsup, and delivers what follows', async () => {
    const g = await tcpNode('mal');
    const got: unknown[] = [];
    g.node.spawnLoop((m) => void got.push(m), { name: 'inbox' });
    const f = await FakeBeam.connect(g);
    const from = f.pid();
    f.send(tuple(99, 'what'));
    f.send(atom('not_a_tuple'));
    f.send(tuple(1, atom('a'), atom('b'))); // LINK without pids
    f.send(tuple(6, from, atom(''), atom('inbox'))); // REG_SEND without its payload
    f.send(tuple(19, from, 42, new Ref(f.name, 7, 5, false))); // MONITOR_P of a number
    const req = new Ref(f.name, 7, 9, false);
    f.send(tuple(29, req, from, from, tuple(atom('os'), atom('cmd'), 1), [atom('monitor')]), ['ls']);
    f.send(tuple(6, from, atom(''), atom('inbox')), tuple(atom('$gen_call'), atom('no_from'), atom('req')));
    f.send(tuple(6, from, atom(''), atom('inbox')), 'after');
    await waitFor(() => got.length === 2, 'the messages that follow');
    expect(got[1]).toBe('after');
    await waitFor(() => f.controls().some((c) => c.elements[0] === 31), 'the spawn reply');
    const reply = f.controls().find((c) => c.elements[0] === 31)!;
    expect(reply.elements[4]).toEqual(atom('notsup'));
    expect(g.nodes()).toContain(f.name);
    f.socket.destroy();
  });

  it('closes the connection of a peer that sends a frame that is not a pass-through message, or a term that does not decode', async () => {
    const g = await tcpNode('mal');
    const downs: unknown[] = [];
    g.monitorNodes(g.node.spawnLoop((m) => void downs.push(m)), true);
    const f1 = await FakeBeam.connect(g);
    f1.raw(Buffer.from([131, 68, 0, 104, 1, 97, 5])); // a dist header (atom cache), never negotiated
    await closed(f1.socket);
    const f2 = await FakeBeam.connect(g);
    f2.raw(Buffer.from([112, 131, 104, 200])); // a tuple of 200 elements that are not there
    await closed(f2.socket);
    await waitFor(() => downs.filter((m) => (m as { type: string }).type === 'nodedown').length === 2, 'two nodedowns');
    const f3 = await FakeBeam.connect(g);
    await waitFor(() => g.nodes().includes(f3.name), 'a new connection');
    f3.socket.destroy();
  });
});
