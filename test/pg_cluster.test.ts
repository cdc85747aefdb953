/**
 * pg on three nodes in three OS processes, over TCP on 127.0.0.1 (test/fixtures/pg_node.js).
 *
 * The children load @grove/core, @grove/dist and @grove/pg transpiled from source (so
 * the test never runs a stale build), and find each other through a port mapper that
 * this test starts on an ephemeral port. Every wait is for a condition (a view that
 * converged, a member count), never a sleep; each test kills the children it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as ts from 'typescript';
import { EpmdServer } from '@grove/dist';

const repo = path.resolve(__dirname, '..');
// Under build/ so that the children resolve tslog, protobufjs... from the repo's node_modules.
const modulesDir = path.join(repo, 'build', `pg-cluster-${process.pid}`);
const FIXTURE = path.join(__dirname, 'fixtures', 'pg_node.js');
const COOKIE = `pg-cluster-${process.pid}`;
const CONVERGE_MS = 20_000;

function transpilePackages(): void {
  const base = ts.readConfigFile(path.join(repo, 'tsconfig.base.json'), (f) => fs.readFileSync(f, 'utf8'));
  const { options } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, repo);
  const compilerOptions: ts.CompilerOptions = { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, declaration: false, declarationMap: false, composite: false, incremental: false };
  for (const pkg of ['core', 'dist', 'pg']) {
    const src = path.join(repo, 'packages', pkg, 'src');
    const out = path.join(modulesDir, 'node_modules', '@grove', pkg);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ name: `@grove/${pkg}`, main: 'index.js' }));
    for (const file of fs.readdirSync(src)) {
      if (!file.endsWith('.ts')) continue;
      const js = ts.transpileModule(fs.readFileSync(path.join(src, file), 'utf8'), { compilerOptions, fileName: file });
      fs.writeFileSync(path.join(out, file.replace(/\.ts$/, '.js')), js.outputText);
    }
  }
}

/** A node in a child OS process, and the requests the test makes to it. */
class ChildNode {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  readonly exited: Promise<void>;

  private constructor(readonly name: string, readonly proc: ChildProcess) {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => this.onLine(line));
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited; stderr: ${this.stderr}`));
      this.pending.clear();
    });
  }

  static start(name: string, scopes = 'pg'): Promise<ChildNode> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GROVE_MODULES: modulesDir,
      PG_NODE_NAME: name,
      PG_COOKIE: COOKIE,
      PG_SCOPES: scopes,
      GROVE_EPMD_PORT: String(epmd.port),
      GROVE_LOG_LEVEL: 'error',
      GROVE_LOG_FORMAT: 'json',
    };
    delete env['JEST_WORKER_ID'];
    delete env['NODE_OPTIONS'];
    const proc = spawn(process.execPath, [FIXTURE], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(proc);
    const child = new ChildNode(name, proc);
    return new Promise((resolve, reject) => {
      child.ready = () => resolve(child);
      void child.exited.then(() => reject(new Error(`${name} exited before it was ready: ${child.stderr}`)));
    });
  }

  private ready: (() => void) | null = null;

  private onLine(line: string): void {
    const msg = JSON.parse(line) as { ready?: string; id?: number; ok?: unknown; error?: string };
    if (msg.ready !== undefined) return this.ready?.();
    const p = this.pending.get(msg.id!);
    if (p === undefined) return;
    this.pending.delete(msg.id!);
    if (msg.error !== undefined) p.reject(new Error(`${this.name}: ${msg.error}`));
    else p.resolve(msg.ok);
  }

  request<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    });
  }

  members(group: string, scope = 'pg'): Promise<string[]> {
    return this.request('members', { scope, group });
  }

  view(scope = 'pg'): Promise<{ count: number; digest: string }> {
    return this.request('view', { scope });
  }

  join(group: string, count: number, scope = 'pg'): Promise<number> {
    return this.request('join', { scope, group, count });
  }

  /** Ends the child with `signal` and waits for it to be gone. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    this.proc.kill(signal);
    await this.exited;
  }
}

let epmd: EpmdServer;
const children = new Set<ChildProcess>();
let seq = 0;
const nodeName = (tag: string): string => `pg${tag}_${process.pid}_${++seq}@127.0.0.1`;

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
  const ns = await Promise.all([1, 2, 3].map((i) => ChildNode.start(nodeName(String(i)), scopes)));
  expect(await ns[0]!.request('connect', { node: ns[1]!.name })).toBe(true);
  expect(await ns[0]!.request('connect', { node: ns[2]!.name })).toBe(true);
  await until(() => Promise.all(ns.map((c) => c.request<string[]>('nodes'))), (all) => all.every((l) => l.length === 2), 'a full mesh');
  return ns;
}

/** Resolves when every node in `ns` reports the same members of `group`, `count` of them. */
function converged(ns: ChildNode[], group: string, count: number, scope = 'pg'): Promise<string[][]> {
  return until(
    () => Promise.all(ns.map((c) => c.members(group, scope))),
    (views) => views.every((v) => v.length === count && v.join() === views[0]!.join()),
    `${count} members of ${group} on ${ns.map((c) => c.name).join(', ')}`,
  );
}

beforeAll(async () => {
  transpilePackages();
  epmd = await EpmdServer.start({ port: 0 });
}, 60_000);

afterEach(async () => {
  await Promise.all([...children].map((p) => (p.exitCode === null && p.signalCode === null ? new Promise<void>((r) => (p.once('exit', () => r()), p.kill('SIGKILL'))) : undefined)));
  children.clear();
});

afterAll(async () => {
  await epmd?.stop();
  fs.rmSync(modulesDir, { recursive: true, force: true });
});

describe('pg on three nodes in separate OS processes', () => {
  it('shows members joined on each node on every node', async () => {
    const ns = await cluster();
    await Promise.all(ns.map((c, i) => c.join('room', i + 1)));
    const [v] = await converged(ns, 'room', 6);
    for (const c of ns) expect(v!.filter((k) => k.startsWith(c.name + '/'))).toHaveLength(ns.indexOf(c) + 1);
  });

  it('removes the members of a node killed with SIGKILL from the others', async () => {
    const ns = await cluster();
    await Promise.all(ns.map((c) => c.join('room', 2)));
    await converged(ns, 'room', 6);
    await ns[2]!.kill('SIGKILL');
    const [v] = await converged(ns.slice(0, 2), 'room', 4);
    expect(v!.some((k) => k.startsWith(ns[2]!.name + '/'))).toBe(false);
  });

  it('syncs back a node that reconnects, and a node restarted after SIGKILL', async () => {
    const ns = await cluster();
    await Promise.all(ns.map((c) => c.join('room', 1)));
    await converged(ns, 'room', 3);
    // Disconnect n2 from both others: they drop its member; it keeps only its own.
    await ns[1]!.request('disconnect', { node: ns[0]!.name });
    await ns[1]!.request('disconnect', { node: ns[2]!.name });
    await converged([ns[0]!, ns[2]!], 'room', 2);
    await converged([ns[1]!], 'room', 1);
    await ns[1]!.join('room', 1); // a change made while apart
    expect(await ns[1]!.request('connect', { node: ns[0]!.name })).toBe(true);
    await converged(ns, 'room', 4);
    // Kill n3 and start a new node of the same name: its new members replace the old.
    const name3 = ns[2]!.name;
    await ns[2]!.kill('SIGKILL');
    await converged(ns.slice(0, 2), 'room', 3);
    const again = await ChildNode.start(name3);
    await again.join('room', 2);
    expect(await again.request('connect', { node: ns[0]!.name })).toBe(true);
    const [v] = await converged([ns[0]!, ns[1]!, again], 'room', 5);
    expect(v!.filter((k) => k.startsWith(name3 + '/'))).toHaveLength(2);
  });

  it('converges to the same view of 10,000 members across 3 nodes', async () => {
    const ns = await Promise.all([1, 2, 3].map((i) => ChildNode.start(nodeName(`big${i}`))));
    const per = split(10_000, 3);
    // Half joined before the nodes connect (sent in the syncs), half after (broadcast).
    const half = (i: number): number => Math.floor(per[i]! / 2);
    await Promise.all(ns.map((c, i) => Promise.all(split(half(i), 5).map((k, g) => c.join(`g${g}`, k)))));
    expect(await ns[0]!.request('connect', { node: ns[1]!.name })).toBe(true);
    expect(await ns[0]!.request('connect', { node: ns[2]!.name })).toBe(true);
    await Promise.all(ns.map((c, i) => Promise.all(split(per[i]! - half(i), 5).map((k, g) => c.join(`g${g + 5}`, k)))));
    const views = await until(
      () => Promise.all(ns.map((c) => c.view())),
      (vs) => vs.every((v) => v.count === 10_000 && v.digest === vs[0]!.digest),
      'three identical views of 10,000 members',
    );
    expect(views[0]!.count).toBe(10_000);
  });

  it('does not sync with a node where the scope does not run, and nothing crashes', async () => {
    const ns = await Promise.all([
      ChildNode.start(nodeName('s1'), 'pg,extra'),
      ChildNode.start(nodeName('s2'), 'pg,extra'),
      ChildNode.start(nodeName('s3'), 'pg'),
    ]);
    const scopeBefore = await Promise.all(ns.map((c) => c.request<string | null>('scopePid', { scope: 'extra' })));
    await ns[0]!.request('connect', { node: ns[1]!.name });
    await ns[0]!.request('connect', { node: ns[2]!.name });
    await Promise.all(ns.map((c) => c.join('room', 1, 'pg')));
    await ns[0]!.join('room', 2, 'extra');
    await converged(ns, 'room', 3, 'pg');
    await converged(ns.slice(0, 2), 'room', 2, 'extra');
    expect(await ns[2]!.members('room', 'extra')).toEqual([]);
    const scopeAfter = await Promise.all(ns.map((c) => c.request<string | null>('scopePid', { scope: 'extra' })));
    expect(scopeAfter).toEqual(scopeBefore);
    expect(scopeAfter[2]).toBeNull();
    // Once the scope starts there, it discovers the others and syncs.
    await ns[2]!.request('startScope', { scope: 'extra' });
    await converged(ns, 'room', 2, 'extra');
  });
});
