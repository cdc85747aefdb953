/**
 * The order of things when a connection comes up, on real TCP nodes (as OTP
 * guarantees): node monitors have their nodeup before `connect` resolves and before
 * anything the peer sends through the new connection; what the caller of `connect`
 * sends as soon as it resumes gets there, with the nodeup work of both nodes going on.
 */
import { callServer, GenCall, reply } from '@grove/core';
import * as net from 'node:net';
import { isNodeMessage, monitorNodes, type NodeUpMessage } from '@grove/distribution';
import { decodeHandshake, encodeFrame, encodeHandshake, FrameDecoder, HANDSHAKE_VERSION, HandshakeStatus, type HandshakeMsg } from '@grove/distribution/internal';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

afterEach(stopTcpNodes);

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('a connection coming up', () => {
  it('has the nodeup in the mailbox of a node monitor when connect resolves', async () => {
    const a = await tcpNode('cs_a');
    const b = await tcpNode('cs_b');
    const got = await a.node.run(async (ctx) => {
      monitorNodes(ctx);
      expect(await a.connect(b.name)).toBe(true);
      return ctx.receive(isNodeMessage, 0);
    });
    expect(got).toEqual({ type: 'nodeup', node: b.name, nodeType: 'visible' } satisfies NodeUpMessage);
  });

  it('tells node monitors nodeup before the first message the peer sends through the connection, every time', async () => {
    const a = await tcpNode('cs_a');
    const b = await tcpNode('cs_b');
    // On b: greet a's sink the moment a comes up.
    b.node.spawn(async (ctx) => {
      monitorNodes(ctx);
      for (;;) {
        const m = await ctx.receive(isNodeMessage);
        if (m.type === 'nodeup') ctx.send(['sink', a.name], 'hello');
      }
    });
    const seen: unknown[] = [];
    const sink = a.node.spawn(async (ctx) => {
      monitorNodes(ctx);
      for (;;) {
        const m = await ctx.receive();
        seen.push(isNodeMessage(m) ? m.type : m);
      }
    });
    a.node.register('sink', sink);
    await turn();
    const rounds = 10;
    for (let i = 0; i < rounds; i++) {
      expect(await a.connect(b.name)).toBe(true);
      await waitFor(() => seen.length === 3 * i + 2, 'the greeting');
      a.disconnect(b.name);
      await waitFor(() => seen.length === 3 * i + 3 && b.nodes().length === 0, 'both sides to see the connection go');
    }
    expect(seen).toEqual(Array.from({ length: rounds }, () => ['nodeup', 'hello', 'nodedown']).flat());
  });

  it('gets a call made right after connect answered while both nodes run their nodeup work', async () => {
    const a = await tcpNode('cs_a');
    const peers = [await tcpNode('cs_b'), await tcpNode('cs_c'), await tcpNode('cs_d')];
    for (const p of peers) {
      // The first message on the connection, with global's sync and pg's discover in flight on both sides.
      expect(await a.connect(p.name)).toBe(true);
      expect(await callServer(a.node, ['net_kernel', p.name], { type: 'is_auth', node: a.name }, 5000)).toBe('yes');
    }
    await waitFor(() => peers.every((p) => p.nodes().length === 3), 'the mesh to form');
    expect(a.nodes().sort()).toEqual(peers.map((p) => p.name).sort());
  });
  it('writes a call reply to another node when the replying process returns, before the next process runs', async () => {
    const a = await tcpNode('cs_a');
    const b = await tcpNode('cs_b');
    const out = (): number => b.connectionInfo(a.name)!.bytesOut;
    const seen: Array<[number, number]> = [];
    // Runs after the server in the same drain: what the socket has taken by then.
    const spy = b.node.spawnLoop((before: unknown) => {
      seen.push([before as number, out()]);
    });
    const server = b.node.spawnLoop((msg) => {
      if (!(msg instanceof GenCall)) return;
      b.node.send(spy, out());
      reply(b.node, msg.from, 'pong');
    });
    b.node.register('replier', server);
    for (let i = 0; i < 5; i++) expect(await callServer(a.node, ['replier', b.name], 'ping', 5000)).toBe('pong');
    await waitFor(() => seen.length === 5, 'the spy to run five times');
    // Without the flush at the end of the server's run the reply would still wait in the batch.
    for (const [before, after] of seen) expect(after).toBeGreaterThan(before);
  });
  it('answers a Name message that arrives in pieces (the bytes read to tell the protocol apart go to the handshake)', async () => {
    const b = await tcpNode('cs_b');
    const name = encodeFrame(encodeHandshake({ kind: 'name', name: `cs_raw_${process.pid}@127.0.0.1`, versionMin: HANDSHAKE_VERSION, versionMax: HANDSHAKE_VERSION, flags: 0, creation: 1, hidden: false }));
    const got: HandshakeMsg[] = [];
    const frames = new FrameDecoder((f) => void got.push(decodeHandshake(f)), { maxFrameBytes: 1 << 16 });
    const s = net.connect(b.address.port, '127.0.0.1');
    s.on('data', (c: Buffer) => frames.push(c));
    await new Promise((r) => s.once('connect', r));
    const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
    // Two bytes (too few to tell Grove's protocol from Erlang's), one more, then the rest.
    s.write(name.subarray(0, 2));
    await pause();
    s.write(name.subarray(2, 3));
    await pause();
    s.write(name.subarray(3));
    await waitFor(() => got.length >= 2, 'the status and the challenge');
    s.destroy();
    expect(got[0]).toMatchObject({ kind: 'status', code: HandshakeStatus.OK });
    expect(got[1]).toMatchObject({ kind: 'challenge', name: b.name });
  });
});
