/**
 * Helpers for the global and rpc tests over TCP: a private port mapper per test,
 * TCP nodes in this OS process, and nodes in child OS processes
 * (test/fixtures/rpc_node.js, driven by JSON lines over stdin/stdout) that load
 * @grove/core and @grove/dist transpiled from source (never a stale build).
 * Everything started here is stopped, or killed by pid, by {@link cleanup}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as ts from 'typescript';
import { EpmdServer, globalOf, startDistributed, type DistNode, type DistOptions } from '@grove/dist';

const repo = path.resolve(__dirname, '..');
// Under build/ so that the children resolve tslog, protobufjs... from the repo's node_modules.
const modulesDir = path.join(repo, 'build', `global-rpc-${process.pid}`);
const FIXTURE = path.join(__dirname, 'fixtures', 'rpc_node.js');
export const COOKIE = `global-rpc-${process.pid}`;

let seq = 0;
const epmds = new Set<EpmdServer>();
const nodes = new Set<DistNode>();
const children = new Set<ChildNode>();

/** A fresh node name. */
export function nodeName(prefix: string): string {
  return `${prefix}${++seq}_${process.pid}@127.0.0.1`;
}

/** A port mapper on an ephemeral port, for this test only. */
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

/** Stops every node, child and port mapper the test started. */
export async function cleanup(): Promise<void> {
  for (const c of children) c.kill();
  await Promise.all([...children].map((c) => c.exited));
  children.clear();
  const ds = [...nodes];
  nodes.clear();
  await Promise.all(ds.map((d) => d.stop()));
  const es = [...epmds];
  epmds.clear();
  await Promise.all(es.map((e) => e.stop()));
}

/** Resolves once `cond()` is true; rejects naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Connects the first node to the others and waits for a full mesh and synced global tables. */
export async function mesh(all: readonly DistNode[]): Promise<void> {
  for (const d of all.slice(1)) expect(await all[0]!.connect(d.name)).toBe(true);
  await waitFor(() => all.every((d) => d.nodes().length >= all.length - 1), 'a full mesh');
  await Promise.all(all.map((d) => globalOf(d).sync()));
}

/** Transpiles core and dist into build/ for the children (once per test file). */
export function transpilePackages(): void {
  const base = ts.readConfigFile(path.join(repo, 'tsconfig.base.json'), (f) => fs.readFileSync(f, 'utf8'));
  const { options } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, repo);
  const compilerOptions: ts.CompilerOptions = { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, declaration: false, declarationMap: false, composite: false, incremental: false };
  for (const pkg of ['core', 'dist']) {
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

/** Removes what {@link transpilePackages} wrote. */
export function removeTranspiled(): void {
  fs.rmSync(modulesDir, { recursive: true, force: true });
}

/** A node in a child OS process (test/fixtures/rpc_node.js). */
export class ChildNode {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private onReady: (() => void) | null = null;
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

  /** Starts a child node named `<prefix>...` and resolves once it is registered and listening. */
  static start(prefix: string, epmd: EpmdServer): Promise<ChildNode> {
    const name = nodeName(prefix);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GROVE_MODULES: modulesDir,
      RPC_NODE_NAME: name,
      RPC_COOKIE: COOKIE,
      GROVE_EPMD_PORT: String(epmd.port),
      GROVE_LOG_LEVEL: 'error',
      GROVE_LOG_FORMAT: 'json',
    };
    delete env['JEST_WORKER_ID'];
    delete env['NODE_OPTIONS'];
    const proc = spawn(process.execPath, [FIXTURE], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = new ChildNode(name, proc);
    children.add(child);
    return new Promise((resolve, reject) => {
      child.onReady = () => resolve(child);
      void child.exited.then(() => reject(new Error(`${name} exited before it was ready: ${child.stderr}`)));
    });
  }

  /** Sends a request and resolves with the answer. */
  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    });
  }

  /** SIGKILL (by the child's pid), unless it already exited. */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  private onLine(line: string): void {
    let msg: { id?: number; ok?: unknown; error?: string; ready?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.ready !== undefined) {
      this.onReady?.();
      return;
    }
    const p = this.pending.get(msg.id!);
    if (p === undefined) return;
    this.pending.delete(msg.id!);
    if (msg.error !== undefined) p.reject(new Error(`${this.name}: ${msg.error}`));
    else p.resolve(msg.ok);
  }
}
