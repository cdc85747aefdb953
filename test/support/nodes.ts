/**
 * Nodes for the multi-node tests: a private port mapper per test, TCP nodes in this
 * OS process, and nodes in child OS processes (@grove/testing's ChildNode running a
 * fixture in test/fixtures built on child_harness.js, loading Grove transpiled from
 * source: call `transpilePackages` in beforeAll). Everything started here is stopped,
 * or killed by pid, by {@link cleanup} (afterEach).
 */
import * as path from 'node:path';
import type { Pid } from '@grove/core';
import { globalOf, startDistributed, type DistNode, type DistOptions } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';
import { ChildNode, stopChildren, waitFor } from '@grove/testing';
import { MODULES_DIR } from './children';

export { ChildNode, waitFor };

/** The cookie of every node started here, unless a test says otherwise. */
export const COOKIE = `grove-test-${process.pid}`;
/** How long a child may take to start, or to answer a request. */
const CHILD_MS = 20_000;

let seq = 0;
const epmds = new Set<EpmdServer>();
const nodes = new Set<DistNode>();

/** A fresh node name: `<prefix><n>_<pid>@127.0.0.1`. */
export function nodeName(prefix: string): string {
  return `${prefix}${++seq}_${process.pid}@127.0.0.1`;
}

/** A port mapper on an ephemeral port, for this test only (never 4369). */
export async function privateEpmd(): Promise<EpmdServer> {
  const e = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  epmds.add(e);
  return e;
}

/** A TCP node in this OS process, on an ephemeral port. */
export async function tcpNode(prefix: string, epmd: EpmdServer, options: Partial<DistOptions> = {}): Promise<DistNode> {
  const d = await startDistributed({ name: nodeName(prefix), cookie: COOKIE, epmdPort: epmd.port, ...options });
  nodes.add(d);
  return d;
}

/** Connects the first node to the others and waits for a full mesh and synced global tables. */
export async function mesh(all: readonly DistNode[]): Promise<void> {
  for (const d of all.slice(1)) expect(await all[0]!.connect(d.name)).toBe(true);
  await waitFor(() => all.every((d) => d.nodes().length >= all.length - 1), 'a full mesh');
  await Promise.all(all.map((d) => globalOf(d).sync()));
}

/** Resolves with `pid`'s exit reason (`pid` a live process of `d`'s node). */
export function exitOf(d: DistNode, pid: Pid): Promise<unknown> {
  return new Promise((resolve) => {
    const off = d.node.onExit((dead, reason) => {
      if (!dead.equals(pid)) return;
      off();
      resolve(reason);
    });
  });
}

/** Kills every child (by pid) and waits for it, then stops every node and port mapper the test started. */
export async function cleanup(): Promise<void> {
  await stopChildren();
  const ds = [...nodes];
  nodes.clear();
  await Promise.all(ds.map((d) => d.stop()));
  const es = [...epmds];
  epmds.clear();
  await Promise.all(es.map((e) => e.stop()));
}

/**
 * Runs `test/fixtures/<fixture>.js` as node `name` (the child's TEST_NODE_NAME; TEST_COOKIE
 * is {@link COOKIE} unless `env` says otherwise) on `epmd`, and resolves once it is
 * registered and listening. `env` is for what the fixture reads besides. Stopped by {@link cleanup}.
 */
export function startChild(fixture: string, name: string, epmd: EpmdServer, env: Record<string, string> = {}): Promise<ChildNode> {
  return ChildNode.start({
    script: path.join(__dirname, '..', 'fixtures', `${fixture}.js`),
    name,
    cookie: env['TEST_COOKIE'] ?? COOKIE,
    epmdPort: epmd.port,
    env: { GROVE_MODULES: MODULES_DIR, ...env },
    readyTimeoutMs: CHILD_MS,
  });
}
