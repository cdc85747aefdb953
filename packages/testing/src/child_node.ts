/**
 * A Grove node in a child OS process, for tests that need a separate process: a
 * crash that must not take the test with it, a kill -9, a low descriptor limit.
 *
 * The parent side is {@link ChildNode}: it runs a script with `node`, waits for it
 * to say it is ready, sends it requests and kills it (by its pid) at cleanup. The
 * child side is {@link serveChild} (in `child.ts`): the script starts its node and
 * returns the commands the test may run. They speak JSON lines over stdin/stdout:
 * `{ready: name}` once, then `{id, cmd, ...args}` answered by `{id, ok}` or `{id, error}`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';

/** How long a child may take to start, or to answer a request, by default. */
export const DEFAULT_CHILD_TIMEOUT_MS = 20_000;

export interface ChildNodeOptions {
  /** The script to run with `node` (it calls `serveChild`). */
  script: string;
  /** The node's name (the child reads it as `TEST_NODE_NAME`; `childNodeOptions()` returns it). */
  name: string;
  /** The cookie (`TEST_COOKIE`). */
  cookie: string;
  /** The port mapper's port (`GROVE_EPMD_PORT`, which @grove/distribution reads itself). */
  epmdPort: number;
  /** More environment for the script. */
  env?: Record<string, string>;
  /** Arguments after the script. */
  args?: readonly string[];
  /** Run under `ulimit -n <maxOpenFiles>` (through `sh`): the child may hold this many descriptors at most. */
  maxOpenFiles?: number;
  /** How long to wait for `{ready}`. Default {@link DEFAULT_CHILD_TIMEOUT_MS}. */
  readyTimeoutMs?: number;
}

/** The environment of a child OS process: not under jest (so it behaves as for a user), quiet JSON logs. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GROVE_LOG_LEVEL: 'error', GROVE_LOG_FORMAT: 'json', ...extra };
  delete env['JEST_WORKER_ID'];
  delete env['NODE_OPTIONS'];
  return env;
}

const live = new Set<ChildNode>();

export class ChildNode {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stderrText = '';
  private onReady: (() => void) | null = null;
  /** Resolves once the child has exited, with its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => this.onLine(line));
    proc.stderr!.on('data', (d: Buffer) => (this.stderrText += d.toString()));
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      live.delete(this);
      for (const id of [...this.pending.keys()]) this.settle(id, new Error(`${this.name} exited; stderr: ${this.stderrText}`));
    });
  }

  /** Starts the script and resolves once the node in it is ready; rejects with its stderr when it exits first or takes too long. */
  static start(options: ChildNodeOptions): Promise<ChildNode> {
    const env = childEnv({ GROVE_EPMD_PORT: String(options.epmdPort), TEST_NODE_NAME: options.name, TEST_COOKIE: options.cookie, ...options.env });
    const argv = [options.script, ...(options.args ?? [])];
    const limit = options.maxOpenFiles;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new RangeError(`maxOpenFiles must be a positive integer, got ${String(limit)}`);
    const proc =
      limit === undefined
        ? spawn(process.execPath, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn('sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = new ChildNode(options.name, proc);
    live.add(child);
    const readyMs = options.readyTimeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.name} was not ready within ${readyMs} ms; stderr: ${child.stderrText}`)), readyMs);
      child.onReady = () => {
        clearTimeout(timer);
        resolve(child);
      };
      void child.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited before it was ready: ${child.stderrText}`));
      });
    });
  }

  /** What the child wrote on stderr so far. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Sends a request `{id, cmd, ...args}` and resolves with the answer; rejects with the child's error, or after `timeoutMs`. */
  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = DEFAULT_CHILD_TIMEOUT_MS): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error(`${this.name} did not answer ${cmd} within ${timeoutMs} ms; stderr: ${this.stderrText}`)), timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.proc.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    });
  }

  /** Sends `signal` to the child (by its pid), unless it already exited. */
  signal(signal: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }

  /** SIGKILL, unless it already exited; await {@link exited} to know it is gone. */
  kill(): void {
    this.signal('SIGKILL');
  }

  /** Kills the child and resolves once it is gone. */
  async stop(): Promise<void> {
    this.kill();
    await this.exited;
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

/** Kills every child still running (by pid) and waits for them. */
export async function stopChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}
