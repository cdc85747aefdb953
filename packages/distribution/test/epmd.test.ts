import * as net from 'node:net';
import {
  EpmdError,
  GROVE_EPMD_EXTRA,
  NODE_TYPE_HIDDEN,
  NODE_TYPE_NORMAL,
  epmdPort,
  names,
  portPlease,
  probe,
} from '@grove/distribution';
import { EpmdServer, encodeNodeInfo, register, type EpmdRegistration } from '@grove/distribution/internal';
import { freePort, waitFor } from './support/wait';

describe('EPMD port choice', () => {
  it('takes the option, then GROVE_EPMD_PORT, then ERL_EPMD_PORT, then 4369', () => {
    expect(epmdPort(5000, { GROVE_EPMD_PORT: '6000', ERL_EPMD_PORT: '7000' })).toBe(5000);
    expect(epmdPort(undefined, { GROVE_EPMD_PORT: '6000', ERL_EPMD_PORT: '7000' })).toBe(6000);
    expect(epmdPort(undefined, { ERL_EPMD_PORT: '7000' })).toBe(7000);
    expect(epmdPort(undefined, {})).toBe(4369);
  });

  it('refuses a port that is not 1..65535, naming where it came from', () => {
    expect(() => epmdPort(undefined, { GROVE_EPMD_PORT: 'abc' })).toThrow(/GROVE_EPMD_PORT must be 1..65535, got "abc"/);
    expect(() => epmdPort(70000)).toThrow(RangeError);
    expect(() => epmdPort(undefined, { ERL_EPMD_PORT: '0' })).toThrow(/ERL_EPMD_PORT/);
  });
});

describe('embedded EPMD server with the EPMD client', () => {
  let server: EpmdServer;
  let addr: { port: number };
  const regs: EpmdRegistration[] = [];

  beforeEach(async () => {
    server = await EpmdServer.start({ port: 0 });
    addr = { port: server.port };
  });

  afterEach(async () => {
    for (const r of regs) r.close();
    regs.length = 0;
    await server.stop();
  });

  async function reg(name: string, port: number, hidden = false): Promise<EpmdRegistration> {
    const r = await register({ name, port, hidden }, addr);
    regs.push(r);
    return r;
  }

  it('registers a node, looks its port up and lists it', async () => {
    const r = await reg('alice', 4100);
    expect(r.name).toBe('alice');
    expect(r.creation).toBeGreaterThan(0);
    expect(await portPlease('alice', addr)).toEqual({
      name: 'alice',
      port: 4100,
      nodeType: NODE_TYPE_NORMAL,
      protocol: 0,
      highestVersion: 6,
      lowestVersion: 6,
      extra: GROVE_EPMD_EXTRA,
    });
    expect(await names(addr)).toEqual({ epmdPort: server.port, nodes: [{ name: 'alice', port: 4100 }] });
  });

  it('registers hidden nodes with node type 72', async () => {
    await reg('ghost', 4101, true);
    expect((await portPlease('ghost', addr))?.nodeType).toBe(NODE_TYPE_HIDDEN);
  });

  it('answers an unknown name with nothing', async () => {
    expect(await portPlease('nobody', addr)).toBeUndefined();
  });

  it('unregisters a node when its registration connection closes', async () => {
    const r = await reg('alice', 4100);
    r.close();
    expect(await r.closed).toEqual({ unexpected: false });
    await waitFor(async () => (await names(addr)).nodes.length === 0, 'alice to be unregistered');
    expect(await portPlease('alice', addr)).toBeUndefined();
  });

  it('refuses to register a name that is taken', async () => {
    await reg('alice', 4100);
    const err = await register({ name: 'alice', port: 4200 }, addr).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EpmdError);
    expect(err).toMatchObject({ kind: 'refused' });
    expect((err as Error).message).toMatch(/refused to register "alice".*taken/);
    expect((await portPlease('alice', addr))?.port).toBe(4100);
  });

  it('hands out a new creation for each registration', async () => {
    const a = await reg('a', 4100);
    const b = await reg('b', 4101);
    expect(a.creation).not.toBe(b.creation);
  });

  it('tells a registration that its server went away', async () => {
    const r = await reg('alice', 4100);
    await server.stop();
    expect(await r.closed).toEqual({ unexpected: true });
    expect(r.open).toBe(false);
  });

  async function rawRequest(bytes: Buffer): Promise<Buffer> {
    const socket = net.connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.write(bytes);
    await new Promise((r) => socket.once('close', r));
    return Buffer.concat(chunks);
  }

  it('closes the connection on an unknown request', async () => {
    expect(await rawRequest(Buffer.of(0, 1, 99))).toEqual(Buffer.alloc(0));
  });

  it('refuses a truncated registration request', async () => {
    expect(await rawRequest(Buffer.of(0, 3, 120, 0x10, 0x04))).toEqual(Buffer.of(121, 1, 0, 0));
    expect(server.registered()).toEqual([]);
  });

  it('answers KILL_REQ with NO: it lives and dies with its node', async () => {
    expect(String(await rawRequest(Buffer.of(0, 1, 107)))).toBe('NO');
    expect(await probe(addr)).toBe(true);
  });

  it('refuses names that EPMD cannot hold at the client', async () => {
    await expect(register({ name: 'a@b', port: 1 }, addr)).rejects.toThrow(/without @/);
    await expect(portPlease('', addr)).rejects.toThrow(RangeError);
  });
});

describe('EPMD client errors', () => {
  it('reports a port mapper that is not there as unreachable', async () => {
    const port = await freePort();
    await expect(names({ port })).rejects.toMatchObject({ kind: 'unreachable' });
    await expect(register({ name: 'a', port: 1 }, { port })).rejects.toMatchObject({ kind: 'unreachable' });
    expect(await probe({ port })).toBe(false);
  });

  it('reports a malformed answer as a protocol error', async () => {
    const srv = net.createServer((s) => s.resume().end('garbage!'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      await expect(portPlease('alice', { port })).rejects.toMatchObject({ kind: 'protocol' });
      await expect(register({ name: 'a', port: 1 }, { port })).rejects.toMatchObject({ kind: 'protocol' });
      await expect(names({ port })).rejects.toThrow(/bad NAMES_RESP line/);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it('takes a whole PORT2_RESP without waiting for the port mapper to close, and a split one across chunks', async () => {
    // A port mapper that answers in two pieces and keeps the connection open: the
    // lookup resolves as soon as the answer is whole (before, it waited for the close).
    const info = { port: 4711, nodeType: NODE_TYPE_NORMAL, protocol: 0, highestVersion: 6, lowestVersion: 6, name: 'alice', extra: GROVE_EPMD_EXTRA };
    const held: net.Socket[] = [];
    const srv = net.createServer((s) => {
      held.push(s);
      s.once('data', () => {
        const answer = Buffer.concat([Buffer.of(119, 0), encodeNodeInfo(info)]);
        s.write(answer.subarray(0, 7));
        setTimeout(() => s.write(answer.subarray(7)), 20);
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      expect(await portPlease('alice', { port, timeoutMs: 5000 })).toEqual(info);
      // The client closed its end: the server sees the close.
      await waitFor(() => held.length === 1 && held[0]!.readableEnded, 'the client to close its end');
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  });
});
