/**
 * Floods against a node in a child OS process with a low descriptor limit
 * (`ulimit -n 256`), its listener and its embedded port mapper in that process:
 * more half-open sockets (connected, silent) than it has descriptors, and slow
 * clients that trickle a byte at a time. Afterwards, with the flood still open, a
 * real node looks it up, connects and pings it, and the port mapper answers.
 * In-process variants with small caps are in packages/distribution/test/limits.test.ts.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { names } from '@grove/distribution';
import { ChildNode, Cluster, openIdleSockets, waitFor } from '@grove/testing';
import { freePort } from '../packages/distribution/test/support/wait';
import { MODULES_DIR, removeTranspiled, transpilePackages } from './support/children';

const FD_LIMIT = 256;
const HALF_OPEN = 400;
const SLOW = 40;

let cluster: Cluster;
const opened: net.Socket[] = [];
const trickles: NodeJS.Timeout[] = [];

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']), 60_000);
afterAll(() => removeTranspiled());
beforeEach(async () => {
  cluster = await Cluster.start();
});
afterEach(async () => {
  for (const t of trickles.splice(0)) clearInterval(t);
  for (const s of opened.splice(0)) s.destroy();
  await cluster.stop();
});

/** Opens `n` silent sockets to `port`, destroyed after the test. */
async function flood(port: number, n: number): Promise<net.Socket[]> {
  const sockets = await openIdleSockets(port, n);
  opened.push(...sockets);
  return sockets;
}

/** Sends one byte every 50 ms on each socket (a slow client that never finishes). */
function trickle(sockets: net.Socket[], byte: number): void {
  trickles.push(setInterval(() => {
    for (const s of sockets) if (s.writable) s.write(Buffer.of(byte));
  }, 50));
}

/** The child node under the descriptor limit, on a port mapper port where nothing answers yet. */
async function limitedNode(): Promise<{ child: ChildNode; port: number; epmdPort: number }> {
  const epmdPort = await freePort();
  const child = await cluster.child(path.join(__dirname, 'fixtures', 'flood_node.js'), { epmdPort, maxOpenFiles: FD_LIMIT, env: { GROVE_MODULES: MODULES_DIR } });
  expect(await child.request('fileLimit')).toBe(FD_LIMIT);
  return { child, port: await child.request<number>('port'), epmdPort };
}

describe(`a node under ulimit -n ${FD_LIMIT}`, () => {
  it(`still takes a real node after ${HALF_OPEN} half-open sockets and ${SLOW} slow clients on its listener`, async () => {
    const { child, port, epmdPort } = await limitedNode();
    const idle = await flood(port, HALF_OPEN);
    const slow = await flood(port, SLOW);
    trickle(slow, 0);
    await waitFor(async () => (await child.request<number>('openFiles')) < FD_LIMIT, 'the node to shed sockets below its limit');
    const a = await cluster.node('real', { epmdPort });
    await expect(a.ping(child.name)).resolves.toBe('pong');
    const stillOpen = idle.filter((s) => !s.closed).length;
    console.info(`listener flood under ulimit -n ${FD_LIMIT}: ${HALF_OPEN} half-open + ${SLOW} slow sockets, ${stillOpen} half-open still open, the node holds ${await child.request('openFiles')} descriptors; a real node pinged it`);
  });

  it(`still answers lookups after ${HALF_OPEN} half-open sockets and ${SLOW} slow clients on its port mapper`, async () => {
    const { child, epmdPort } = await limitedNode();
    const idle = await flood(epmdPort, HALF_OPEN);
    const slow = await flood(epmdPort, SLOW);
    // A request announced as 65535 bytes long, sent a byte at a time: never complete.
    for (const s of slow) s.write(Buffer.of(0xff, 0xff));
    trickle(slow, 0);
    await waitFor(async () => (await child.request<number>('openFiles')) < FD_LIMIT, 'the node to shed sockets below its limit');
    await expect(names({ port: epmdPort })).resolves.toMatchObject({ nodes: [expect.objectContaining({ name: child.name.split('@')[0] })] });
    const a = await cluster.node('real', { epmdPort });
    await expect(a.ping(child.name)).resolves.toBe('pong');
    const stillOpen = idle.filter((s) => !s.closed).length;
    console.info(`port mapper flood under ulimit -n ${FD_LIMIT}: ${HALF_OPEN} half-open + ${SLOW} slow sockets, ${stillOpen} half-open still open, the node holds ${await child.request('openFiles')} descriptors; lookups answered, a real node pinged it`);
  });
});
