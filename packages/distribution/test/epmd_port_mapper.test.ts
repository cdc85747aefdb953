import * as net from 'node:net';
import { EpmdError, names } from '@grove/distribution';
import { EpmdServer, PortMapper, ensurePortMapper } from '@grove/distribution/internal';
import { freePort, waitFor } from './support/wait';

describe('port mapper start and takeover', () => {
  let port: number;
  const mappers: PortMapper[] = [];
  const servers: EpmdServer[] = [];

  beforeEach(async () => {
    port = await freePort();
  });

  afterEach(async () => {
    for (const m of mappers) await m.close();
    mappers.length = 0;
    for (const s of servers) await s.stop();
    servers.length = 0;
  });

  async function mapper(): Promise<PortMapper> {
    const m = await ensurePortMapper(port);
    mappers.push(m);
    return m;
  }

  async function listed(): Promise<string[]> {
    return (await names({ port })).nodes.map((n) => n.name).sort();
  }

  it('starts the embedded server when nothing answers, and the next node uses it', async () => {
    const a = await mapper();
    expect(a.server?.port).toBe(port);
    const b = await mapper();
    expect(b.server).toBeUndefined();
    await a.register({ name: 'a', port: 5001 });
    await b.register({ name: 'b', port: 5002 });
    expect((await b.portPlease('a'))?.port).toBe(5001);
    expect((await a.names()).nodes).toHaveLength(2);
  });

  it('uses a port mapper that already answers instead of starting one', async () => {
    servers.push(await EpmdServer.start({ port }));
    const a = await mapper();
    expect(a.server).toBeUndefined();
    await a.register({ name: 'a', port: 5001 });
    expect(await listed()).toEqual(['a']);
  });

  it('lets exactly one of several nodes starting at once run the server', async () => {
    const all = await Promise.all([mapper(), mapper(), mapper(), mapper()]);
    expect(all.filter((m) => m.server !== undefined)).toHaveLength(1);
    await Promise.all(all.map((m, i) => m.register({ name: `n${i}`, port: 5000 + i })));
    expect(await listed()).toEqual(['n0', 'n1', 'n2', 'n3']);
  });

  it('reads the port from GROVE_EPMD_PORT when none is given', async () => {
    const m = await PortMapper.ensure({ env: { GROVE_EPMD_PORT: String(port) } });
    mappers.push(m);
    expect(m.port).toBe(port);
  });

  it('unregisters on close without any takeover', async () => {
    const a = await mapper();
    const b = await mapper();
    const reg = await b.register({ name: 'b', port: 5002 });
    await b.close();
    expect(reg.registered).toBe(false);
    await waitFor(async () => (await listed()).length === 0, 'b to be unregistered');
    expect(a.server).toBeDefined();
  });

  it('when the node running the server stops, another takes over and every node is listed again', async () => {
    const owner = await mapper();
    const b = await mapper();
    const c = await mapper();
    await owner.register({ name: 'owner', port: 5000 });
    const again: string[] = [];
    const regB = await b.register({ name: 'b', port: 5001 }, { onReregistered: () => again.push('b') });
    const regC = await c.register({ name: 'c', port: 5002 }, { onReregistered: () => again.push('c') });
    expect(await listed()).toEqual(['b', 'c', 'owner']);

    await owner.close();
    await waitFor(() => again.length === 2, 'b and c to register again');
    expect(await listed()).toEqual(['b', 'c']);
    expect([b, c].filter((m) => m.server !== undefined)).toHaveLength(1);
    expect(regB.registered && regC.registered).toBe(true);

    // And again: the new owner stops, the last node takes over alone.
    const [newOwner, last, lastReg] = b.server !== undefined ? [b, c, regC] : [c, b, regB];
    const before = lastReg.creation;
    await newOwner.close();
    await waitFor(async () => last.server !== undefined && lastReg.registered, 'the last node to take over');
    expect(await listed()).toEqual([lastReg.name]);
    expect(lastReg.creation).not.toBe(before);
  });

  it('gives up and says so when no port mapper can be had again', async () => {
    const owner = await mapper();
    const b = await PortMapper.ensure({ port, embedded: false });
    mappers.push(b);
    let lost: Error | undefined;
    const reg = await b.register({ name: 'b', port: 5001 }, { maxAttempts: 2, onLost: (e) => (lost = e) });
    await owner.close();
    await waitFor(() => lost !== undefined, 'b to give up');
    expect(lost!.message).toMatch(/^no port mapper on 127\.0\.0\.1:[0-9]+: nothing answers there, and this node does not start one\. Start epmd, or choose another port with GROVE_EPMD_PORT$/);
    expect(reg.registered).toBe(false);
  });

  describe('when no port mapper can be had on the port, says which port, what failed and what to do', () => {
    it('something else listens there', async () => {
      // A program on the port that accepts connections and answers nothing a port mapper would.
      const conns = new Set<net.Socket>();
      const squatter = net.createServer((s) => {
        conns.add(s);
        s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      });
      await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
      try {
        const err = await ensurePortMapper(port).then(() => new Error('a port mapper was had'), (e: unknown) => e);
        expect(err).toBeInstanceOf(EpmdError);
        expect((err as Error).message).toMatch(
          new RegExp(
            `^no port mapper on 127\\.0\\.0\\.1:${port}: something listens there but does not answer as a port mapper \\(.+\\), ` +
              `and the embedded one cannot start there \\(listen EADDRINUSE[^)]*\\)\\. Stop the program that holds the port ` +
              `\\(ss -ltnp 'sport = :${port}' shows it\\) or choose another port with GROVE_EPMD_PORT`,
          ),
        );
      } finally {
        for (const c of conns) c.destroy();
        await new Promise((r) => squatter.close(r));
      }
    });

    it('the embedded one cannot bind the address', async () => {
      const err = await PortMapper.ensure({ port, host: '192.0.2.1', timeoutMs: 200 }).then(() => new Error('a port mapper was had'), (e: unknown) => e);
      expect((err as Error).message).toMatch(
        new RegExp(`^no port mapper on 192\\.0\\.2\\.1:${port}: .*, and the embedded one cannot start there \\(listen EADDRNOTAVAIL[^)]*\\): 192\\.0\\.2\\.1 is not an address of this host`),
      );
    });
  });
});
