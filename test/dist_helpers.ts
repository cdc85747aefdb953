/**
 * Helpers for the multi-node tests: a private port mapper per test, nodes in this
 * OS process over TCP, and nodes in child OS processes (test/fixtures/dist_peer.js,
 * driven by JSON lines over stdin/stdout). Everything started here is stopped or
 * killed (by pid) by {@link cleanup}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { EpmdServer, startDistributed, type DistNode, type DistOptions } from '@grove/dist';

const FIXTURE = path.join(__dirname, 'fixtures', 'dist_peer.js');
let seq = 0;

/** A fresh node name: `<prefix><n>_<pid>@127.0.0.1`. */
export function nodeName(prefix: string): string {
  return `${prefix}${++seq}_${process.pid}@127.0.0.1`;
}

const epmds = new Set<EpmdServer>();
const nodes = new Set<DistNode>();
const children = new Set<ChildPeer>();

/** A port mapper on an ephemeral port, for this test only (never 4369). */
export async function privateEpmd(): Promise<EpmdServer> {
  const e = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  epmds.add(e);
  return e;
}

/** A TCP node in this OS process. */
export async function tcpNode(prefix: string, epmd: EpmdServer, options: Partial<DistOptions> = {}): Promise<DistNode> {
  const d = await startDistributed({ name: nodeName(prefix), cookie: 'dist-test', epmdPort: epmd.port, ...options });
  nodes.add(d);
  return d;
}

/** Stops every node, child and port mapper the test started. */
export async function cleanup(): Promise<void> {
  for (const c of children) c.kill();
  children.clear();
  const ds = [...nodes];
  nodes.clear();
  await Promise.all(ds.map((d) => d.stop()));
  const es = [...epmds];
  epmds.clear();
  await Promise.all(es.map((e) => e.stop()));
}

/** Resolves once `cond()` is true; rejects naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface PeerOptions {
  cookie?: string;
  hidden?: boolean;
  netTickTimeMs?: number;
  connectAll?: boolean;
  tls?: { key: string; cert: string; ca: string };
}

/** A node in a child OS process. */
export class ChildPeer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private onReady: ((port: number) => void) | null = null;
  readonly exited: Promise<NodeJS.Signals | number | null>;

  private constructor(readonly name: string, readonly proc: ChildProcess) {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => this.onLine(line));
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)));
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited; stderr: ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** Starts `dist_peer.js` as `name` and resolves once it is registered and listening. */
  static start(prefix: string, epmd: EpmdServer, options: PeerOptions = {}): Promise<ChildPeer> {
    const name = nodeName(prefix);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DIST_NAME: name,
      DIST_COOKIE: options.cookie ?? 'dist-test',
      GROVE_EPMD_PORT: String(epmd.port),
      GROVE_LOG_LEVEL: 'error',
      GROVE_LOG_FORMAT: 'json',
      ...(options.hidden === true ? { DIST_HIDDEN: '1' } : {}),
      ...(options.netTickTimeMs !== undefined ? { DIST_TICK_MS: String(options.netTickTimeMs) } : {}),
      ...(options.connectAll === false ? { DIST_CONNECT_ALL: '0' } : {}),
      ...(options.tls !== undefined ? { DIST_TLS: JSON.stringify(options.tls) } : {}),
    };
    delete env['JEST_WORKER_ID'];
    delete env['NODE_OPTIONS'];
    const proc = spawn(process.execPath, [FIXTURE], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = new ChildPeer(name, proc);
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

  /** Sends `signal` to the child (by its pid). */
  signal(signal: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }

  /** SIGKILL, unless it already exited. */
  kill(): void {
    this.signal('SIGKILL');
  }

  private onLine(line: string): void {
    let msg: { id?: number; ok?: unknown; error?: string; ready?: string; port?: number };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.ready !== undefined) {
      this.onReady?.(msg.port ?? 0);
      return;
    }
    const p = this.pending.get(msg.id!);
    if (p === undefined) return;
    this.pending.delete(msg.id!);
    if (msg.error !== undefined) p.reject(new Error(`${this.name}: ${msg.error}`));
    else p.resolve(msg.ok);
  }
}
