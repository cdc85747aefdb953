/**
 * Restart back-off: delayed restarts that grow per consecutive crash, driven by the
 * node's (manual) clock, asserted by the order and count of starts, never by time.
 */
import {
  ChildSpecError,
  ManualClock,
    startChild,
  startSimpleOneForOne,
  startSupervisor,
  stopSupervisor,
  terminateChild,
  whichChildren,
  type Backoff,
  type ChildSpec,
  type Pid,
  type SupervisorFlags,
} from '@grove/core';
import { node, useNode, waitFor } from './helpers';
import { pidOf, Trace, worker } from './supervisor_helpers';

let clock: ManualClock;
let trace: Trace;
useNode(() => ({ clock: (clock = new ManualClock()) }));
beforeEach(() => {
  trace = new Trace(node);
});
afterEach(() => trace.close());

const w = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, start: worker(trace, id), ...extra });
const fixed = (minMs: number, maxMs: number, more: Partial<Backoff> = {}): Backoff => ({ minMs, maxMs, factor: 2, jitter: 0, ...more });

/** Crashes child `id` of `sup` and waits until the supervisor has seen it (a call after its EXIT). */
async function crash(sup: Pid, id: string): Promise<void> {
  const before = trace.count(`exit ${id} error`);
  node.send(pidOf(await whichChildren(node, sup), id), 'crash');
  await waitFor(() => trace.count(`exit ${id} error`) === before + 1, `${id} crashes`);
}

async function pidNow(sup: Pid, id: string): Promise<unknown> {
  return (await whichChildren(node, sup)).find((c) => c.id === id)?.pid;
}

/** Advances the clock by `ms`, then answers whether child `id` runs again (the call queues behind the back-off's restart). */
async function runsAfter(sup: Pid, id: string, ms: number): Promise<boolean> {
  clock.advance(ms);
  return typeof (await pidNow(sup, id)) === 'object';
}

describe('restart back-off', () => {
  it('restarts a crashed child after delays that grow per consecutive crash, up to maxMs, while siblings run on', async () => {
    const flags: SupervisorFlags = { intensity: 100, periodMs: 1000, backoff: fixed(100, 400, { resetAfterMs: 100_000 }) };
    const sup = await startSupervisor(node, { flags, children: [w('a'), w('b')] });
    const b = pidOf(await whichChildren(node, sup), 'b');
    for (const delay of [100, 200, 400, 400]) {
      await crash(sup, 'a');
      // The supervisor answers meanwhile, and shows the child as restarting.
      expect(await pidNow(sup, 'a')).toBe('restarting');
      expect(await runsAfter(sup, 'a', delay - 1)).toBe(false);
      expect(await runsAfter(sup, 'a', 1)).toBe(true);
    }
    expect(trace.count('start a')).toBe(5);
    expect(pidOf(await whichChildren(node, sup), 'b')).toEqual(b);
    expect(trace.count('start b')).toBe(1);
  });

  it('starts again from minMs once the child stayed up for resetAfterMs', async () => {
    const flags: SupervisorFlags = { intensity: 100, periodMs: 1000, backoff: fixed(100, 10_000, { resetAfterMs: 5000 }) };
    const sup = await startSupervisor(node, { flags, children: [w('a')] });
    await crash(sup, 'a');
    expect(await runsAfter(sup, 'a', 100)).toBe(true);
    await crash(sup, 'a');
    expect(await runsAfter(sup, 'a', 199)).toBe(false);
    expect(await runsAfter(sup, 'a', 1)).toBe(true);
    clock.advance(5000);
    await crash(sup, 'a');
    expect(await runsAfter(sup, 'a', 100)).toBe(true);
  });

  it('keeps each jittered delay within ±jitter of its base', async () => {
    const flags: SupervisorFlags = { intensity: 100, periodMs: 1000, backoff: { minMs: 100, maxMs: 1000, factor: 1, jitter: 0.5 } };
    const sup = await startSupervisor(node, { flags, children: [w('a')] });
    for (let i = 0; i < 10; i++) {
      await crash(sup, 'a');
      expect(await runsAfter(sup, 'a', 49)).toBe(false);
      expect(await runsAfter(sup, 'a', 101)).toBe(true);
    }
  });

  it('counts a delayed restart in the intensity window at crash time, and gives up past it', async () => {
    const flags: SupervisorFlags = { intensity: 2, periodMs: 10_000, backoff: fixed(100, 1000) };
    const sup = await startSupervisor(node, { flags, children: [w('a')] });
    await crash(sup, 'a');
    expect(await runsAfter(sup, 'a', 100)).toBe(true);
    await crash(sup, 'a');
    expect(await runsAfter(sup, 'a', 200)).toBe(true);
    const exited = new Promise((resolve) => node.onExit((pid, reason) => pid.equals(sup) && resolve(reason)));
    node.send(pidOf(await whichChildren(node, sup), 'a'), 'crash');
    // The third crash is one too many: no delay, the supervisor shuts down at once.
    expect(await exited).toBe('shutdown');
    expect(trace.count('start a')).toBe(3);
  });

  it('counts a restart that fails to start as one more crash: its retry waits the next delay', async () => {
    let failing = false;
    let attempts = 0;
    const failStart = (): boolean => {
      attempts++;
      return failing;
    };
    const flags: SupervisorFlags = { intensity: 100, periodMs: 1000, backoff: fixed(100, 1000) };
    const sup = await startSupervisor(node, { flags, children: [{ id: 'a', start: worker(trace, 'a', { failStart }) }] });
    failing = true;
    await crash(sup, 'a');
    expect(await runsAfter(sup, 'a', 100)).toBe(false);
    expect(attempts).toBe(2);
    expect(await runsAfter(sup, 'a', 199)).toBe(false);
    expect(attempts).toBe(2);
    failing = false;
    expect(await runsAfter(sup, 'a', 1)).toBe(true);
    expect(attempts).toBe(3);
  });

  it('cancels a pending back-off when the supervisor stops, and when the child is terminated', async () => {
    const flags: SupervisorFlags = { intensity: 100, periodMs: 1000, backoff: fixed(100, 1000) };
    const sup = await startSupervisor(node, { flags, children: [w('a'), w('b')] });
    await crash(sup, 'a');
    await terminateChild(node, sup, 'a');
    expect(await runsAfter(sup, 'a', 1000)).toBe(false);
    expect(await pidNow(sup, 'a')).toBeUndefined();
    await crash(sup, 'b');
    await stopSupervisor(node, sup);
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    expect(trace.count('start a')).toBe(1);
    expect(trace.count('start b')).toBe(1);
    expect(node.isAlive(sup)).toBe(false);
  });

  it('under one_for_all stops the siblings at once and starts the group in order after the delay', async () => {
    const flags: SupervisorFlags = { strategy: 'one_for_all', intensity: 100, periodMs: 1000, backoff: fixed(100, 1000) };
    const sup = await startSupervisor(node, { flags, children: [w('a'), w('b'), w('c')] });
    const from = trace.events.length;
    await crash(sup, 'b');
    expect((await whichChildren(node, sup)).map((c) => c.pid)).toEqual(['restarting', 'restarting', 'restarting']);
    expect(trace.since(from)).toEqual(['exit b error', 'exit c shutdown', 'exit a shutdown']);
    expect(await runsAfter(sup, 'b', 100)).toBe(true);
    expect(trace.since(from).slice(3)).toEqual(['start a', 'start b', 'start c']);
  });

  it("takes a child spec's own back-off over the supervisor's, and a dynamic supervisor's template back-off", async () => {
    const flags: SupervisorFlags = { intensity: 100, periodMs: 1000, backoff: fixed(100, 1000) };
    const sup = await startSupervisor(node, { flags, children: [w('a', { backoff: fixed(500, 1000) })] });
    await crash(sup, 'a');
    expect(await runsAfter(sup, 'a', 499)).toBe(false);
    expect(await runsAfter(sup, 'a', 1)).toBe(true);

    const dyn = await startSimpleOneForOne(node, { flags: { intensity: 100, periodMs: 1000 }, child: { start: worker(trace, 'd'), backoff: fixed(300, 1000) } });
    const d = (await startChild(node, dyn, 'args')) as Pid;
    node.send(d, 'crash');
    await waitFor(() => trace.count('exit d error') === 1, 'd crashes');
    expect((await whichChildren(node, dyn))[0]?.pid).toBe('restarting');
    clock.advance(299);
    expect((await whichChildren(node, dyn))[0]?.pid).toBe('restarting');
    clock.advance(1);
    expect(typeof (await whichChildren(node, dyn))[0]?.pid).toBe('object');
  });

  it('refuses a bad back-off with a ChildSpecError naming the field', async () => {
    const bad = async (backoff: unknown): Promise<unknown> =>
      startSupervisor(node, { flags: { backoff: backoff as Backoff }, children: [] }).catch((e: unknown) => e);
    const cases: [unknown, RegExp][] = [
      [{ minMs: 0, maxMs: 10 }, /backoff.minMs must be a number of milliseconds > 0/],
      [{ minMs: 10, maxMs: 5 }, /backoff.maxMs must be a number of milliseconds >= minMs/],
      [{ minMs: 10, maxMs: 50, factor: 0.5 }, /backoff.factor must be a number >= 1/],
      [{ minMs: 10, maxMs: 50, jitter: 2 }, /backoff.jitter must be a fraction between 0 and 1/],
      [{ minMs: 10, maxMs: 50, mins: 1 }, /unknown key "mins"/],
      ['fast', /backoff must be/],
    ];
    for (const [backoff, message] of cases) {
      const e = await bad(backoff);
      expect(e).toBeInstanceOf(ChildSpecError);
      expect((e as ChildSpecError).message).toMatch(message);
    }
    const spec = await startSupervisor(node, { children: [w('x', { backoff: { minMs: -1, maxMs: 1 } })] }).catch((e: unknown) => e);
    expect(String((spec as Error).message)).toMatch(/child "x": backoff.minMs/);
    expect(spec).toBeInstanceOf(ChildSpecError);
  });
});
