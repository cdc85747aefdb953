/**
 * Distribution between nodes of this OS process over real TCP (and TLS) sockets on
 * 127.0.0.1, through a port mapper private to each test: membership, cookies,
 * certificates, and what bad bytes do (close that one connection, nothing else).
 */
import * as net from 'node:net';
import { callServer, getLogger, isDownMessage, isExitMessage, NotCopyableError, type DownMessage } from '@grove/core';
import { isNodeMessage, monitorNodes, startDistributed, type DistNode, type NodeDownMessage } from '@grove/distribution';
import { makePki, type TestPki } from '../packages/distribution/test/support/certs';
import { cleanup, COOKIE, nodeName, privateEpmd, tcpNode, waitFor } from './support/nodes';

afterEach(cleanup);

/** Resolves with the next nodedown `d` sees about `peer`. */
function nextNodedown(d: DistNode, peer: string): Promise<NodeDownMessage> {
  return d.node.run(async (ctx) => {
    monitorNodes(ctx);
    ctx.send(ctx.self, 'subscribed');
    await ctx.receive((m) => m === 'subscribed');
    return (await ctx.receive((m) => isNodeMessage(m) && m.type === 'nodedown' && m.node === peer)) as NodeDownMessage;
  });
}

describe('nodes of one OS process over TCP', () => {
  it('pings (pong and pang) and lists visible, hidden and connected nodes', async () => {
    const epmd = await privateEpmd();
    const [a, b, h] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd), tcpNode('h', epmd, { hidden: true })]);
    expect(await a.ping(b.name)).toBe('pong');
    expect(await a.ping(`nobody_${process.pid}@127.0.0.1`)).toBe('pang');
    expect(await h.ping(a.name)).toBe('pong');
    expect(a.nodes()).toEqual([b.name]);
    expect(a.nodes('hidden')).toEqual([h.name]);
    expect(a.nodes('connected').sort()).toEqual([b.name, h.name].sort());
    expect(h.nodes()).toEqual([]);
    expect(b.nodes()).toEqual([a.name]);
  });

  it('meshes three nodes: a-b and b-c give a-c; a hidden node stays out', async () => {
    const epmd = await privateEpmd();
    const [a, b, c, h] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd), tcpNode('c', epmd), tcpNode('h', epmd, { hidden: true })]);
    expect(await b.connect(c.name)).toBe(true);
    expect(await h.connect(b.name)).toBe(true);
    expect(await a.connect(b.name)).toBe(true);
    await waitFor(() => a.nodes().includes(c.name) && c.nodes().includes(a.name), 'a and c to connect');
    expect(a.nodes().sort()).toEqual([b.name, c.name].sort());
    expect(a.nodes('connected')).not.toContain(h.name);
    expect(h.nodes('connected')).toEqual([b.name]);
  });

  it('settles a simultaneous connect on one connection that works both ways', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    const got: unknown[] = [];
    a.node.spawnLoop((m) => void got.push(m), { name: 'inbox' });
    b.node.spawnLoop((m) => void got.push(m), { name: 'inbox' });
    expect(await Promise.all([a.connect(b.name), b.connect(a.name)])).toEqual([true, true]);
    expect(a.nodes()).toEqual([b.name]);
    expect(b.nodes()).toEqual([a.name]);
    a.node.send(['inbox', b.name], 'to b');
    b.node.send(['inbox', a.name], 'to a');
    await waitFor(() => got.length === 2, 'both messages');
    expect(got.sort()).toEqual(['to a', 'to b']);
    expect(await a.ping(b.name)).toBe('pong');
  });

  it('ends with one working connection per pair when five nodes all connect to each other at once', async () => {
    const epmd = await privateEpmd();
    const ns = await Promise.all(['n', 'n', 'n', 'n', 'n'].map((p) => tcpNode(p, epmd)));
    const connected = await Promise.all(ns.flatMap((a) => ns.filter((b) => b !== a).map((b) => a.connect(b.name))));
    expect(connected.every((ok) => ok)).toBe(true);
    await waitFor(() => ns.every((n) => n.nodes().length === 4), 'a full mesh');
    const pongs = await Promise.all(ns.flatMap((a) => ns.filter((b) => b !== a).map((b) => a.ping(b.name))));
    expect(pongs.every((p) => p === 'pong')).toBe(true);
  });

  it('refuses to start a second node with a name already registered', async () => {
    const epmd = await privateEpmd();
    const a = await tcpNode('a', epmd);
    await expect(startDistributed({ name: a.name, cookie: COOKIE, epmdPort: epmd.port })).rejects.toThrow(/already registered/);
    expect(await a.ping(a.name)).toBe('pong');
  });

  it('refuses a node with another cookie, both ways', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd, { cookie: 'not-the-same' })]);
    expect(await a.connect(b.name)).toBe(false);
    expect(await b.ping(a.name)).toBe('pang');
    expect(a.nodes('connected')).toEqual([]);
    expect(b.nodes('connected')).toEqual([]);
  });

  it('gives DOWN and EXIT noconnection and nodedown when a peer node stops', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    const remote = b.node.spawn((ctx) => ctx.receive());
    const nodedown = nextNodedown(a, b.name);
    const got = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(remote);
      const ref = ctx.monitor(remote);
      await callServer(ctx, ['net_kernel', b.name], { type: 'is_auth' });
      await b.stop();
      const exit = await ctx.receive(isExitMessage);
      const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      return [exit.reason, down.reason];
    });
    expect(got).toEqual(['noconnection', 'noconnection']);
    expect((await nodedown).reason).toBe('connection_closed');
  });
});

describe('TLS between nodes', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki.cleanup());

  it('connects nodes whose certificates the CA signed, and refuses one with a rogue certificate or none', async () => {
    const epmd = await privateEpmd();
    // A node certificate is issued to the node's full name (subject CN) and names its host.
    const tlsNode = (prefix: string, issue: (cn: string) => { key: string; cert: string }) => {
      const name = nodeName(prefix);
      return tcpNode(prefix, epmd, { name, tls: { ...issue(name), ca: pki.ca } });
    };
    const [a, b] = await Promise.all([tlsNode('a', (n) => pki.issue(n)), tlsNode('b', (n) => pki.issue(n))]);
    const rogue = await tlsNode('r', (n) => pki.rogue(n));
    expect(await a.ping(b.name)).toBe('pong');
    expect(await callServer(a.node, ['net_kernel', b.name], { type: 'is_auth' })).toBe('yes');
    expect(await rogue.ping(a.name)).toBe('pang');
    expect(await a.ping(rogue.name)).toBe('pang');
    const plain = await tcpNode('p', epmd);
    expect(await plain.ping(a.name)).toBe('pang');
    expect(await a.ping(plain.name)).toBe('pang');
    expect(a.nodes()).toEqual([b.name]);
  });
});

describe('bad bytes', () => {
  it('answers an Erlang handshake in Erlang, and refuses one that lacks the flags OTP 25 makes mandatory, naming them', async () => {
    const epmd = await privateEpmd();
    const a = await tcpNode('a', epmd);
    const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    try {
      const sock = net.connect(a.address.port, '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      // Erlang's send_name (OTP 23+): a 2-byte length, 'N', flags, creation, the name.
      const name = Buffer.from('erl@127.0.0.1');
      const body = Buffer.concat([Buffer.from('N'), Buffer.alloc(8), Buffer.alloc(4), Buffer.from([0, name.length]), name]);
      sock.write(Buffer.concat([Buffer.from([0, body.length]), body]));
      const answer: Buffer[] = [];
      sock.on('data', (d: Buffer) => answer.push(d));
      await new Promise((r) => sock.once('close', r));
      // Erlang's status packet, as OTP's dist_util sends it.
      expect(Buffer.concat(answer).toString('latin1')).toBe('\x00\x0csnot_allowed');
      await waitFor(() => warn.mock.calls.length > 0, 'the refusal to be logged');
      expect(String(warn.mock.calls[0]![0])).toMatch(
        new RegExp(`^${a.name.replace(/\./g, '\\.')}: Erlang handshake \\(acceptor\\) with erl@127\\.0\\.0\\.1 \\(127\\.0\\.0\\.1:\\d+\\) refused: the peer cannot handle EXTENDED_REFERENCES, FUN_TAGS, `),
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('closes a connection that sends garbage before the handshake, and nothing else', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    expect(await a.ping(b.name)).toBe('pong');
    const sock = net.connect(a.address.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5, 0xff, 0xfe]));
    await new Promise((r) => sock.once('close', r));
    expect(await a.ping(b.name)).toBe('pong');
    expect(a.nodes()).toEqual([b.name]);
  });

  it('closes only the connection that sent an oversized frame', async () => {
    const epmd = await privateEpmd();
    const [a, b, c] = await Promise.all([tcpNode('a', epmd, { maxFrameBytes: 64 * 1024 }), tcpNode('b', epmd), tcpNode('c', epmd)]);
    expect(await a.connect(b.name)).toBe(true);
    expect(await a.connect(c.name)).toBe(true);
    const sink = a.node.spawnLoop(() => {}, { name: 'sink' });
    const cWatch = c.node.run(async (ctx) => {
      const ref = ctx.monitor(sink);
      ctx.register('c_watch');
      await ctx.receive((m) => m === 'check');
      return ctx.receive((m): m is DownMessage => isDownMessage(m, ref), 0);
    });
    const nodedown = nextNodedown(a, b.name);
    b.node.send(['sink', a.name], Buffer.alloc(200 * 1024));
    expect((await nodedown).reason).toBe('frame_too_large');
    // c's ping round trip orders anything a sent c before it: a DOWN would be queued by now.
    expect(await c.ping(a.name)).toBe('pong');
    expect(a.nodes()).toEqual([c.name]);
    c.node.send('c_watch', 'check');
    expect(typeof (await cWatch)).toBe('symbol');
  });

  it('refuses at the sender a message over its own maximum message size, and keeps the connection', async () => {
    const epmd = await privateEpmd();
    // A message over the frame size goes in fragments, up to the message size (packages/distribution/test/large_messages.test.ts).
    const [a, b] = await Promise.all([tcpNode('a', epmd, { maxFrameBytes: 64 * 1024, maxMessageBytes: 96 * 1024 }), tcpNode('b', epmd)]);
    expect(await a.connect(b.name)).toBe(true);
    const err = await a.node.run((ctx) => ctx.send(['net_kernel', b.name], Buffer.alloc(100 * 1024))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotCopyableError);
    expect(await a.ping(b.name)).toBe('pong');
    expect(a.nodes()).toEqual([b.name]);
  });

  it('closes only the connection of an authenticated peer that sends a frame that does not decode', async () => {
    const epmd = await privateEpmd();
    const [a, b, c] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd), tcpNode('c', epmd)]);
    expect(await a.connect(b.name)).toBe(true);
    expect(await a.connect(c.name)).toBe(true);
    const nodedown = nextNodedown(a, b.name);
    // Reach into b's socket to a: no API sends raw bytes, on purpose.
    const router = (b as unknown as { router: { connections: Map<string, { channel: unknown }> } }).router;
    const channel = router.connections.get(a.name)!.channel as { socket: net.Socket };
    channel.socket.write(Buffer.from([0, 0, 0, 6, 0x0a, 0x04, 0xff, 0xff, 0xff, 0xff]));
    expect((await nodedown).reason).toBe('bad_frame');
    expect(await a.ping(c.name)).toBe('pong');
    expect(await b.ping(c.name)).toBe('pong');
  });
});
