/**
 * Distribution between OS processes: a node in this process (alice) and nodes in
 * child processes (test/fixtures/dist_peer.js, running Grove transpiled from
 * source), over TCP on 127.0.0.1, through a port mapper private to each test. Waits
 * are for messages and conditions, never sleeps; each test kills the children it
 * started.
 */
import {
  callServer,
  CallExitError,
  castServer,
  isDownMessage,
  isExitMessage,
  registerClass,
  startSupervisor,
  whichChildren,
  type DownMessage,
  type ExitMessage,
  type Pid,
} from '@grove/core';
import { isNodeMessage, monitorNodes, remoteChild, spawnLinkRemote, spawnMonitorRemote, SpawnError, type NodeDownMessage } from '@grove/distribution';
import type { EpmdServer } from '@grove/distribution/internal';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makePki } from '../packages/distribution/test/support/certs';
import { removeTranspiled, transpilePackages } from './support/children';
import { ChildNode, cleanup, nodeName, privateEpmd, startChild, tcpNode, waitFor } from './support/nodes';

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']));
afterAll(removeTranspiled);

class Point {
  constructor(public x: number, public y: number) {}
}
registerClass(Point, { name: 'test.Point' });

interface PeerOptions {
  cookie?: string;
  netTickTimeMs?: number;
  /** Paths of PEM files. */
  tls?: { key: string; cert: string; ca: string };
}

/** A node running test/fixtures/dist_peer.js in a child OS process (named `nodeName(prefix)` unless `name` says). */
function peer(prefix: string, epmd: EpmdServer, options: PeerOptions = {}, name = nodeName(prefix)): Promise<ChildNode> {
  return startChild('dist_peer', name, epmd, {
    ...(options.cookie !== undefined ? { TEST_COOKIE: options.cookie } : {}),
    ...(options.netTickTimeMs !== undefined ? { DIST_TICK_MS: String(options.netTickTimeMs) } : {}),
    ...(options.tls !== undefined ? { DIST_TLS: JSON.stringify(options.tls) } : {}),
  });
}

async function aliceAndBob(options: { netTickTimeMs?: number } = {}) {
  const epmd = await privateEpmd();
  const bob = await peer('bob', epmd, options);
  const alice = await tcpNode('alice', epmd, options);
  return { epmd, alice, bob };
}

describe('two nodes in two OS processes', () => {
  afterEach(cleanup);

  it('pings, lists, sends to a pid and to [name, node], and calls and casts a GenServer', async () => {
    const { alice, bob } = await aliceAndBob();
    expect(await alice.ping(bob.name)).toBe('pong');
    expect(alice.nodes()).toEqual([bob.name]);
    expect(await bob.request('nodes')).toEqual([alice.name]);
    const got = await alice.node.run(async (ctx) => {
      ctx.send(['echo_server', bob.name], { from: ctx.self, v: 'by name' });
      const byName = await ctx.receive();
      castServer(ctx, ['counter', bob.name], ['bump', 5]);
      const total = await callServer(ctx, ['counter', bob.name], ['add', 1]);
      return [byName, total];
    });
    expect(got).toEqual(['by name', 6]);
    const err = await callServer(alice.node, ['nobody', bob.name], 'x').catch((e: unknown) => e);
    expect((err as CallExitError).reason).toBe('noproc');
  });

  it('keeps per-pair order for 20,000 messages in both directions', async () => {
    const { alice, bob } = await aliceAndBob();
    const got: number[] = [];
    alice.node.spawnLoop((m) => void got.push(m as number), { name: 'sink' });
    await bob.request('sendMany', { node: alice.name, name: 'sink', n: 20_000 });
    await waitFor(() => got.length === 20_000, 'all messages at alice');
    expect(got.every((v, i) => v === i)).toBe(true);
    await alice.node.run(async (ctx) => {
      for (let i = 0; i < 20_000; i++) ctx.send(['sink', bob.name], i);
    });
    await waitFor(async () => (await bob.request('count')) === 20_000, 'all messages at bob');
  });

  it('spawns on the other node: a body, a GenServer class, spawn_link and spawn_monitor; an unknown name is an error', async () => {
    const { alice, bob } = await aliceAndBob();
    const counter = await alice.spawn(bob.name, 'Counter', [100]);
    expect(counter.node).toBe(bob.name);
    expect(await callServer(alice.node, counter, ['add', 1])).toBe(101);
    const out = await alice.node.run(async (ctx) => {
      ctx.trapExit(true);
      const p = await spawnLinkRemote(ctx, bob.name, 'echo', ['crash']);
      ctx.send(p, { from: ctx.self, v: 1 });
      const echoed = await ctx.receive(Array.isArray);
      const exit = await ctx.receive(isExitMessage);
      const [q, ref] = await spawnMonitorRemote(ctx, bob.name, 'echo', ['calm']);
      ctx.send(q, { from: ctx.self, v: 2 });
      await ctx.receive(Array.isArray);
      const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      return [echoed, exit.from.equals(p), (exit.reason as Error).message, down.reason];
    });
    expect(out).toEqual([['crash', 1], true, 'echo crashed', 'normal']);
    const err = await alice.spawn(bob.name, 'no_such_thing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    expect((err as SpawnError).reason).toBe('unknown_spawnable');
  });

  it('gives nodedown, EXIT noconnection and DOWN noconnection when the other process is killed -9', async () => {
    const { alice, bob } = await aliceAndBob();
    const remote = await alice.spawn(bob.name, 'idle');
    const result = alice.node.run(async (ctx) => {
      ctx.trapExit(true);
      monitorNodes(ctx);
      ctx.link(remote);
      const ref = ctx.monitor(remote);
      ctx.send(ctx.self, 'armed');
      await ctx.receive((m) => m === 'armed');
      // The link and monitor are on the wire before the kill: a call through bob orders them.
      await callServer(ctx, ['counter', bob.name], 'get');
      bob.kill();
      const exit = (await ctx.receive(isExitMessage)) as ExitMessage;
      const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      const nodedown = (await ctx.receive(isNodeMessage)) as NodeDownMessage;
      return [exit.reason, down.reason, nodedown.type, nodedown.node];
    });
    expect(await result).toEqual(['noconnection', 'noconnection', 'nodedown', bob.name]);
    expect(alice.nodes()).toEqual([]);
  });

  it('finds a silent peer within the net tick time: nodedown net_tick_timeout', async () => {
    const { alice, bob } = await aliceAndBob({ netTickTimeMs: 800 });
    const remote = await alice.spawn(bob.name, 'idle');
    const result = alice.node.run(async (ctx) => {
      monitorNodes(ctx);
      const ref = ctx.monitor(remote);
      await callServer(ctx, ['counter', bob.name], 'get');
      bob.signal('SIGSTOP');
      const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      const nodedown = (await ctx.receive(isNodeMessage)) as NodeDownMessage;
      return [down.reason, nodedown.reason];
    });
    try {
      expect(await result).toEqual(['noconnection', 'net_tick_timeout']);
    } finally {
      bob.kill();
    }
  });

  it('refuses a node with another cookie, both ways', async () => {
    const epmd = await privateEpmd();
    const bob = await peer('bob', epmd, { cookie: 'another-cookie' });
    const alice = await tcpNode('alice', epmd);
    expect(await alice.ping(bob.name)).toBe('pang');
    expect(await bob.request('ping', { node: alice.name })).toBe('pang');
    expect(alice.nodes()).toEqual([]);
  });

  it('connects over TLS to a node in another process, and refuses one with a rogue certificate', async () => {
    const pki = makePki();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-dist-tls-'));
    try {
      const files = (name: string, c: { key: string; cert: string }) => {
        fs.writeFileSync(path.join(dir, `${name}.key`), c.key);
        fs.writeFileSync(path.join(dir, `${name}.crt`), c.cert);
        return { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.crt`), ca: path.join(dir, 'ca.crt') };
      };
      fs.writeFileSync(path.join(dir, 'ca.crt'), pki.ca);
      const epmd = await privateEpmd();
      // A node certificate is issued to the node's full name (subject CN) and names its host.
      const [bobName, rogueName, aliceName] = [nodeName('bob'), nodeName('rogue'), nodeName('alice')];
      const [bob, rogue] = await Promise.all([
        peer('bob', epmd, { tls: files('bob', pki.issue(bobName)) }, bobName),
        peer('rogue', epmd, { tls: files('rogue', pki.rogue(rogueName)) }, rogueName),
      ]);
      const alice = await tcpNode('alice', epmd, { name: aliceName, tls: { ...pki.issue(aliceName), ca: pki.ca } });
      expect(await alice.ping(bob.name)).toBe('pong');
      expect(await callServer(alice.node, ['counter', bob.name], ['add', 2])).toBe(2);
      expect(await alice.ping(rogue.name)).toBe('pang');
      expect(await rogue.request('ping', { node: alice.name })).toBe('pang');
      expect(alice.nodes()).toEqual([bob.name]);
    } finally {
      pki.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes a mesh across processes: bob-carol, then alice-bob gives alice-carol', async () => {
    const epmd = await privateEpmd();
    const [bob, carol] = await Promise.all([peer('bob', epmd), peer('carol', epmd)]);
    expect(await bob.request('connect', { node: carol.name })).toBe(true);
    const alice = await tcpNode('alice', epmd);
    expect(await alice.connect(bob.name)).toBe(true);
    await waitFor(() => alice.nodes().includes(carol.name), 'alice to connect to carol');
    await waitFor(async () => ((await carol.request('nodes')) as string[]).includes(alice.name), 'carol to see alice');
  });

  it('restarts a crashed worker that a supervisor on alice runs on bob', async () => {
    const { alice, bob } = await aliceAndBob();
    const sup = await startSupervisor(alice.node, {
      flags: { strategy: 'one_for_one', intensity: 5, periodMs: 5000 },
      children: [remoteChild({ id: 'w', node: bob.name, spawnable: 'worker' })],
    });
    const first = (await whichChildren(alice.node, sup))[0]!.pid as Pid;
    expect(first.node).toBe(bob.name);
    alice.node.send(['remote_worker', bob.name], 'crash');
    await waitFor(async () => {
      const now = (await whichChildren(alice.node, sup))[0]!.pid as Pid | undefined;
      return now !== undefined && !now.equals(first) && (await bob.request('whereis', { name: 'remote_worker' })) === now.toString();
    }, 'the worker to be restarted on bob');
  });
});

describe('terms between two OS processes', () => {
  const big = 2n ** 100n;
  const date = new Date(1_700_000_000_000);
  const table: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['true', true],
    ['false', false],
    ['a small integer', 42],
    ['a negative integer', -7],
    ['a large integer', 2 ** 52 + 1],
    ['a float', 3.25],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-0', -0],
    ['a bigint', big],
    ['a negative bigint', -big],
    ['an empty string', ''],
    ['a string', 'grove'],
    ['a unicode string', 'héllo wörld ✓ 🌳'],
    ['an array', [1, 'two', [3]]],
    ['a sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['a plain object', { a: 1, b: { c: [true] } }],
    ['a Map', new Map<unknown, unknown>([['k', 1], [2, 'v']])],
    ['a Set', new Set([1, 'x'])],
    ['a Date', date],
    ['a Uint8Array', new Uint8Array([1, 2, 255])],
    ['a Buffer', Buffer.from('bytes')],
    ['an Error', new Error('bad thing')],
    ['a TypeError', new TypeError('wrong type')],
    ['a registered class', new Point(1, 2)],
  ];

  let pair: Awaited<ReturnType<typeof aliceAndBob>>;
  beforeAll(async () => {
    pair = await aliceAndBob();
  });
  afterAll(cleanup);

  it.each(table)('sends %s to another process and gets it back equal', async (_what, value) => {
    const { alice, bob } = pair;
    const back = await alice.node.run(async (ctx) => {
      ctx.send(['echo_server', bob.name], { from: ctx.self, v: value });
      return ctx.receive();
    });
    if (value instanceof Error) {
      expect(back).toBeInstanceOf(value.constructor);
      expect((back as Error).message).toBe(value.message);
    } else if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
      expect(Buffer.from(back as Uint8Array).equals(Buffer.from(value))).toBe(true);
    } else if (value instanceof Point) {
      expect(back).toBeInstanceOf(Point);
      expect(back).toEqual(value);
    } else if (typeof value === 'number') {
      expect(Object.is(back, value)).toBe(true);
    } else {
      expect(back).toEqual(value);
    }
  });

  it('sends pids and refs, including the sender and the receiver node, and gets them back equal', async () => {
    const { alice, bob } = pair;
    const remotePid = await alice.spawn(bob.name, 'idle');
    const back = await alice.node.run(async (ctx) => {
      const ref = ctx.node.makeRef();
      ctx.send(['echo_server', bob.name], { from: ctx.self, v: { self: ctx.self, remotePid, ref } });
      const got = (await ctx.receive()) as { self: Pid; remotePid: Pid; ref: typeof ref };
      return [got.self.equals(ctx.self), got.remotePid.equals(remotePid), got.ref.equals(ref), got.ref.key === ref.key];
    });
    expect(back).toEqual([true, true, true, true]);
  });
});
