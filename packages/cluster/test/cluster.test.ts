/**
 * ClusterFormation formation from a static list, this host's port mapper, a host list and a
 * `.hosts.erlang` file, over TCP on 127.0.0.1 with a private port mapper; nodes joining
 * and leaving as a strategy's list changes; failing strategies; bad options.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Node } from '@grove/core';
import {
  ClusterFormation,
  ClusterConfigError,
  epmdHosts,
  localEpmd,
  parseHostsFile,
  readHostsFile,
  staticNodes,
  type ClusterMembers,
  type ClusterFormationOptions,
  type Strategy,
} from '@grove/cluster';
import type { DistNode } from '@grove/distribution';
import { cleanup, privateEpmd, tcpNode, waitFor } from '../../../test/support/nodes';

afterEach(cleanup);

/** Starts a ClusterFormation on `d` (polling slowly: tests poll by calling `poll`) and returns a client. */
async function cluster(d: DistNode, options: ClusterFormationOptions) {
  await ClusterFormation.start(d.node, { pollMs: 60_000, ...options }, { name: 'cluster' });
  const c = ClusterFormation.client(d.node, 'cluster');
  return { poll: (): Promise<ClusterMembers> => c.call.poll(), members: (): Promise<ClusterMembers> => c.call.members() };
}

/** A strategy whose list the test changes, and can make fail. */
function listStrategy(initial: string[]): Strategy & { list: string[]; failWith?: Error } {
  const s = {
    list: initial,
    failWith: undefined as Error | undefined,
    describe: 'test list',
    discover(): Promise<readonly string[]> {
      return s.failWith !== undefined ? Promise.reject(s.failWith) : Promise.resolve([...s.list]);
    },
  };
  return s;
}

describe('a cluster from a static list', () => {
  it('connects to every listed node on its first poll, and to one that comes up later', async () => {
    const epmd = await privateEpmd();
    const [a, b, c] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd), tcpNode('c', epmd)]);
    const late = `late_${process.pid}@127.0.0.1`;
    const cl = await cluster(a, { strategies: staticNodes([b.name, c.name, late]) });
    await waitFor(() => a.nodes().includes(b.name) && a.nodes().includes(c.name), 'a connected to b and c');
    let m = await cl.members();
    expect(m.listed).toEqual([b.name, c.name, late].sort());
    expect(m.connected).toEqual([b.name, c.name].sort());

    const d = await tcpNode('late_unused', epmd, { name: late });
    m = await cl.poll();
    expect(m.connected).toContain(d.name);
    expect(a.nodes()).toContain(late);
  });

  it('lists nothing for itself and refuses a name that is not a node name at once', async () => {
    expect(() => staticNodes(['nohost'])).toThrow(ClusterConfigError);
    expect(() => staticNodes('a@b' as never)).toThrow(/expected an array/);
    const epmd = await privateEpmd();
    const a = await tcpNode('a', epmd);
    const cl = await cluster(a, { strategies: staticNodes([a.name]) });
    expect((await cl.poll()).listed).toEqual([]);
  });
});

describe('a cluster whose source changes', () => {
  it('disconnects a node that every strategy stopped listing, and only that one', async () => {
    const epmd = await privateEpmd();
    const [a, b, c, other] = await Promise.all([
      tcpNode('a', epmd, { connectAll: false }),
      tcpNode('b', epmd, { connectAll: false }),
      tcpNode('c', epmd, { connectAll: false }),
      tcpNode('o', epmd, { connectAll: false }),
    ]);
    const s = listStrategy([b.name, c.name]);
    const cl = await cluster(a, { strategies: [s, staticNodes([c.name])] });
    await waitFor(() => a.nodes().length === 2, 'a connected to b and c');
    expect(await a.connect(other.name)).toBe(true); // connected by hand: not the cluster's

    s.list = [];
    const m = await cl.poll();
    expect(m.listed).toEqual([c.name]); // still listed by the static strategy
    expect(a.nodes().sort()).toEqual([c.name, other.name].sort());
  });

  it('keeps nodes a strategy listed when it fails, reports the failure, and recovers', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    const s = listStrategy([b.name]);
    const cl = await cluster(a, { strategies: s });
    await waitFor(() => a.nodes().includes(b.name), 'a connected to b');
    s.failWith = new Error('DNS timeout');
    let m = await cl.poll();
    expect(m.failing).toEqual([{ strategy: 'test list', error: 'DNS timeout' }]);
    expect(m.connected).toEqual([b.name]);
    s.failWith = undefined;
    s.list = [];
    m = await cl.poll();
    expect(m.failing).toEqual([]);
    expect(a.nodes()).toEqual([]);
  });

  it('connects as a hidden node with hidden: true', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    const cl = await cluster(a, { strategies: staticNodes([b.name]), hidden: true });
    expect((await cl.poll()).connected).toEqual([b.name]);
    expect(a.nodes('hidden')).toEqual([b.name]);
    expect(a.nodes()).toEqual([]);
  });

  it('leaves nodes connected with disconnect: false', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    const s = listStrategy([b.name]);
    const cl = await cluster(a, { strategies: s, disconnect: false });
    await waitFor(() => a.nodes().includes(b.name), 'a connected to b');
    s.list = [];
    expect((await cl.poll()).listed).toEqual([]);
    expect(a.nodes()).toEqual([b.name]);
  });

  it('survives a strategy that answers something other than a list', async () => {
    const epmd = await privateEpmd();
    const a = await tcpNode('a', epmd);
    const bad: Strategy = { describe: 'bad', discover: () => Promise.resolve('a@b' as never) };
    const cl = await cluster(a, { strategies: bad });
    const m = await cl.poll();
    expect(m.failing[0]?.error).toMatch(/not a list of node names/);
  });
});

describe('a cluster from port mappers', () => {
  it('connects to every node registered with this host\'s port mapper', async () => {
    const epmd = await privateEpmd();
    const [a, b, c] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd), tcpNode('c', epmd)]);
    const cl = await cluster(a, { strategies: localEpmd({ epmdPort: epmd.port }) });
    await waitFor(() => a.nodes().length === 2, 'a connected to b and c');
    expect((await cl.members()).connected).toEqual([b.name, c.name].sort());
  });

  it('asks the port mapper of each listed host, from a list or a .hosts.erlang file', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    const dir = mkdtempSync(path.join(tmpdir(), 'grove-hosts-'));
    try {
      const file = path.join(dir, '.hosts.erlang');
      writeFileSync(file, "% the hosts of the cluster\n'127.0.0.1'.\n");
      const cl = await cluster(a, { strategies: epmdHosts({ file, epmdPort: epmd.port }) });
      await waitFor(() => a.nodes().includes(b.name), 'a connected to b');
      expect((await cl.members()).listed).toEqual([b.name]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a host list whose port mappers all fail to answer', async () => {
    const epmd = await privateEpmd();
    const a = await tcpNode('a', epmd);
    await epmd.stop().catch(() => undefined);
    const free = await privateEpmd();
    const port = free.port;
    await free.stop();
    const cl = await cluster(a, { strategies: epmdHosts({ hosts: ['127.0.0.1'], epmdPort: port, timeoutMs: 500 }) });
    expect((await cl.poll()).failing[0]?.error).toMatch(/no port mapper answered on 127\.0\.0\.1/);
  });
});

describe('.hosts.erlang', () => {
  it('reads quoted and bare atoms with comments, as OTP writes them', () => {
    expect(parseHostsFile("'host1.example'.\n% a comment\n'10.0.0.2'. host3.\n")).toEqual(['host1.example', '10.0.0.2', 'host3']);
  });

  it('refuses anything else with the line it is on', () => {
    expect(() => parseHostsFile("'ok'.\n{bad, term}.\n")).toThrow(/line 2/);
    expect(() => parseHostsFile("'no full stop'")).toThrow(ClusterConfigError);
  });

  it('says where it looked when there is no file', async () => {
    await expect(readHostsFile(path.join(tmpdir(), `none-${process.pid}`, '.hosts.erlang'))).rejects.toThrow(/cannot read the hosts file/);
  });
});

describe('bad options', () => {
  it('refuses to start on a node that is not distributed, and with no strategies or a bad poll time', async () => {
    const node = new Node();
    try {
      await expect(ClusterFormation.start(node, { strategies: staticNodes([]) })).rejects.toThrow(/not distributed/);
    } finally {
      await node.halt();
    }
    const epmd = await privateEpmd();
    const a = await tcpNode('a', epmd);
    await expect(ClusterFormation.start(a.node, { strategies: [] })).rejects.toThrow(/strategies must be/);
    await expect(ClusterFormation.start(a.node, { strategies: staticNodes([]), pollMs: -1 })).rejects.toThrow(/pollMs must be a positive number/);
    await expect(ClusterFormation.start(a.node, null as never)).rejects.toThrow(/expected options/);
  });
});
