/**
 * Nodes for the multi-node tests: a private port mapper per test, TCP nodes in this
 * OS process, and nodes in child OS processes (a fixture in test/fixtures built on
 * child_harness.js, driven by JSON lines over stdin/stdout, loading Grove transpiled
 * from source: call `transpilePackages` in beforeAll). Everything started here is
 * stopped, or killed by pid, by {@link cleanup} (afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Pid } from '@grove/core';
import { globalOf, startDistributed, type DistNode, type DistOptions } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';
import { waitFor } from '../../packages/distribution/test/support/wait';
import { childEnv, MODULES_DIR } from './children';

export { waitFor };

/** The cookie of every node started here, unless a test says otherwise. */
export const COOKIE = `grove-test-${process.pid}`;
/** How long a child may take to start, or to answer a request. */
const CHILD_MS = 20_000;

let seq = 0;
const epmds = new Set<EpmdServer>();
const nodes = new Set<DistNode>();
const children = new Set<ChildNode>();

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
  const cs = [...children];
  children.clear();
  for (const c of cs) c.kill();
  await Promise.all(cs.map((c) => c.exited));
  const ds = [...nodes];
  nodes.clear();
  await Promise.all(ds.map((d) => d.stop()));
  const es = [...epmds];
  epmds.clear();
  await Promise.all(es.map((e) => e.stop()));
}

/** A node in a child OS process: one of the fixtures in test/fixtures, run with `node`. */
export class ChildNode {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stderr = '';
  private onReady: (() => void) | null = null;
  /** Resolves once the child has exited. */
  readonly exited: Promise<void>;

  private constructor(readonly name: string, readonly proc: ChildProcess) {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => this.onLine(line));
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const id of [...this.pending.keys()]) this.settle(id, new Error(`${this.name} exited; stderr: ${this.stderr}`));
    });
  }

  /**
   * Runs `test/fixtures/<fixture>.js` as node `name` (the child's TEST_NODE_NAME; TEST_COOKIE
   * is {@link COOKIE} unless `env` says otherwise) on `epmd`, and resolves once it is
   * registered and listening. `env` is for what the fixture reads besides.
   */
  static start(fixture: string, name: string, epmd: EpmdServer, env: Record<string, string> = {}): Promise<ChildNode> {
    const proc = spawn(process.execPath, [path.join(__dirname, '..', 'fixtures', `${fixture}.js`)], {
      env: childEnv({ GROVE_MODULES: MODULES_DIR, GROVE_EPMD_PORT: String(epmd.port), TEST_NODE_NAME: name, TEST_COOKIE: COOKIE, ...env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const child = new ChildNode(name, proc);
    children.add(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${CHILD_MS} ms; stderr: ${child.stderr}`)), CHILD_MS);
      child.onReady = () => {
        clearTimeout(timer);
        resolve(child);
      };
      void child.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${name} exited before it was ready: ${child.stderr}`));
      });
    });
  }

  /** Sends a request `{id, cmd, ...args}` and resolves with the answer; rejects with the child's error, or after `timeoutMs`. */
  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = CHILD_MS): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error(`${this.name} did not answer ${cmd} within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.proc.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    });
  }

  /** Settles request `id` (if still pending) with `outcome`: an Error rejects, anything else resolves. */
  private settle(id: number, outcome: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  /** Sends `signal` to the child (by its pid), unless it already exited. */
  signal(signal: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }

  /** SIGKILL, unless it already exited; await {@link exited} to know it is gone. */
  kill(): void {
    this.signal('SIGKILL');
  }

  private onLine(line: string): void {
    let msg: { id?: number; ok?: unknown; error?: string; ready?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return; // not a protocol line
    }
    if (msg.ready !== undefined) return this.onReady?.();
    if (msg.id !== undefined) this.settle(msg.id, msg.error !== undefined ? new Error(`${this.name}: ${msg.error}`) : msg.ok);
  }
}
