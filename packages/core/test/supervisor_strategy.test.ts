/**
 * Strategies and restart intensity as tables: no processes, no clock.
 */
import { mustRestart, planRestart, RestartIntensity, type StrategyAction, type StrategyChild } from '@grove/core';
import type { RestartType } from '@grove/core';

type Kid = StrategyChild & { alive: boolean };

function kids(spec: string): Kid[] {
  // "a b- c:t d:T*" : `-` not alive, `:t` transient, `:T` temporary, `*` significant
  return spec.split(' ').map((s) => {
    const m = /^(\w+)(:[tT])?(\*)?(-)?$/.exec(s)!;
    const restart: RestartType = m[2] === ':t' ? 'transient' : m[2] === ':T' ? 'temporary' : 'permanent';
    return { id: m[1]!, restart, significant: m[3] === '*', alive: m[4] !== '-' };
  });
}

function show(actions: StrategyAction<Kid>[]): string {
  return actions.map((a) => (a.do === 'shutdown' ? `shutdown(${a.cause})` : `${a.do} ${a.child.id}`)).join(', ');
}

function plan(strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one', spec: string, failed: string, reason: unknown, auto: 'never' | 'any_significant' | 'all_significant' = 'never'): string {
  const children = kids(spec);
  const child = children.find((c) => c.id === failed)!;
  child.alive = false;
  return show(planRestart(strategy, auto, children, { type: 'exit', child, reason }, new RestartIntensity(10, 1000), 0));
}

describe('restart decisions', () => {
  it.each([
    ['permanent', 'normal', true],
    ['permanent', 'shutdown', true],
    ['permanent', new Error('boom'), true],
    ['transient', 'normal', false],
    ['transient', 'shutdown', false],
    ['transient', { shutdown: 'done' }, false],
    ['transient', 'killed', true],
    ['transient', new Error('boom'), true],
    ['temporary', new Error('boom'), false],
    ['temporary', 'normal', false],
  ] as const)('a %s child that exits with %p is restarted: %p', (restart, reason, expected) => {
    expect(mustRestart(restart, reason)).toBe(expected);
  });
});

describe('strategy plans', () => {
  it.each([
    ['one_for_one', 'a b c', 'b', 'start b'],
    ['one_for_all', 'a b c', 'b', 'forget b, terminate c, terminate a, start a, start b, start c'],
    ['rest_for_one', 'a b c', 'b', 'forget b, terminate c, start b, start c'],
    ['rest_for_one', 'a b c', 'c', 'forget c, start c'],
    ['rest_for_one', 'a b c', 'a', 'forget a, terminate c, terminate b, start a, start b, start c'],
    // Temporary siblings terminated by a group restart are removed, not restarted.
    ['one_for_all', 'a b:T c', 'a', 'forget a, terminate c, terminate b, remove b, start a, start c'],
    ['rest_for_one', 'a b c:T', 'b', 'forget b, terminate c, remove c, start b'],
    // A sibling that was not running is not terminated but is started again (as OTP).
    ['one_for_all', 'a b- c', 'c', 'forget c, terminate a, start a, start b, start c'],
  ] as const)('%s over [%s] when %s crashes: %s', (strategy, spec, failed, expected) => {
    expect(plan(strategy, spec, failed, new Error('boom'))).toBe(expected);
  });

  it.each([
    ['one_for_one', 'a:t b', 'a', 'normal', 'forget a'],
    ['one_for_all', 'a:t b', 'a', 'shutdown', 'forget a'],
    ['one_for_one', 'a:T b', 'a', new Error('boom'), 'remove a'],
    ['rest_for_one', 'a:T b', 'a', 'normal', 'remove a'],
  ] as const)('%s over [%s]: %s exiting with %p is not restarted: %s', (strategy, spec, failed, reason, expected) => {
    expect(plan(strategy, spec, failed, reason)).toBe(expected);
  });

  it.each([
    ['any_significant', 'a:t* b:t*', 'a', 'normal', 'forget a, shutdown(auto_shutdown)'],
    ['any_significant', 'a:T* b', 'a', new Error('x'), 'remove a, shutdown(auto_shutdown)'],
    ['all_significant', 'a:t* b:t*', 'a', 'normal', 'forget a'],
    ['all_significant', 'a:t* b:t*-', 'a', 'normal', 'forget a, shutdown(auto_shutdown)'],
    ['all_significant', 'a:T* b', 'a', 'normal', 'remove a, shutdown(auto_shutdown)'],
    // A significant transient child that crashes is restarted, not counted.
    ['any_significant', 'a:t* b', 'a', new Error('x'), 'start a'],
    // A child that is not significant never triggers auto shutdown.
    ['any_significant', 'a:t b:t*', 'a', 'normal', 'forget a'],
  ] as const)('autoShutdown %s over [%s]: %s exits with %p: %s', (auto, spec, failed, reason, expected) => {
    expect(plan('one_for_one', spec, failed, reason, auto)).toBe(expected);
  });

  it('plans a shutdown instead of a restart once the intensity is exceeded', () => {
    const children = kids('a b');
    const window = new RestartIntensity(2, 1000);
    const step = (t: number): string => show(planRestart('one_for_all', 'never', children, { type: 'exit', child: children[0]!, reason: 'killed' }, window, t));
    expect(step(0)).toContain('start a');
    expect(step(10)).toContain('start a');
    expect(step(20)).toBe('forget a, shutdown(reached_max_restart_intensity)');
  });

  it('counts a retried restart and plans the same group restart', () => {
    const children = kids('a b- c');
    const window = new RestartIntensity(5, 1000);
    const actions = planRestart('rest_for_one', 'never', children, { type: 'retry', child: children[1]! }, window, 0);
    expect(show(actions)).toBe('forget b, terminate c, start b, start c');
    expect(window.size).toBe(1);
  });
});

describe('restart intensity', () => {
  // Each row: intensity, period, restart times; the expected answer of each add.
  it.each([
    [0, 1000, [0], [false]],
    [1, 1000, [0, 500], [true, false]],
    [1, 1000, [0, 1001], [true, true]],
    [1, 1000, [0, 1000], [true, false]], // the window is inclusive, as OTP
    [3, 100, [0, 10, 20, 30], [true, true, true, false]],
    [3, 100, [0, 10, 20, 150, 160, 170], [true, true, true, true, true, true]],
    [3, 100, [0, 10, 20, 150, 160, 170, 180], [true, true, true, true, true, true, false]],
    [2, 50, [0, 0, 60, 60, 61], [true, true, true, true, false]],
  ])('intensity %i per %i ms with restarts at %p answers %p', (intensity, periodMs, times, expected) => {
    const w = new RestartIntensity(intensity, periodMs);
    expect(times.map((t) => w.add(t))).toEqual(expected);
  });

  it('keeps a long log bounded and exact over a million restarts', () => {
    const w = new RestartIntensity(1000, 100);
    let refusals = 0;
    for (let t = 0; t < 1_000_000; t++) if (!w.add(t / 20)) refusals++; // 20 restarts per ms: 2000 per window
    expect(refusals).toBeGreaterThan(0);
    const slow = new RestartIntensity(1000, 100);
    let slowRefusals = 0;
    for (let t = 0; t < 1_000_000; t++) if (!slow.add(t)) slowRefusals++; // 1 per ms: 101 per window
    expect(slowRefusals).toBe(0);
    expect(slow.size).toBe(101);
  });
});
