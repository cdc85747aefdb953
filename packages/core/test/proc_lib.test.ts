/**
 * The start handshake every behaviour uses (proc_lib `start`): names are released
 * before the starter hears of a failure, whichever way init fails.
 */
import { ManualClock, Node, start, StartError, type InitOutcome, type Pid, type ProcessContext, type ViaRegistry } from '@grove/core';

/** A via registry in a Map, as a custom registry would be. */
class MapRegistry implements ViaRegistry {
  readonly names = new Map<unknown, Pid>();
  registerName(name: unknown, pid: Pid): boolean {
    if (this.names.has(name)) return false;
    this.names.set(name, pid);
    return true;
  }
  unregisterName(name: unknown): void {
    this.names.delete(name);
  }
  whereisName(name: unknown): Pid | undefined {
    return this.names.get(name);
  }
}

const idle = (): void => undefined;

describe('proc_lib start', () => {
  let node: Node;
  afterEach(() => node.halt());

  const failures: [string, (ctx: ProcessContext) => InitOutcome | Promise<InitOutcome>][] = [
    ['init throws', () => {
      throw new Error('init failed');
    }],
    ['init rejects', async () => {
      throw new Error('init failed');
    }],
    ['init stops', () => ({ stop: 'bad_config' })],
  ];

  it.each(failures)('releases a via name before the starter hears when %s', async (_what, init) => {
    node = new Node();
    const via = new MapRegistry();
    await expect(start(node, init, idle, { name: { via, name: 'svc' } })).rejects.toBeInstanceOf(StartError);
    expect(via.names.size).toBe(0);
  });

  it.each(failures)('releases a local name before the starter hears when %s', async (_what, init) => {
    node = new Node();
    await expect(start(node, init, idle, { name: 'svc' })).rejects.toBeInstanceOf(StartError);
    expect(node.whereis('svc')).toBeUndefined();
  });

  it('releases a via name when init ignores, and resolves ignore', async () => {
    node = new Node();
    const via = new MapRegistry();
    await expect(start(node, () => ({ ignore: true }), idle, { name: { via, name: 'svc' } })).resolves.toBe('ignore');
    expect(via.names.size).toBe(0);
  });

  it('keeps the via name of a started process', async () => {
    node = new Node();
    const via = new MapRegistry();
    const pid = await start(node, () => ({ ok: true }), idle, { name: { via, name: 'svc' } });
    expect(via.whereisName('svc')).toBe(pid);
  });

  it('kills a child whose init outlasts the start timeout, and not one that started in time', async () => {
    const clock = new ManualClock();
    node = new Node({ clock });
    const slow = start(node, (ctx) => ctx.receive().then(() => ({ ok: true }) as const), idle, { timeoutMs: 100 });
    await new Promise((r) => setImmediate(r));
    clock.advance(100);
    const err = (await slow.catch((e: unknown) => e)) as StartError;
    expect(err).toBeInstanceOf(StartError);
    expect(err.reason).toBe('timeout');
    expect(node.processCount).toBe(1); // only the node's root, the starter

    const pid = await start(node, () => ({ ok: true }), idle, { timeoutMs: 100 });
    clock.advance(200);
    await new Promise((r) => setImmediate(r));
    expect(node.isAlive(pid as Pid)).toBe(true);
  });
});
