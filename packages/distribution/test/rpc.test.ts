import { BadArgError, callServer, Node, UnknownCallError, type Pid, type ProcessContext } from '@grove/core';
import { asyncCall, BadRequestError, DistNodeError, erpc, expose, exposed, nbYield, REX, rpc, RpcError, RpcKey, unexpose, type DistNode } from '@grove/distribution';
import { cluster, forgedCall, idle, stopAll, waitFor } from './global_helpers';

afterEach(stopAll);

const math = {
  add: (a: number, b: number) => a + b,
  slowAdd: async (a: number, b: number) => {
    await new Promise((r) => setTimeout(r, 5));
    return a + b;
  },
  fail: (msg: string) => {
    throw new RangeError(msg);
  },
  rejects: async () => Promise.reject(new Error('async failure')),
  bye(this: ProcessContext, reason: unknown) {
    this.exit(reason);
  },
  whoRuns(this: ProcessContext) {
    return this.self;
  },
  aFunction: () => () => 1,
};

/** Catches the RpcError a promise rejects with. */
async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  const e = await p.then(
    () => new Error('expected the rpc to fail'),
    (err: unknown) => err,
  );
  if (!(e instanceof RpcError)) throw e;
  return e;
}

async function two(): Promise<[DistNode, DistNode]> {
  const [a, b] = await cluster(2);
  expose(b, 'math', math);
  return [a!, b!];
}

describe('rpc.call', () => {
  it('runs an exposed function on another node and resolves with its result', async () => {
    const [a, b] = await two();
    expect(await rpc.call(a, b.name, 'math', 'add', [1, 2])).toBe(3);
    expect(await rpc.call(a.node, b.name, 'math', 'slowAdd', [20, 22])).toBe(42);
    expect(await a.node.run((ctx) => rpc.call(ctx, b.name, 'math', 'add', [2, 2]))).toBe(4);
  });

  it('runs a function on its own node too, in a process of its own', async () => {
    const [, b] = await two();
    const pid = (await rpc.call(b, b.name, 'math', 'whoRuns')) as Pid;
    expect(pid.node).toBe(b.name);
    expect(b.node.isAlive(pid)).toBe(false);
  });

  it('refuses a module or function that is not exposed with kind undef, saying what is', async () => {
    const [a, b] = await two();
    const noModule = await rpcError(rpc.call(a, b.name, 'os', 'cmd', ['rm -rf /']));
    expect(noModule.kind).toBe('undef');
    expect(noModule.message).toMatch(/module "os" is not exposed/);
    const noFn = await rpcError(rpc.call(a, b.name, 'math', 'mul', [2, 3]));
    expect(noFn.kind).toBe('undef');
    expect(noFn.message).toMatch(/exposes add, slowAdd/);
    for (const inherited of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect((await rpcError(rpc.call(a, b.name, 'math', inherited))).kind).toBe('undef');
    }
  });

  it('reports a throw with kind throw and the error that was thrown', async () => {
    const [a, b] = await two();
    const e = await rpcError(rpc.call(a, b.name, 'math', 'fail', ['out of range']));
    expect(e.kind).toBe('throw');
    expect(e.reason).toBeInstanceOf(Error);
    expect((e.reason as Error).name).toBe('RangeError');
    expect((e.reason as Error).message).toBe('out of range');
    expect((await rpcError(rpc.call(a, b.name, 'math', 'rejects'))).kind).toBe('throw');
  });

  it('reports an exit with kind exit and the reason', async () => {
    const [a, b] = await two();
    const e = await rpcError(rpc.call(a, b.name, 'math', 'bye', [{ shutdown: 'done' }]));
    expect(e.kind).toBe('exit');
    expect(e.reason).toEqual({ shutdown: 'done' });
  });

  it('reports a worker killed while it runs as an exit', async () => {
    const [a, b] = await two();
    let worker: Pid | undefined;
    expose(b, 'hang', {
      forever(this: ProcessContext) {
        worker = this.self;
        return new Promise(() => undefined);
      },
    });
    const pending = rpcError(rpc.call(a, b.name, 'hang', 'forever'));
    await waitFor(() => worker !== undefined, 'the worker to start');
    b.node.exit(worker!, 'kill');
    const e = await pending;
    expect(e.kind).toBe('exit');
    expect(e.reason).toBe('killed');
  });

  it('times out with kind timeout and kills the worker still running', async () => {
    const [a, b] = await two();
    let worker: Pid | undefined;
    expose(b, 'slow', {
      forever(this: ProcessContext) {
        worker = this.self;
        return new Promise(() => undefined);
      },
    });
    const e = await rpcError(rpc.call(a, b.name, 'slow', 'forever', [], 30));
    expect(e.kind).toBe('timeout');
    expect(e.reason).toBe(30);
    expect(e.message).toMatch(/no answer within 30 ms/);
    await waitFor(() => worker !== undefined && !b.node.isAlive(worker), 'the worker to be killed');
  });

  it('reports an unreachable node, and a node lost during the call, as noconnection', async () => {
    const [a, b] = await two();
    const unknown = await rpcError(rpc.call(a, 'ghost@127.0.0.1', 'math', 'add', [1, 2]));
    expect(unknown.kind).toBe('noconnection');
    expose(b, 'hang', { forever: () => new Promise(() => undefined) });
    const pending = rpcError(rpc.call(a, b.name, 'hang', 'forever'));
    await waitFor(() => b.node.processes().some((p) => b.node.processInfo(p)?.behaviour === 'rpc hang.forever'), 'the call to run');
    await b.stop();
    expect((await pending).kind).toBe('noconnection');
  });

  it('refuses a result that cannot cross the wire, as a throw that says why', async () => {
    const [a, b] = await two();
    const e = await rpcError(rpc.call(a, b.name, 'math', 'aFunction'));
    expect(e.kind).toBe('throw');
    expect((e.reason as Error).name).toBe('NotCopyableError');
  });

  it('calls through a typed module object', async () => {
    const [a, b] = await two();
    const remoteMath = rpc.moduleOf<typeof math>(a, b.name, 'math');
    const sum: number = await remoteMath.add(5, 6);
    expect(sum).toBe(11);
    expect((await rpcError(remoteMath.fail('typed'))).kind).toBe('throw');
  });
});

describe('rpc.cast, asyncCall and yield', () => {
  it('runs a cast and answers nothing', async () => {
    const [a, b] = await two();
    const seen: string[] = [];
    expose(b, 'log', { write: (line: string) => void seen.push(line) });
    expect(rpc.cast(a, b.name, 'log', 'write', ['hello'])).toBe(true);
    rpc.cast(a, b.name, 'log', 'nothing', []); // not exposed: dropped on b
    await waitFor(() => seen.length === 1, 'the cast to run');
    expect(seen).toEqual(['hello']);
  });

  it('yields the result of an asyncCall, and its error', async () => {
    const [a, b] = await two();
    const k1 = asyncCall<number>(a, b.name, 'math', 'slowAdd', [1, 1]);
    const k2 = rpc.asyncCall(a, b.name, 'math', 'fail', ['later']);
    expect(k1).toBeInstanceOf(RpcKey);
    expect(await rpc.yield(k1)).toBe(2);
    expect((await rpcError(rpc.yield(k2))).kind).toBe('throw');
  });

  it('answers nbYield with timeout until the result is there, then with the value', async () => {
    const [a, b] = await two();
    let release: (() => void) | null = null;
    expose(b, 'gate', { wait: () => new Promise<string>((r) => (release = () => r('open'))) });
    const key = rpc.asyncCall<string>(a, b.name, 'gate', 'wait');
    expect(await nbYield(key)).toBe('timeout');
    expect(await rpc.nbYield(key, 10)).toBe('timeout');
    await waitFor(() => release !== null, 'the gate to be waited on');
    release!();
    expect(await rpc.nbYield(key, 'infinity')).toEqual({ value: 'open' });
    expect(await rpc.nbYield(key, 0)).toEqual({ value: 'open' });
  });
});

describe('rpc.multicall and erpc.multicall', () => {
  it('collects results in node order and reports a dead node as a bad node', async () => {
    const nodes = await cluster(3);
    for (const d of nodes) expose(d, 'info', { name: function (this: ProcessContext) { return this.node.name; } });
    const [a, b, c] = nodes as [DistNode, DistNode, DistNode];
    await c.stop();
    await waitFor(() => !a.nodes().includes(c.name), 'c to be down');
    const r = await rpc.multicall<string>(a, [a.name, b.name, c.name], 'info', 'name');
    expect(r.results).toEqual([a.name, b.name]);
    expect(r.badNodes).toEqual([c.name]);
  });

  it('calls this node and every visible node by default', async () => {
    const nodes = await cluster(3);
    for (const d of nodes) expose(d, 'info', { name: function (this: ProcessContext) { return this.node.name; } });
    const r = await rpc.multicall<string>(nodes[1]!, undefined, 'info', 'name');
    expect(r.results.slice().sort()).toEqual(nodes.map((d) => d.name).sort());
    expect(r.badNodes).toEqual([]);
  });

  it('puts a remote failure among the results and a silent node among the bad nodes', async () => {
    const [a, b, c] = await cluster(3);
    expose(a, 'm', { f: () => 'a' });
    expose(b, 'm', { f: () => new Promise(() => undefined) });
    expose(c, 'm', {
      f: () => {
        throw new Error('c fails');
      },
    });
    const r = await rpc.multicall(a, [a.name, b.name, c.name], 'm', 'f', [], 50);
    expect(r.badNodes).toEqual([b.name]);
    expect(r.results[0]).toBe('a');
    expect(r.results[1]).toBeInstanceOf(RpcError);
    expect((r.results[1] as RpcError).kind).toBe('throw');
  });

  it('settles every node with erpc.multicall', async () => {
    const [a, b] = await two();
    const settled = await erpc.multicall<number>(a, [b.name, a.name, 'ghost@127.0.0.1'], 'math', 'add', [1, 1]);
    expect(settled[0]).toEqual({ node: b.name, ok: true, value: 2 });
    expect(settled[1]!.ok).toBe(false);
    expect(settled[1]!.ok === false && settled[1]!.error.kind).toBe('undef');
    expect(settled[2]!.ok === false && settled[2]!.error.kind).toBe('noconnection');
  });
});

describe('exposing, and rpc bad input', () => {
  it('lists, refuses twice, and unexposes modules', async () => {
    const [a, b] = await two();
    expect(exposed(b)).toEqual({ math: Object.keys(math) });
    expect(() => expose(b, 'math', { x: () => 1 })).toThrow(/already exposed/);
    expect(unexpose(b, 'math')).toBe(true);
    expect(unexpose(b, 'math')).toBe(false);
    expect((await rpcError(rpc.call(a, b.name, 'math', 'add', [1, 2]))).kind).toBe('undef');
  });

  it('refuses modules that are not objects of functions', async () => {
    const [a] = await cluster(1);
    expect(() => expose(a, '', {})).toThrow(BadArgError);
    expect(() => expose(a, 'm', null as never)).toThrow(/expected an object of functions/);
    expect(() => expose(a, 'm', { x: 1 } as never)).toThrow(/"x" is not a function/);
    expect(() => expose(new Node(), 'm', {})).toThrow(DistNodeError);
  });

  it('refuses bad nodes, modules, functions, arguments and timeouts at the caller', async () => {
    const [a, b] = await two();
    await expect(rpc.call(a, 'nonode', 'math', 'add')).rejects.toThrow(/node name/);
    await expect(rpc.call(a, b.name, '', 'add')).rejects.toThrow(/module/);
    await expect(rpc.call(a, b.name, 'math', 7 as never)).rejects.toThrow(/function/);
    await expect(rpc.call(a, b.name, 'math', 'add', 'x' as never)).rejects.toThrow(/args must be an array/);
    await expect(rpc.call(a, b.name, 'math', 'add', [], -1)).rejects.toThrow(/timeoutMs/);
    await expect(rpc.call(a, b.name, 'math', 'add', [() => 1])).rejects.toThrow(/not copyable/);
    expect(() => rpc.cast(a, b.name, 'math', 'add', {} as never)).toThrow(BadArgError);
    await expect(rpc.multicall(a, 'x' as never, 'math', 'add')).rejects.toThrow(/nodes must be an array/);
    await expect(rpc.yield({} as never)).rejects.toThrow(/expected a key/);
    await expect(rpc.call({} as never, b.name, 'math', 'add')).rejects.toThrow(BadArgError);
  });

  it('answers a call that is not an rpc with UnknownCallError, as any GenServer', async () => {
    const [a, b] = await two();
    await expect(callServer(a.node, [REX, b.name], { type: 'rpc.nonsense' })).rejects.toThrow(UnknownCallError);
    expect(await rpc.call(a, b.name, 'math', 'add', [1, 1])).toBe(2);
  });

  it('refuses malformed requests from a peer with BadRequestError, runs nothing, and never dies of one', async () => {
    const [a, b] = await two();
    const rex: [string, string] = [REX, b.name];
    const server = b.node.whereis(REX)!;
    let ran = 0;
    expose(b, 'spy', { f: () => ++ran });
    const id = a.node.makeRef();
    const calls: Array<[unknown, RegExp]> = [
      [{ type: 'rpc.call', id, module: JSON.parse('{"toString":"x"}'), fn: 'f', args: [] }, /module must be a non-empty string, got an object/],
      [{ type: 'rpc.call', id, module: 7, fn: [], args: [] }, /module must be a non-empty string, got 7/],
      [{ type: 'rpc.call', id, module: 'spy', fn: { toString: 'x' }, args: [] }, /function must be a non-empty string/],
      [{ type: 'rpc.call', id, module: 'spy', fn: 'f', args: 'x' }, /args must be an array, got "x"/],
      [{ type: 'rpc.call', id: null, module: 'spy', fn: 'f', args: [] }, /a call's id must be a ref, got null/],
      [{ type: 'rpc.call', id, module: '', fn: 'f', args: [] }, /module must be a non-empty string/],
    ];
    for (const [request, detail] of calls) {
      const e = await callServer(a.node, rex, request).then(() => null, (err: unknown) => err as BadRequestError);
      expect(e).toBeInstanceOf(BadRequestError);
      expect(e!.message).toMatch(detail);
      expect(e!.server).toBe(REX);
    }
    // Messages: casts of the wrong shape, forged DOWNs, a cancel of nothing, garbage; and calls with no caller to answer.
    for (const msg of [{ type: 'rpc.cast', module: JSON.parse('{"toString":"x"}'), fn: 'f', args: [] }, { type: 'rpc.cast', module: 'spy', fn: 'f', args: 5 }, { type: 'DOWN' }, { type: 'DOWN', ref: 'r' }, { type: 'rpc.cancel', id: 'nothing' }, 'garbage']) {
      a.node.send(rex, msg);
    }
    for (const from of ['nobody', { pid: 'nope', tag: 1 }, { pid: idle(a.node), tag: Infinity }, { pid: idle(a.node), tag: -1 }]) {
      a.node.send(rex, forgedCall(a.node, from, { type: 'rpc.call', id, module: 'spy', fn: 'f', args: [] }));
    }
    expect(await rpc.call(a, b.name, 'math', 'add', [1, 1])).toBe(2);
    expect(ran).toBe(0);
    expect(b.node.whereis(REX)).toBe(server);
  });

  it('comes back when killed (the kernel supervisor restarts it), with every module still exposed', async () => {
    const [a, b] = await two();
    const first = b.node.whereis(REX)!;
    b.node.exit(first, 'kill');
    await waitFor(() => b.node.whereis(REX) !== undefined && !b.node.whereis(REX)!.equals(first), 'rex to be restarted');
    expect(await rpc.call(a, b.name, 'math', 'add', [2, 3])).toBe(5);
    expect(exposed(b)).toEqual({ math: Object.keys(math) });
    expose(b, 'more', { one: () => 1 });
    expect(await rpc.call(a, b.name, 'more', 'one')).toBe(1);
  });

  it('keeps a worker that was not cancelled from leaking: it exits after answering', async () => {
    const [a, b] = await two();
    const before = b.node.processCount;
    await Promise.all([...Array(20)].map((_x, i) => rpc.call(a, b.name, 'math', 'slowAdd', [i, i])));
    await waitFor(() => b.node.processCount === before, 'the workers to exit');
  });
});
