/**
 * The supervisor API (startChild, terminateChild, restartChild, deleteChild,
 * whichChildren, countChildren) and the validation of specs and flags.
 */
import {
  BadArgError,
  ChildSpecError,
  countChildren,
  deleteChild,
  type Node,
  restartChild,
  startChild,
  StartError,
  startLinkSupervisor,
  startSupervisor,
  stopSupervisor,
  SupervisorChildError,
  terminateChild,
  whichChildren,
  type ChildSpec,
  type Pid,
} from '@grove/core';
import { node, waitFor } from './helpers';
import { pidOf, trace, useTracedNode, worker } from './supervisor_helpers';

useTracedNode();

const w = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, start: worker(trace, id), ...extra });

describe('the supervisor API', () => {
  it('adds a child with startChild, last in order, and refuses a duplicate id', async () => {
    const sup = await startSupervisor(node, { children: [w('a')] });
    const pid = await startChild(node, sup, w('b'));
    expect((await whichChildren(node, sup)).map((c) => [c.id, c.pid])).toEqual([['a', pidOf(await whichChildren(node, sup), 'a')], ['b', pid]]);
    const dup = await startChild(node, sup, w('b')).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(SupervisorChildError);
    expect(dup).toMatchObject({ code: 'already_started', pid });
  });

  it('keeps the spec of a terminated child, restarts it with restartChild, and deletes it with deleteChild', async () => {
    const sup = await startSupervisor(node, { children: [w('a'), w('b')] });
    await terminateChild(node, sup, 'b');
    expect(trace.events).toEqual(['start a', 'start b', 'exit b shutdown']);
    expect(await whichChildren(node, sup)).toEqual([
      { id: 'a', pid: expect.anything(), type: 'worker', restart: 'permanent' },
      { id: 'b', pid: undefined, type: 'worker', restart: 'permanent' },
    ]);
    expect(await startChild(node, sup, w('b')).catch((e: SupervisorChildError) => e.code)).toBe('already_present');
    const again = await restartChild(node, sup, 'b');
    expect(again).toEqual(pidOf(await whichChildren(node, sup), 'b'));
    expect(await restartChild(node, sup, 'b').catch((e: SupervisorChildError) => e.code)).toBe('running');
    expect(await deleteChild(node, sup, 'b').catch((e: SupervisorChildError) => e.code)).toBe('running');
    await terminateChild(node, sup, 'b');
    await deleteChild(node, sup, 'b');
    expect((await whichChildren(node, sup)).map((c) => c.id)).toEqual(['a']);
  });

  it('answers not_found for unknown ids', async () => {
    const sup = await startSupervisor(node, { children: [] });
    for (const op of [terminateChild, restartChild, deleteChild]) {
      await expect(op(node, sup, 'nope')).rejects.toMatchObject({ code: 'not_found', child: 'nope' });
    }
  });

  it('answers ok to terminateChild by the pid of a child that has just died, not_found for a live stranger', async () => {
    const sup = await startSupervisor(node, { children: [w('a'), w('t', { restart: 'temporary' })] });
    const [a, t] = [pidOf(await whichChildren(node, sup), 'a'), pidOf(await whichChildren(node, sup), 't')];
    node.send(a, 'crash');
    node.send(t, 'crash');
    await waitFor(() => trace.count('start a') === 2 && trace.count('exit t error') === 1, 'a to restart and t to crash');
    await whichChildren(node, sup); // the supervisor has taken both EXITs
    await expect(terminateChild(node, sup, a)).resolves.toBeUndefined();
    await expect(terminateChild(node, sup, t)).resolves.toBeUndefined();
    expect((await whichChildren(node, sup)).map((c) => [c.id, typeof c.pid])).toEqual([['a', 'object']]);
    await expect(terminateChild(node, sup, sup)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('forgets a temporary child stopped by terminateChild', async () => {
    const sup = await startSupervisor(node, { children: [w('t', { restart: 'temporary' })] });
    await terminateChild(node, sup, 't');
    expect(await whichChildren(node, sup)).toEqual([]);
  });

  it('counts specs, running children, supervisors and workers', async () => {
    const inner: ChildSpec = { id: 'inner', type: 'supervisor', start: (p) => startLinkSupervisor(p, { children: [] }) };
    const sup = await startSupervisor(node, { children: [w('a'), w('b'), inner] });
    await terminateChild(node, sup, 'b');
    expect(await countChildren(node, sup)).toEqual({ specs: 3, active: 2, supervisors: 1, workers: 2 });
  });

  it('rejects startChild with a StartError when the child fails to start, and keeps nothing', async () => {
    const sup = await startSupervisor(node, { children: [] });
    const err = await startChild(node, sup, w('x', { start: worker(trace, 'x', { failStart: () => true }) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe('x refused to start');
    expect(await whichChildren(node, sup)).toEqual([]);
  });

  it("keeps the spec of a child that answered 'ignore' (but not a temporary one's)", async () => {
    const sup = await startSupervisor(node, { children: [] });
    expect(await startChild(node, sup, w('i', { start: worker(trace, 'i', { ignore: true }) }))).toBe('ignore');
    expect(await startChild(node, sup, w('ti', { restart: 'temporary', start: worker(trace, 'ti', { ignore: true }) }))).toBe('ignore');
    expect(await whichChildren(node, sup)).toEqual([{ id: 'i', pid: undefined, type: 'worker', restart: 'permanent' }]);
  });

  it('rejects a malformed spec given to startChild with a ChildSpecError', async () => {
    const sup = await startSupervisor(node, { children: [] });
    await expect(startChild(node, sup, { id: 'x', start: worker(trace, 'x'), restart: 'sometimes' } as unknown as ChildSpec)).rejects.toThrow(ChildSpecError);
    await expect(startChild(node, sup, { id: 'x', start: 'nope' } as unknown as ChildSpec)).rejects.toThrow(/start must be a function/);
  });

  it('refuses to send a child spec to a supervisor on another node', async () => {
    const remote = { id: 'x', start: worker(trace, 'x') };
    await expect(startChild(node, ['sup', 'other@host'], remote)).rejects.toThrow(/another node/);
  });

  it('calls from inside a process as well as from the node', async () => {
    const sup = await startSupervisor(node, { children: [w('a')] });
    const ids = await node.run(async (ctx) => (await whichChildren(ctx, sup)).map((c) => c.id));
    expect(ids).toEqual(['a']);
  });
});

describe('a child that fails to start', () => {
  it('fails the supervisor start after stopping the children already started, last first', async () => {
    const children = [w('a'), w('b'), w('c', { start: worker(trace, 'c', { failStart: () => true }) }), w('d')];
    const err = await startSupervisor(node, { children }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toEqual({ shutdown: { failedToStartChild: 'c', reason: 'c refused to start' } });
    expect(trace.events).toEqual(['start a', 'start b', 'exit b shutdown', 'exit a shutdown']);
  });

  it('is retried on restart, each try counted, until it starts', async () => {
    let refusals = 2;
    const flaky = worker(trace, 'f', { failStart: () => refusals-- > 0 });
    let first = true;
    const spec: ChildSpec = { id: 'f', start: (p) => (first ? ((first = false), worker(trace, 'f')(p)) : flaky(p)) };
    const sup = await startSupervisor(node, { flags: { intensity: 5 }, children: [spec] });
    node.send(pidOf(await whichChildren(node, sup), 'f'), 'crash');
    await waitFor(() => trace.count('start f') === 2, 'f to start again after two refusals');
    expect(refusals).toBe(-1);
    expect(typeof (await whichChildren(node, sup))[0]!.pid).toBe('object');
  });

  it("keeps the spec without a process when its restart answers 'ignore'", async () => {
    let first = true;
    const spec: ChildSpec = { id: 'i', start: (p) => (first ? ((first = false), worker(trace, 'i')(p)) : Promise.resolve('ignore')) };
    const sup = await startSupervisor(node, { flags: { intensity: 5 }, children: [spec, w('b')] });
    node.send(pidOf(await whichChildren(node, sup), 'i'), 'crash');
    await waitFor(() => trace.count('exit i error') === 1, 'i to crash');
    expect((await whichChildren(node, sup)).map((c) => [c.id, typeof c.pid])).toEqual([
      ['i', 'undefined'],
      ['b', 'object'],
    ]);
    expect(await restartChild(node, sup, 'i')).toBe('ignore');
  });

  it("refuses a start that resolves with neither a pid nor 'ignore': at supervisor start, by startChild, and on restart", async () => {
    const junk: ChildSpec = { id: 'j', start: () => Promise.resolve(42 as unknown as Pid) };
    const atStart = await startSupervisor(node, { children: [w('a'), junk] }).catch((e: unknown) => e);
    expect(atStart).toBeInstanceOf(StartError);
    const why = ((atStart as StartError).reason as { shutdown: { failedToStartChild: string; reason: unknown } }).shutdown;
    expect(why.failedToStartChild).toBe('j');
    expect(String(why.reason)).toMatch(/start of child "j" resolved with 42; expected a Pid or 'ignore'/);
    expect(trace.events).toEqual(['start a', 'exit a shutdown']);

    const sup = await startSupervisor(node, { flags: { intensity: 2, periodMs: 60_000 }, children: [] });
    const byApi = await startChild(node, sup, junk).catch((e: unknown) => e);
    expect(byApi).toBeInstanceOf(StartError);
    expect(String((byApi as StartError).reason)).toMatch(/expected a Pid or 'ignore'/);
    expect(await whichChildren(node, sup)).toEqual([]);

    let first = true;
    const turnsJunk: ChildSpec = { id: 't', start: (p) => (first ? ((first = false), worker(trace, 't')(p)) : junk.start(p)) };
    await startChild(node, sup, turnsJunk);
    trace.ids.set(sup.key, 'sup');
    node.send(pidOf(await whichChildren(node, sup), 't'), 'crash');
    await waitFor(() => trace.count('exit sup shutdown') === 1, 'the supervisor to give up on a child that never starts again');
  });

  it('makes the supervisor give up when it never starts again', async () => {
    let first = true;
    const spec: ChildSpec = { id: 'f', start: (p) => (first ? ((first = false), worker(trace, 'f')(p)) : worker(trace, 'f', { failStart: () => true })(p)) };
    const sup: Pid = await startSupervisor(node, { flags: { intensity: 3, periodMs: 60_000 }, children: [spec] });
    trace.ids.set(sup.key, 'sup');
    node.send(pidOf(await whichChildren(node, sup), 'f'), 'crash');
    await waitFor(() => trace.count('exit sup shutdown') === 1, 'the supervisor to give up');
  });
});

describe('child spec and flag validation at supervisor start', () => {
  const ok = (): ChildSpec => w('ok');
  it.each<[string, unknown, RegExp]>([
    ['a spec that is not an object', [42], /child spec #0 must be an object, got 42/],
    ['a missing id', [{ start: () => Promise.resolve('ignore') }], /child spec #0: id must be a non-empty string, got undefined/],
    ['an empty id', [{ id: '', start: () => Promise.resolve('ignore') }], /id must be a non-empty string/],
    ['a numeric id', [{ id: 7, start: () => Promise.resolve('ignore') }], /id must be a non-empty string, got 7/],
    ['duplicate ids', 'dup', /duplicate child id "ok" \(child specs #0 and #1\)/],
    ['a start that is not a function', [{ id: 'x', start: 'go' }], /child "x": start must be a function/],
    ['a bad restart', [{ id: 'x', start: () => Promise.resolve('ignore'), restart: 'always' }], /child "x": restart must be 'permanent', 'transient' or 'temporary', got always/],
    ['a negative shutdown', [{ id: 'x', start: () => Promise.resolve('ignore'), shutdown: -1 }], /child "x": shutdown must be 'brutal_kill', 'infinity' or a whole number/],
    ['a fractional shutdown', [{ id: 'x', start: () => Promise.resolve('ignore'), shutdown: 1.5 }], /shutdown must be/],
    ['a bad shutdown word', [{ id: 'x', start: () => Promise.resolve('ignore'), shutdown: 'kill' }], /shutdown must be/],
    ['a bad type', [{ id: 'x', start: () => Promise.resolve('ignore'), type: 'manager' }], /child "x": type must be 'worker' or 'supervisor', got manager/],
    ['an unknown key', [{ id: 'x', start: () => Promise.resolve('ignore'), restrat: 'temporary' }], /child "x": unknown key "restrat"/],
    ['a significant permanent child', [{ id: 'x', start: () => Promise.resolve('ignore'), significant: true }], /significant child must be transient or temporary/],
    ['a significant child without autoShutdown', [{ id: 'x', start: () => Promise.resolve('ignore'), restart: 'transient', significant: true }], /need the supervisor flag autoShutdown/],
    ['children that are not an array', 'notarray', /children must be an array/],
  ])('rejects %s with a ChildSpecError', async (_what, children, message) => {
    const list = children === 'dup' ? [ok(), ok()] : children === 'notarray' ? { a: 1 } : children;
    const err = await startSupervisor(node, { children: list as ChildSpec[] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChildSpecError);
    expect((err as Error).message).toMatch(message);
    expect(trace.events).toEqual([]);
  });

  it('rejects a start from something that is neither a node nor a process, and a missing description', async () => {
    await expect(startSupervisor({} as Node, { children: [] })).rejects.toThrow(/expected a Node or a process context/);
    await expect(startSupervisor(node, null as unknown as { children: [] })).rejects.toThrow(/expected \{ flags\?, children \}/);
  });

  it('rejects an API call from something that is neither a node nor a process', async () => {
    const sup = await startSupervisor(node, { children: [w('a')] });
    const bad = {} as Node;
    await expect(whichChildren(bad, sup)).rejects.toThrow(/expected a Node or a process context/);
    await expect(countChildren(bad, sup)).rejects.toBeInstanceOf(BadArgError);
    await expect(terminateChild(bad, sup, 'a')).rejects.toBeInstanceOf(BadArgError);
    await expect(startChild(bad, sup, w('b'))).rejects.toBeInstanceOf(BadArgError);
    await expect(stopSupervisor(bad, sup)).rejects.toBeInstanceOf(BadArgError);
    expect(await whichChildren(node, sup)).toHaveLength(1);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown strategy', { strategy: 'one_for_some' }, /strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one'/],
    ['a negative intensity', { intensity: -1 }, /intensity must be a whole number >= 0/],
    ['a zero period', { periodMs: 0 }, /periodMs must be a number of milliseconds > 0/],
    ['a bad autoShutdown', { autoShutdown: 'sometimes' }, /autoShutdown must be/],
    ['a dynamic-only flag', { maxChildren: 3 }, /unknown key "maxChildren" for a static supervisor/],
  ])('rejects %s in the flags', async (_what, flags, message) => {
    await expect(startSupervisor(node, { flags: flags as object, children: [ok()] })).rejects.toThrow(message);
    expect(trace.events).toEqual([]);
  });
});
