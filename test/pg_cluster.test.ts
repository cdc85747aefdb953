/**
 * pg on three nodes in three OS processes, over TCP on 127.0.0.1 (test/fixtures/pg_node.js).
 *
 * The children load @grove/core, @grove/distribution and @grove/pg transpiled from source (so
 * the test never runs a stale build), and find each other through a port mapper that
 * this test starts on an ephemeral port. Every wait is for a condition (a view that
 * converged, a member count), never a sleep; each test kills the children it started.
 */
import type { EpmdServer } from '@grove/distribution/internal';
import { removeTranspiled, transpilePackages } from './support/children';
import { ChildNode, cleanup, startChild, nodeName, privateEpmd } from './support/nodes';

const CONVERGE_MS = 20_000;

let epmd: EpmdServer;

/** A node running test/fixtures/pg_node.js with the pg scopes `scopes` (comma-separated). */
function pgNode(name: string, scopes = 'pg'): Promise<ChildNode> {
  return startChild('pg_node', name, epmd, { PG_SCOPES: scopes });
}

const members = (c: ChildNode, group: string, scope = 'pg'): Promise<string[]> => c.request('members', { scope, group });
const view = (c: ChildNode, scope = 'pg'): Promise<{ count: number; digest: string }> => c.request('view', { scope });
const join = (c: ChildNode, group: string, count: number, scope = 'pg'): Promise<number> => c.request('join', { scope, group, count });

/** Kills `c` (SIGKILL, by pid) and waits for it to be gone. */
async function kill(c: ChildNode): Promise<void> {
  c.kill();
  await c.exited;
}

/** Polls `probe` until `done(value)` holds; fails with the last value after `timeoutMs`. */
async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = CONVERGE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `total` in `parts` near-equal counts. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor(total / parts) + (k < total % parts ? 1 : 0));
}

/** Three nodes, connected into a mesh (n1 connects to n2 and n3; n2-n3 comes transitively). */
async function cluster(scopes = 'pg'): Promise<ChildNode[]> {
  const ns = await Promise.all([1, 2, 3].map((i) => pgNode(nodeName(`pg${i}_`), scopes)));
  expect(await ns[0]!.request('connect', { node: ns[1]!.name })).toBe(true);
  expect(await ns[0]!.request('connect', { node: ns[2]!.name })).toBe(true);
  await until(() => Promise.all(ns.map((c) => c.request<string[]>('nodes'))), (all) => all.every((l) => l.length === 2), 'a full mesh');
  return ns;
}

/** Resolves when every node in `ns` reports the same members of `group`, `count` of them. */
function converged(ns: ChildNode[], group: string, count: number, scope = 'pg'): Promise<string[][]> {
  return until(
    () => Promise.all(ns.map((c) => members(c, group, scope))),
    (views) => views.every((v) => v.length === count && v.join() === views[0]!.join()),
    `${count} members of ${group} on ${ns.map((c) => c.name).join(', ')}`,
  );
}

beforeAll(() => transpilePackages(['core', 'distribution', 'pg', 'testing']), 60_000);
afterAll(removeTranspiled);
beforeEach(async () => {
  epmd = await privateEpmd();
});
afterEach(cleanup);

describe('pg on three nodes in separate OS processes', () => {
  it('shows members joined on each node on every node', async () => {
    const ns = await cluster();
    await Promise.all(ns.map((c, i) => join(c, 'room', i + 1)));
    const [v] = await converged(ns, 'room', 6);
    for (const c of ns) expect(v!.filter((k) => k.startsWith(c.name + '/'))).toHaveLength(ns.indexOf(c) + 1);
  });

  it('names every pid of a leave of several in the leave event on the other nodes', async () => {
    const ns = await cluster();
    for (const c of ns) await c.request('watch', { scope: 'pg', group: 'duo' });
    const keys = await ns[0]!.request<string[]>('spawnJoin', { scope: 'pg', group: 'duo', count: 2 });
    await converged(ns, 'duo', 2);
    expect(await ns[0]!.request('leave', { scope: 'pg', group: 'duo', keys })).toBe('ok');
    await converged(ns, 'duo', 0);
    const want = [
      ['join', [...keys].sort()],
      ['leave', [...keys].sort()],
    ];
    for (const c of ns) await until(() => c.request('events'), (e) => JSON.stringify(e) === JSON.stringify(want), `${c.name} to see the join and the leave of both`, 5000);
  });

  it('removes the members of a node killed with SIGKILL from the others', async () => {
    const ns = await cluster();
    await Promise.all(ns.map((c) => join(c, 'room', 2)));
    await converged(ns, 'room', 6);
    await kill(ns[2]!);
    const [v] = await converged(ns.slice(0, 2), 'room', 4);
    expect(v!.some((k) => k.startsWith(ns[2]!.name + '/'))).toBe(false);
  });

  it('syncs back a node that reconnects, and a node restarted after SIGKILL', async () => {
    const ns = await cluster();
    await Promise.all(ns.map((c) => join(c, 'room', 1)));
    await converged(ns, 'room', 3);
    // Disconnect n2 from both others at once: they drop its member; it keeps only its own.
    // (One at a time, n3 would hear that n2 lost n1 while still connected to both, and
    // leave n1 too: global's prevention of overlapping partitions, as OTP 25.)
    await ns[1]!.request('disconnect', { nodes: [ns[0]!.name, ns[2]!.name] });
    await converged([ns[0]!, ns[2]!], 'room', 2);
    await converged([ns[1]!], 'room', 1);
    await join(ns[1]!, 'room', 1); // a change made while apart
    expect(await ns[1]!.request('connect', { node: ns[0]!.name })).toBe(true);
    await converged(ns, 'room', 4);
    // Kill n3 and start a new node of the same name: its new members replace the old.
    const name3 = ns[2]!.name;
    await kill(ns[2]!);
    await converged(ns.slice(0, 2), 'room', 3);
    const again = await pgNode(name3);
    await join(again, 'room', 2);
    expect(await again.request('connect', { node: ns[0]!.name })).toBe(true);
    const [v] = await converged([ns[0]!, ns[1]!, again], 'room', 5);
    expect(v!.filter((k) => k.startsWith(name3 + '/'))).toHaveLength(2);
  });

  it('converges to the same view of 10,000 members across 3 nodes', async () => {
    const ns = await Promise.all([1, 2, 3].map((i) => pgNode(nodeName(`pgbig${i}_`))));
    const per = split(10_000, 3);
    // Half joined before the nodes connect (sent in the syncs), half after (broadcast).
    const half = (i: number): number => Math.floor(per[i]! / 2);
    await Promise.all(ns.map((c, i) => Promise.all(split(half(i), 5).map((k, g) => join(c, `g${g}`, k)))));
    expect(await ns[0]!.request('connect', { node: ns[1]!.name })).toBe(true);
    expect(await ns[0]!.request('connect', { node: ns[2]!.name })).toBe(true);
    await Promise.all(ns.map((c, i) => Promise.all(split(per[i]! - half(i), 5).map((k, g) => join(c, `g${g + 5}`, k)))));
    const views = await until(
      () => Promise.all(ns.map((c) => view(c))),
      (vs) => vs.every((v) => v.count === 10_000 && v.digest === vs[0]!.digest),
      'three identical views of 10,000 members',
    );
    expect(views[0]!.count).toBe(10_000);
  });

  it('does not sync with a node where the scope does not run, and nothing crashes', async () => {
    const ns = await Promise.all([
      pgNode(nodeName('pgs1_'), 'pg,extra'),
      pgNode(nodeName('pgs2_'), 'pg,extra'),
      pgNode(nodeName('pgs3_'), 'pg'),
    ]);
    const scopeBefore = await Promise.all(ns.map((c) => c.request<string | null>('scopePid', { scope: 'extra' })));
    await ns[0]!.request('connect', { node: ns[1]!.name });
    await ns[0]!.request('connect', { node: ns[2]!.name });
    await Promise.all(ns.map((c) => join(c, 'room', 1, 'pg')));
    await join(ns[0]!, 'room', 2, 'extra');
    await converged(ns, 'room', 3, 'pg');
    await converged(ns.slice(0, 2), 'room', 2, 'extra');
    expect(await members(ns[2]!, 'room', 'extra')).toEqual([]);
    const scopeAfter = await Promise.all(ns.map((c) => c.request<string | null>('scopePid', { scope: 'extra' })));
    expect(scopeAfter).toEqual(scopeBefore);
    expect(scopeAfter[2]).toBeNull();
    // Once the scope starts there, it discovers the others and syncs.
    await ns[2]!.request('startScope', { scope: 'extra' });
    await converged(ns, 'room', 2, 'extra');
  });
});
