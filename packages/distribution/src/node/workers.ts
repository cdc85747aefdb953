/**
 * Nodes in worker threads: every core of a machine, each running an ordinary Grove
 * node (`app_1@host`, ...) in a thread of this OS process, connected to this node and
 * to each other as any cluster is. Between threads of the process, connections run
 * over shared-memory rings (transport/thread_links.ts, ring_stream.ts), not TCP and not the port mapper;
 * each worker node also listens on TCP and registers with the port mapper, so that
 * other machines reach it directly, as any node.
 *
 * A thread is a {@link WorkerNode} process here: when the thread dies (an uncaught
 * error, out of memory, `process.exit` in it) the others see `nodedown` and
 * `noconnection`, the process exits with the reason, and its supervisor starts a new
 * thread with the same node name.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { formatTerm, GenServer, Info, StartError, startSupervisor, stopSupervisor, type ExitReason, type Pid, type RestartType } from '@grove/core';
import { DistNodeError } from '../errors';
import { attachWorker, detachWorker } from '../transport/thread_links';
import type { DistNode } from './dist_node';
import { aliveOf, hostOf, isNodeName } from './node_name';

/** What a worker's `main` module's `start(node, info)` is told. */
export interface WorkerInfo {
  /** 1 for the first worker. */
  readonly index: number;
  /** How many workers were started together. */
  readonly count: number;
  /** The node that started the workers. */
  readonly parent: string;
  /** {@link WorkerNodesOptions.data}. */
  readonly data: unknown;
}

/** Options of {@link startWorkers}. */
export interface WorkerNodesOptions {
  /** How many nodes. Default: one per core (`os.availableParallelism()`). */
  count?: number;
  /**
   * A module each worker loads once its node is up and connected: a path (absolute, or
   * relative to the working directory) to a CommonJS or ES module exporting
   * `start(node: DistNode, info: WorkerInfo)` (or as its default export). Without it a
   * worker node runs only what other nodes spawn on it (`registerSpawnable`, rpc).
   */
  main?: string;
  /** The export of `main` to call. Default `start` (or the default export). */
  entry?: string;
  /**
   * A module that loads `main` instead of Node's `require`/`import`: it exports
   * `loadModule(file): Promise<exports>` (the CLI passes its own, which runs TypeScript
   * through tsx in the thread as in the main thread).
   */
  loader?: string;
  /** Handed to `main` as `info.data`; must survive the structured clone. */
  data?: unknown;
  /** Node names are `<prefix>_<i>@<host of this node>`. Default: this node's alive part. */
  prefix?: string;
  /** Default: this node's cookie. */
  cookie?: string;
  /** The port mapper the worker nodes register with. Default as {@link startDistributed}'s. */
  epmdPort?: number;
  /** Where each worker node listens on TCP, for other machines. Default `127.0.0.1`. */
  listen?: string;
  /** How long a thread may take to start its node and run `main`'s `start`. Default 30,000 ms. */
  startTimeoutMs?: number;
  /** Heap limits of each thread (Node's `resourceLimits`). */
  resourceLimits?: ResourceLimits;
  /** The restart type of each thread's node under the workers' supervisor. Default `permanent`. */
  restart?: RestartType;
}

/** Worker nodes started by {@link startWorkers}. */
export interface WorkerNodes {
  /** Their node names, in order. */
  readonly nodes: readonly string[];
  /** The supervisor of their threads (one_for_one). */
  readonly supervisor: Pid;
  /** Stops every thread (its node first goes down for the others), then the supervisor. */
  stop(): Promise<void>;
}

/** The start argument of a {@link WorkerNode}. */
export interface WorkerNodeSpec {
  readonly name: string;
  readonly index: number;
  readonly count: number;
  readonly parent: string;
  readonly cookie: string;
  readonly main?: string;
  readonly entry?: string;
  readonly loader?: string;
  readonly data?: unknown;
  readonly epmdPort?: number;
  readonly listen?: string;
  readonly startTimeoutMs?: number;
  readonly resourceLimits?: ResourceLimits;
}

/** What the bootstrap (thread_main.ts) gets as `workerData`. @internal */
export interface ThreadBoot extends Omit<WorkerNodeSpec, 'startTimeoutMs' | 'resourceLimits'> {
  readonly control: MessagePort;
}

/** The bootstrap every worker thread runs: thread_main.js next to this file once built. */
function bootstrapFile(): string {
  // Under ts-jest this file runs from src/; the thread needs the built JavaScript.
  return __filename.endsWith('.ts') ? path.resolve(__dirname, '..', '..', 'dist', 'node', 'thread_main.js') : path.join(__dirname, 'thread_main.js');
}

/**
 * One worker thread running one Grove node, as a process of this node: it starts the
 * thread and waits until the thread's node is up and connected (and `main` has run);
 * it exits when the thread ends (reason `{ thread_exit: code }`, or `{ thread_error:
 * message }` after an uncaught error), and ends the thread when it is stopped.
 */
export class WorkerNode extends GenServer {
  private worker: Worker | undefined;
  private control: MessagePort | undefined;
  private spec!: WorkerNodeSpec;

  override async init(spec: WorkerNodeSpec) {
    this.spec = spec;
    this.ctx.trapExit(true);
    const { port1, port2 } = new MessageChannel();
    this.control = port1;
    attachWorker(spec.name, port1);
    const boot: ThreadBoot = {
      name: spec.name,
      index: spec.index,
      count: spec.count,
      parent: spec.parent,
      cookie: spec.cookie,
      ...(spec.main !== undefined ? { main: path.resolve(spec.main) } : {}),
      ...(spec.entry !== undefined ? { entry: spec.entry } : {}),
      ...(spec.loader !== undefined ? { loader: spec.loader } : {}),
      ...(spec.data !== undefined ? { data: spec.data } : {}),
      ...(spec.epmdPort !== undefined ? { epmdPort: spec.epmdPort } : {}),
      ...(spec.listen !== undefined ? { listen: spec.listen } : {}),
      control: port2,
    };
    const worker = new Worker(bootstrapFile(), {
      workerData: boot,
      transferList: [port2],
      ...(spec.resourceLimits !== undefined ? { resourceLimits: spec.resourceLimits } : {}),
    });
    this.worker = worker;
    try {
      await started(worker, spec);
    } catch (err) {
      await this.endThread();
      return this.stopWith({ thread_start: (err as Error).message });
    }
    const node = this.ctx.node;
    const self = this.self;
    // An error from another thread arrives as a copy, not always an instance of this thread's Error.
    worker.on('error', (err: unknown) => {
      const message = (err as { message?: unknown } | null)?.message;
      node.send(self, ['grove.thread_error', typeof message === 'string' ? message : formatTerm(err)]);
    });
    worker.once('exit', (code) => node.send(self, ['grove.thread_exit', code]));
    return undefined;
  }

  @Info('grove.thread_error') onThreadError([, message]: [string, string]) {
    this.worker = undefined;
    return this.stopWith({ thread_error: message });
  }

  @Info('grove.thread_exit') onThreadExit([, code]: [string, number]) {
    this.worker = undefined;
    return this.stopWith(code === 0 ? 'normal' : { thread_exit: code });
  }

  /** Crash reports and `sys.getStatus` show the node and its thread, never the cookie. */
  override formatState(): unknown {
    return { node: this.spec.name, thread: this.worker?.threadId ?? null };
  }

  @Info('EXIT') onExit(): void {
    // A linked process other than the parent died: not ours to follow.
  }

  override async terminate(_reason: ExitReason): Promise<void> {
    await this.endThread();
  }

  private async endThread(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (this.control !== undefined) {
      detachWorker(this.spec.name, this.control);
      this.control.close();
      this.control = undefined;
    }
    if (worker !== undefined) await worker.terminate();
  }
}

/** Resolves when the thread says its node is up (and `main` ran); rejects with why it did not. */
function started(worker: Worker, spec: WorkerNodeSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`the thread of ${spec.name} did not start within ${spec.startTimeoutMs ?? 30_000} ms`)), spec.startTimeoutMs ?? 30_000);
    const onMessage = (m: { type?: string; error?: string }): void => {
      if (m?.type === 'ready') done();
      else if (m?.type === 'failed') done(new Error(`${spec.name} failed to start: ${m.error ?? 'unknown error'}`));
    };
    const onError = (err: Error): void => done(new Error(`${spec.name} failed to start: ${err.message}`));
    const onExit = (code: number): void => done(new Error(`the thread of ${spec.name} exited with code ${code} while starting`));
    function done(err?: Error): void {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (err === undefined) resolve();
      else reject(err);
    }
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * Starts `count` Grove nodes in worker threads of this OS process, each connected to
 * `dist` and (through it, as a mesh forms) to each other, under a one_for_one
 * supervisor of this node that restarts a thread that dies (at most `count * 3` times
 * in 10 s). Resolves once every node is up and its `main` has run.
 *
 * @example
 * const workers = await startWorkers(node, { count: 4, main: require.resolve('./worker') });
 * // workers.nodes: ['app_1@127.0.0.1', ...]; send, call, link, monitor, rpc, pg, global work with them.
 * await workers.stop();
 */
export async function startWorkers(dist: DistNode, options: WorkerNodesOptions = {}): Promise<WorkerNodes> {
  if (typeof options !== 'object' || options === null) throw new DistNodeError(`startWorkers: expected options, got ${formatTerm(options)}`);
  const count = options.count ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  if (!Number.isInteger(count) || count < 1 || count > 1024) throw new DistNodeError(`startWorkers: count must be an integer from 1 to 1024, got ${formatTerm(count)}`);
  if (options.main !== undefined && typeof options.main !== 'string') throw new DistNodeError(`startWorkers: main must be a module path, got ${formatTerm(options.main)}`);
  const prefix = options.prefix ?? aliveOf(dist.name);
  const names = Array.from({ length: count }, (_, i) => `${prefix}_${i + 1}@${hostOf(dist.name)}`);
  for (const n of names) if (!isNodeName(n)) throw new DistNodeError(`startWorkers: ${formatTerm(n)} is not a node name (check prefix)`);
  const cookie = options.cookie ?? dist.getCookie();
  const children = names.map((name, i) => {
    const spec: WorkerNodeSpec = {
      name,
      index: i + 1,
      count,
      parent: dist.name,
      cookie,
      ...(options.main !== undefined ? { main: options.main } : {}),
      ...(options.entry !== undefined ? { entry: options.entry } : {}),
      ...(options.loader !== undefined ? { loader: options.loader } : {}),
      ...(options.data !== undefined ? { data: options.data } : {}),
      ...(options.epmdPort !== undefined ? { epmdPort: options.epmdPort } : {}),
      ...(options.listen !== undefined ? { listen: options.listen } : {}),
      ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
      ...(options.resourceLimits !== undefined ? { resourceLimits: options.resourceLimits } : {}),
    };
    // Stopping a thread: its node goes down for the others first (terminate), then it ends.
    return WorkerNode.childSpec(spec, { id: name, restart: options.restart ?? 'permanent', shutdown: 10_000 });
  });
  let supervisor: Pid;
  try {
    supervisor = await startSupervisor(dist.node, { flags: { strategy: 'one_for_one', intensity: count * 3, periodMs: 10_000 }, children });
  } catch (err) {
    // A thread that could not start: say why, not the supervisor's wrapping of it.
    const why = threadStartReason(err instanceof StartError ? err.reason : undefined);
    throw why !== undefined ? new DistNodeError(`startWorkers: ${why}`, { cause: err }) : err;
  }
  return {
    nodes: names,
    supervisor,
    stop: () => stopSupervisor(dist.node, supervisor),
  };
}

/** `{ shutdown: { failedToStartChild, reason: { thread_start: why } } }` → why. */
function threadStartReason(reason: unknown): string | undefined {
  const inner = (reason as { shutdown?: { reason?: { thread_start?: unknown } } } | undefined)?.shutdown?.reason?.thread_start;
  return typeof inner === 'string' ? inner : undefined;
}
