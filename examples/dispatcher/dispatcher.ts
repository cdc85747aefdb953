/**
 * The dispatcher: a GenServer on the boss node that owns the job queue. Workers say
 * `ready`; the dispatcher monitors each one and hands it a job; a worker reports
 * `done` and gets the next. When a worker dies with a job in hand — its job crashed
 * it, or its whole node died — the monitor's DOWN puts the job back in the queue,
 * and another worker redoes it. Results are kept by job id, so none counts twice.
 *
 * It also watches nodes: each worker node that connects gets a NodePool (pool.ts).
 */
import { Call, Cast, GenServer, Info, type DownMessage, type From, type NoReply, type Pid } from '@grove/core';
import { monitorNodes, type NodeDownMessage, type NodeUpMessage } from '@grove/distribution';
import { short, type Job } from './job';
import { Pools } from './pool';
import { Worker } from './worker';

export interface DispatcherArgs {
  jobs: number;
  /** Hold the jobs until this many worker nodes have joined. */
  nodes: number;
  workersPerNode: number;
}

/** What `wait` answers once every job is done. */
export interface Summary {
  jobs: number;
  sum: number;
  redone: number;
  byNode: Record<string, number>;
}

export class Dispatcher extends GenServer<{ call: 'wait'; cast: 'ready' | 'done' }> {
  private queue: Job[] = [];
  private total = 0;
  private waitForNodes = 0;
  private workersPerNode = 0;
  private nodesSeen = 0;
  private readonly idle: Pid[] = [];
  private readonly inFlight = new Map<string, Job>(); // worker pid key -> its job
  private readonly results = new Map<number, { result: number; node: string }>();
  private redone = 0;
  private waiting: From[] = [];

  override init({ jobs, nodes, workersPerNode }: DispatcherArgs): void {
    this.queue = Array.from({ length: jobs }, (_, i) => ({ id: i + 1, n: i + 1, attempt: 1 }));
    this.total = jobs;
    this.waitForNodes = nodes;
    this.workersPerNode = workersPerNode;
    monitorNodes(this.ctx); // nodeup / nodedown messages from now on
    console.log(`dispatcher: ${jobs} jobs, waiting for ${nodes} worker nodes`);
  }

  @Info('nodeup') async nodeUp({ node }: NodeUpMessage): Promise<void> {
    this.nodesSeen++;
    console.log(`${short(node)} joined: starting ${this.workersPerNode} workers there, supervised from here`);
    try {
      await Pools.startChild(this.ctx, 'pools', { node, boss: this.ctx.node.name, workers: this.workersPerNode });
    } catch (e) {
      console.log(`could not start workers on ${short(node)}: ${(e as Error).message}`);
    }
    this.dispatch();
  }

  @Info('nodedown') nodeDown({ node, reason }: NodeDownMessage): void {
    console.log(`${short(node)} went down (${reason})`);
  }

  @Cast() ready(worker: Pid): void {
    this.ctx.monitor(worker);
    this.idle.push(worker);
    this.dispatch();
  }

  @Cast() done(id: number, result: number, node: string, worker: Pid): void {
    this.inFlight.delete(worker.key);
    if (!this.results.has(id)) this.results.set(id, { result, node });
    console.log(`job ${id} done on ${node}: ${result} (${this.results.size}/${this.total})`);
    this.idle.push(worker);
    this.dispatch();
    if (this.results.size === this.total) for (const from of this.waiting.splice(0)) this.reply(from, this.summary());
  }

  @Info('DOWN') workerDown({ pid, reason }: DownMessage): void {
    const worker = pid as Pid;
    const i = this.idle.findIndex((p) => p.equals(worker));
    if (i >= 0) this.idle.splice(i, 1);
    const job = this.inFlight.get(worker.key);
    if (job === undefined) return;
    this.inFlight.delete(worker.key);
    this.redone++;
    const why = reason instanceof Error ? reason.message : String(reason);
    console.log(`job ${job.id} was running on ${short(worker.node)} when its worker died (${why}): back in the queue`);
    this.queue.unshift({ ...job, attempt: job.attempt + 1 });
    this.dispatch();
  }

  /** Answers once every job is done. */
  @Call() wait(): Summary | NoReply {
    if (this.results.size === this.total) return this.summary();
    this.waiting.push(this.from);
    return this.noReply();
  }

  private dispatch(): void {
    if (this.nodesSeen < this.waitForNodes) return;
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift()!;
      const job = this.queue.shift()!;
      this.inFlight.set(worker.key, job);
      Worker.client(this.ctx, worker).cast.work(job); // a typed cast, to a pid on another node
    }
  }

  private summary(): Summary {
    const byNode: Record<string, number> = {};
    let sum = 0;
    for (const { result, node } of this.results.values()) {
      sum += result;
      byNode[node] = (byNode[node] ?? 0) + 1;
    }
    return { jobs: this.results.size, sum, redone: this.redone, byNode };
  }
}
