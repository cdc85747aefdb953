/**
 * Nodes in worker threads (startWorkers): real threads of this OS process, each a
 * Grove node, connected to the main node and to each other over shared-memory rings; a thread
 * that dies is a nodedown with noconnection for the others and is restarted by its
 * supervisor. The threads run the built JavaScript (`npm test` builds first).
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { Call, GenServer, isDownMessage, type ProcessContext } from '@grove/core';
import { isNodeMessage, monitorNodes, ServerPool, startWorkers, WorkerNode, type DistNode, type WorkerNodes } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';
import { cleanup, privateEpmd, tcpNode, waitFor } from '../../../test/support/nodes';

const MAIN = path.join(__dirname, 'fixtures', 'worker_main.js');
let workers: WorkerNodes | undefined;

afterEach(async () => {
  await workers?.stop().catch(() => undefined);
  workers = undefined;
  await cleanup();
});

/** Pings `echo` on `node` from `ctx`; resolves with its pong. */
async function ping(ctx: ProcessContext, node: string): Promise<unknown[]> {
  ctx.send(['echo', node], ['ping', ctx.self]);
  return (await ctx.receive((m) => Array.isArray(m) && m[0] === 'pong' && m[1] === node, 10_000)) as unknown[];
}

/** Pings `node` until its `echo` answers (a restarted thread registers it after its node is up); at most 10 s. */
async function pingUntilStarted(ctx: ProcessContext, node: string): Promise<unknown[]> {
  for (let i = 0; i < 50; i++) {
    ctx.send(['echo', node], ['ping', ctx.self]);
    const pong = await ctx.receive((m) => Array.isArray(m) && m[0] === 'pong' && m[1] === node, 200);
    if (Array.isArray(pong)) return pong as unknown[];
  }
  throw new Error(`echo on ${node} never answered`);
}

async function startTwo(epmd: EpmdServer): Promise<[DistNode, WorkerNodes]> {
  const main = await tcpNode('app', epmd);
  workers = await startWorkers(main, { count: 2, main: MAIN, data: { job: 'test' }, epmdPort: epmd.port });
  return [main, workers];
}

/** The main thread's side of the fixture's `Where` (same class name, same protocol). */
class Where extends GenServer<{ call: 'where' }> {
  @Call() where(): [string, number] {
    return [this.ctx.node.name, -1];
  }
}

/**
 * Open file descriptors of this process on a thread's schedstat (busy waiting's
 * contention check), counting those of threads gone (their link no longer reads).
 */
function schedstatFds(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch (e) {
      // The fd of readdir itself is gone by now; one whose link cannot be read is a dead thread's.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(`/proc/self/fd/${fd}`)) n++;
      continue;
    }
    if (link.endsWith('/schedstat')) n++;
  }
  return n;
}

(existsSync('/proc/thread-self/schedstat') ? describe : describe.skip)('busy waiting in worker threads', () => {
  it('leaves no file open of the threads that ended (each reads its wait for a core from one)', async () => {
    const epmd = await privateEpmd();
    const main = await tcpNode('app', epmd);
    const before = schedstatFds();
    for (let round = 0; round < 3; round++) {
      workers = await startWorkers(main, { count: 2, main: MAIN, data: { job: 'test' }, epmdPort: epmd.port });
      const w = workers;
      await main.node.run(async (ctx) => {
        for (const n of w.nodes) for (let i = 0; i < 20; i++) await ping(ctx, n);
      });
      await w.stop();
      workers = undefined;
    }
    // Each thread polled after its writes (and opened its schedstat); none is left open.
    await waitFor(() => schedstatFds() <= before + 1, 'the threads\' schedstat files to close');
  });
});

describe('a pool of servers on worker nodes', () => {
  it('spreads requests round-robin, and sends equal keys to the same server', async () => {
    const epmd = await privateEpmd();
    const [main, w] = await startTwo(epmd);
    await main.node.run(async (ctx) => {
      const pool = await ServerPool.start(ctx, Where, undefined, { nodes: w.nodes, perNode: 2 });
      expect(pool.size).toBe(4);
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push((await pool.pick().call.where())[0]);
      expect(seen).toEqual([w.nodes[0], w.nodes[0], w.nodes[1], w.nodes[1]]);
      const [node, thread] = await pool.pickFor({ user: 42 }).call.where();
      expect(thread).toBeGreaterThan(0); // ran in a worker thread, not here
      for (let i = 0; i < 5; i++) expect((await pool.pickFor({ user: 42 }).call.where())[0]).toBe(node);
      expect(pool.pickFor('a')).toBe(pool.pickFor('a'));
      expect(() => pool.pickFor(() => 1)).toThrow(/cannot be a key/);
      await pool.stop(ctx);
    });
  });

  it('starts all servers or none, and refuses bad options', async () => {
    const epmd = await privateEpmd();
    const [main, w] = await startTwo(epmd);
    await main.node.run(async (ctx) => {
      await expect(ServerPool.start(ctx, Where, undefined, { nodes: [] })).rejects.toThrow(/at least one node/);
      await expect(ServerPool.start(ctx, Where, undefined, { nodes: w.nodes, perNode: 0 })).rejects.toThrow(/perNode must be a positive integer/);
      class Unknown extends GenServer {}
      await expect(ServerPool.start(ctx, Unknown, undefined, { nodes: w.nodes })).rejects.toThrow(/a Unknown did not start/);
    });
  });
});

describe('worker-thread nodes', () => {
  it('start as named nodes connected to the main node, and answer from their own threads', async () => {
    const epmd = await privateEpmd();
    const [main, w] = await startTwo(epmd);
    expect(w.nodes).toEqual([1, 2].map((i) => `${main.name.split('@')[0]}_${i}@127.0.0.1`));
    await waitFor(() => w.nodes.every((n) => main.nodes().includes(n)), 'both workers connected to main');
    await main.node.run(async (ctx) => {
      expect(await ping(ctx, w.nodes[0]!)).toEqual(['pong', w.nodes[0], 1, { job: 'test' }]);
      expect(await ping(ctx, w.nodes[1]!)).toEqual(['pong', w.nodes[1], 2, { job: 'test' }]);
    });
  });

  it('reach each other with no port mapper: the link between threads is shared memory', async () => {
    const epmd = await privateEpmd();
    const [main, w] = await startTwo(epmd);
    // Without the port mapper no TCP connection can be set up any more.
    await epmd.stop();
    await main.node.run(async (ctx) => {
      // worker 1 forwards a ping to worker 2, which answers here.
      ctx.send(['echo', w.nodes[0]!], ['relay', ['echo', w.nodes[1]!], ['ping', ctx.self]]);
      const pong = await ctx.receive((m) => Array.isArray(m) && m[0] === 'pong', 10_000);
      expect(pong).toEqual(['pong', w.nodes[1], 2, { job: 'test' }]);
    });
  });

  it('hold a sender when the other thread reads slowly: the link is busy, nothing is lost or reordered', async () => {
    const epmd = await privateEpmd();
    const [main, w] = await startTwo(epmd);
    const peer = w.nodes[0]!;
    await main.node.run(async (ctx) => {
      ctx.send(['sink', peer], ['block', 1500]); // the worker's thread stops reading for 1.5 s
      const payload = 'x'.repeat(1000);
      const n = 20_000; // 20 MB: well past the link's window and the connection's busy limit
      let busySeen = false;
      for (let i = 0; i < n; i++) {
        ctx.send(['sink', peer], ['n', i, payload]);
        if (i % 256 === 255) {
          busySeen ||= main.connectionInfo(peer)?.busy === true;
          await ctx.yield();
        }
      }
      expect(busySeen).toBe(true);
      ctx.send(['sink', peer], ['count', ctx.self]);
      expect(await ctx.receive((m) => Array.isArray(m) && m[0] === 'count', 30_000)).toEqual(['count', n, 0]);
      expect(main.connectionInfo(peer)?.droppedMessages).toBe(0);
    });
  });

  it('carry a message larger than the link\'s ring both ways, intact', async () => {
    const epmd = await privateEpmd();
    const [main, w] = await startTwo(epmd);
    await main.node.run(async (ctx) => {
      // 3 MB: one frame, three times the 1 MiB ring each way; the worker relays it back.
      const big = Array.from({ length: 3000 }, (_, i) => `${i}:`.padEnd(1000, 'x')).join('');
      ctx.send(['echo', w.nodes[0]!], ['relay', ctx.self, ['big', big]]);
      const back = (await ctx.receive((m) => Array.isArray(m) && m[0] === 'big', 10_000)) as [string, string];
      expect(back[1].length).toBe(big.length);
      expect(back[1] === big).toBe(true);
    });
  });

  it('survive a thread that crashes: nodedown and noconnection for the others, then a new thread under the same name', async () => {
    const epmd = await privateEpmd();
    const [main, w] = await startTwo(epmd);
    const victim = w.nodes[0]!;
    await main.node.run(async (ctx) => {
      await ping(ctx, victim);
      monitorNodes(ctx, true);
      const ref = ctx.monitor(['echo', victim]);
      ctx.send(['echo', victim], 'crash');
      const down = await ctx.receive((m) => isDownMessage(m) && m.ref === ref, 10_000);
      expect(isDownMessage(down) && down.reason).toBe('noconnection');
      await ctx.receive((m) => isNodeMessage(m) && m.type === 'nodedown' && m.node === victim, 10_000);
      // The supervisor starts a new thread with the same node name. Its node connects
      // before its main module's start() registers `echo`: ping until it answers.
      await ctx.receive((m) => isNodeMessage(m) && m.type === 'nodeup' && m.node === victim, 20_000);
      expect(await pingUntilStarted(ctx, victim)).toEqual(['pong', victim, 1, { job: 'test' }]);
      // The other worker never went down.
      expect(await ping(ctx, w.nodes[1]!)).toEqual(['pong', w.nodes[1], 2, { job: 'test' }]);
    });
    expect(main.nodes()).toEqual(expect.arrayContaining([...w.nodes]));
  });

  it('are processes of the main node that exit with what ended their thread', async () => {
    const epmd = await privateEpmd();
    const main = await tcpNode('app', epmd);
    const name = `one_${process.pid}@127.0.0.1`;
    await main.node.run(async (ctx) => {
      const w = await WorkerNode.start(ctx, { name, index: 1, count: 1, parent: main.name, cookie: main.getCookie(), main: MAIN, epmdPort: epmd.port });
      const ref = ctx.monitor(w.pid);
      ctx.send(['echo', name], 'crash');
      const down = await ctx.receive((m) => isDownMessage(m) && m.ref === ref, 10_000);
      expect(isDownMessage(down) && down.reason).toEqual({ thread_error: 'thread crashed on purpose' });
    });
  });

  it('exit with { thread_exit: code } when their thread exits with a code, and normal with 0', async () => {
    const epmd = await privateEpmd();
    const main = await tcpNode('app', epmd);
    await main.node.run(async (ctx) => {
      for (const [code, reason] of [[3, { thread_exit: 3 }], [0, 'normal']] as const) {
        const name = `exit${code}_${process.pid}@127.0.0.1`;
        const w = await WorkerNode.start(ctx, { name, index: 1, count: 1, parent: main.name, cookie: main.getCookie(), main: MAIN, epmdPort: epmd.port });
        const ref = ctx.monitor(w.pid);
        ctx.send(['echo', name], ['exit', code]);
        const down = await ctx.receive((m) => isDownMessage(m) && m.ref === ref, 10_000);
        expect(isDownMessage(down) && down.reason).toEqual(reason);
      }
    });
  });

  it('refuse bad options, and a main module without start, with a clear error', async () => {
    const epmd = await privateEpmd();
    const main = await tcpNode('app', epmd);
    await expect(startWorkers(main, { count: 0 })).rejects.toThrow(/count must be an integer/);
    await expect(startWorkers(main, { count: 1, main: 42 as never })).rejects.toThrow(/main must be a module path/);
    await expect(
      startWorkers(main, { count: 1, main: path.join(__dirname, 'fixtures', 'worker_no_start.js'), epmdPort: epmd.port }),
    ).rejects.toThrow(/exports no start\(node, info\) function/);
    // The thread's node had connected before its main module failed: its nodedown follows the rejection.
    await waitFor(() => main.nodes().length === 0, 'the failed thread\'s node to go down');
  });
});
