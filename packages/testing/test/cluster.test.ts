/**
 * The cluster harness: nodes in this OS process and in child OS processes, on a
 * port mapper of the cluster's own, all gone after stop().
 */
import * as path from 'node:path';
import { EpmdError, names } from '@grove/distribution';
import { ChildNode, Cluster, Probe, useCluster } from '@grove/testing';
import '@grove/testing/jest';
import { MODULES_DIR, removeTranspiled, transpilePackages } from '../../../test/support/children';

const ECHO_NODE = path.join(__dirname, 'fixtures', 'echo_node.js');
const env = { GROVE_MODULES: MODULES_DIR };

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']), 60_000);
afterAll(() => removeTranspiled());

describe('useCluster', () => {
  const cluster = useCluster();

  it('starts nodes in a full mesh on its own port mapper', async () => {
    const c = cluster();
    const [a, b, d] = await c.nodes(3);
    expect(a!.nodes().sort()).toEqual([b!.name, d!.name].sort());
    expect((await names({ port: c.epmd.port })).nodes.map((n) => n.name).sort()).toHaveLength(3);
  });

  it('runs a node in a child OS process that nodes here reach', async () => {
    const c = cluster();
    const a = await c.node('here');
    const child = await c.child(ECHO_NODE, { env });
    const probe = new Probe(a.node);
    a.node.send(['echo', child.name], { from: probe.pid, v: 'across processes' });
    await expect(probe).toReceive('across processes', 5000);
    await expect(child.request('nodes')).resolves.toEqual([a.name]);
  });

  it('runs a child under a descriptor limit', async () => {
    const child = await cluster().child(ECHO_NODE, { env, maxOpenFiles: 64 });
    await expect(child.request('fileLimit')).resolves.toBe(64);
  });

  it('reports a child that exits before it is ready, with its stderr', async () => {
    await expect(cluster().child(ECHO_NODE, { env: { GROVE_MODULES: '/nonexistent' } })).rejects.toThrow(/exited before it was ready: .*Cannot find module/s);
  });
});

describe('Cluster.stop', () => {
  it('kills the children, stops the nodes and the port mapper', async () => {
    const c = await Cluster.start();
    const a = await c.node();
    const child = await c.child(ECHO_NODE, { env });
    const port = c.epmd.port;
    await c.stop();
    await expect(child.exited).resolves.toBeNull(); // killed by a signal
    expect(a.alive).toBe(false);
    await expect(names({ port, timeoutMs: 500 })).rejects.toBeInstanceOf(EpmdError);
  });

  it('leaves no child behind when a request fails', async () => {
    const c = await Cluster.start();
    const child: ChildNode = await c.child(ECHO_NODE, { env });
    await expect(child.request('crash')).rejects.toThrow(/exited/);
    await expect(child.exited).resolves.toBe(3);
    await c.stop();
  });
});
