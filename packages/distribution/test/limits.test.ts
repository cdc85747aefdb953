/**
 * Hostile or careless peers cannot exhaust a node's listener or its embedded port
 * mapper, and cannot flood the log (issue 13, items 10-12). Small caps stand in for
 * a low descriptor limit: 40 idle sockets against a cap of 16. The same floods against
 * a node in a child process under a real `ulimit -n 256` are in
 * test/dist_flood_fd_limit.test.ts.
 */
import * as net from 'node:net';
import { getLogger } from '@grove/core';
import { EpmdError, names } from '@grove/distribution';
import { EpmdServer, register, type EpmdRegistration } from '@grove/distribution/internal';
import { openIdleSockets } from '@grove/testing';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { closed, waitFor } from './support/wait';

const opened: net.Socket[] = [];

/** Opens `n` sockets to `port` that say nothing, destroyed after the test. */
async function idleSockets(port: number, n: number): Promise<net.Socket[]> {
  const batch = await openIdleSockets(port, n);
  opened.push(...batch);
  return batch;
}

const closedCount = (sockets: net.Socket[]): number => sockets.filter((s) => s.closed).length;

afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  jest.restoreAllMocks();
  await stopTcpNodes();
});

describe('handshakes in progress are capped', () => {
  it('keeps at most 16 idle handshakes of 40 and still lets a real node in', async () => {
    // A long handshake timeout: only the cap may close the idle sockets.
    const b = await tcpNode('capped', { maxHandshakes: 16, maxHandshakesPerAddress: 16, connectTimeoutMs: 60_000 });
    jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    const idle = await idleSockets(b.address.port, 40);
    await waitFor(() => closedCount(idle) >= 24, 'the listener to close the idle sockets over its cap');
    const a = await tcpNode('peer');
    await expect(a.ping(b.name)).resolves.toBe('pong');
    expect(b.nodes()).toContain(a.name);
  });

  it('caps handshakes per remote address too', async () => {
    const b = await tcpNode('capped', { maxHandshakes: 64, maxHandshakesPerAddress: 4, connectTimeoutMs: 60_000 });
    jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    const idle = await idleSockets(b.address.port, 12);
    await waitFor(() => closedCount(idle) >= 8, 'the listener to close the sockets over the per-address cap');
    const a = await tcpNode('peer');
    await expect(a.ping(b.name)).resolves.toBe('pong');
  });

  it('refuses a cap that is not a positive integer', async () => {
    await expect(tcpNode('bad', { maxHandshakes: 0 })).rejects.toThrow(/maxHandshakes must be a positive integer, got 0/);
  });
});

describe('refused connections', () => {
  it('are logged a few times with the real address, not once per attempt', async () => {
    const b = await tcpNode('noisy');
    const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    for (let i = 0; i < 20; i++) {
      const s = net.connect({ host: '127.0.0.1', port: b.address.port });
      s.on('error', () => undefined);
      opened.push(s);
      s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await closed(s);
    }
    const refusals = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(`${b.name}: handshake (acceptor)`));
    expect(refusals).toHaveLength(5);
    for (const l of refusals) expect(l).toMatch(/with 127\.0\.0\.1:\d+ refused/);
    expect(refusals.join('\n')).not.toMatch(/undefined/);
    expect(refusals[4]).toMatch(/more like this in the next \d+ s are left out/);
  });
});

describe('embedded port mapper limits', () => {
  let server: EpmdServer | undefined;
  const regs: EpmdRegistration[] = [];

  afterEach(async () => {
    for (const r of regs.splice(0)) r.close();
    await server?.stop();
    server = undefined;
  });

  it('closes a client that trickles its request past the deadline', async () => {
    server = await EpmdServer.start({ port: 0, requestTimeoutMs: 300 });
    const [s] = await idleSockets(server.port, 1);
    // A request announced as 65535 bytes long, sent one byte at a time: never complete.
    s.write(Buffer.of(0xff, 0xff));
    const trickle = setInterval(() => s.writable && s.write(Buffer.of(0)), 20);
    try {
      await waitFor(() => s.closed, 'the port mapper to close the trickling client', 5000);
    } finally {
      clearInterval(trickle);
    }
    expect(s.closed).toBe(true);
  });

  it('keeps at most maxConnections pending requests and still answers', async () => {
    server = await EpmdServer.start({ port: 0, maxConnections: 8, requestTimeoutMs: 60_000 });
    jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    const idle = await idleSockets(server.port, 20);
    await waitFor(() => closedCount(idle) >= 12, 'the port mapper to close the idle connections over its cap', 5000);
    regs.push(await register({ name: 'late', port: 5555 }, { port: server.port }));
    await expect(names({ port: server.port })).resolves.toMatchObject({ nodes: [{ name: 'late', port: 5555 }] });
  });

  it('refuses registrations past maxRegistrations', async () => {
    server = await EpmdServer.start({ port: 0, maxRegistrations: 3 });
    const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    for (const name of ['r1', 'r2', 'r3']) regs.push(await register({ name, port: 5000 }, { port: server.port }));
    const err = await register({ name: 'r4', port: 5000 }, { port: server.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EpmdError);
    expect((err as EpmdError).kind).toBe('refused');
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/refused to register "r4" from 127\.0\.0\.1:\d+: 3 names are registered \(maxRegistrations\)/);
    regs.shift()?.close();
    await waitFor(() => server!.registered().length === 2, 'the first registration to go');
    regs.push(await register({ name: 'r4', port: 5000 }, { port: server.port }));
  });

  it('refuses a cap that is not a positive integer', async () => {
    await expect(EpmdServer.start({ port: 0, maxConnections: -1 })).rejects.toThrow(/maxConnections must be a positive integer/);
  });
});
