/**
 * A worker: a GenServer that runs on a worker node but is started — and restarted —
 * by a supervisor on the boss node (see pool.ts). It asks the dispatcher for work by
 * saying it is ready, runs one job at a time, and reports each result.
 */
import { Cast, castServer, GenServer, Info } from '@grove/core';
import { DISPATCHER, JOB_MS, runJob, short, type Job } from './job';

export interface WorkerArgs {
  /** The boss node (where the dispatcher runs). */
  boss: string;
  /** `w1/2`: node and slot, the same after a restart (the supervisor passes the same args). */
  id: string;
}

export class Worker extends GenServer<{ cast: 'work' }> {
  private boss = '';
  private id = '';

  override init({ boss, id }: WorkerArgs): void {
    this.boss = boss;
    this.id = id;
    console.log(`worker ${id} up as ${this.self}`);
    this.tellDispatcher(['ready', this.self]);
  }

  @Cast() work(job: Job): void {
    console.log(`worker ${this.id} working on job ${job.id}${job.attempt > 1 ? ` (attempt ${job.attempt})` : ''}`);
    // A timer, not a busy loop: the process (and the node) stays responsive.
    this.ctx.sendAfter(this.self, { type: 'finish', job }, JOB_MS);
  }

  @Info('finish') finish({ job }: { job: Job }): void {
    // A throw here crashes this worker: its supervisor, on the boss, starts a new one.
    const result = runJob(job);
    this.tellDispatcher(['done', job.id, result, short(this.ctx.node.name), this.self]);
  }

  private tellDispatcher(request: unknown[]): void {
    castServer(this.ctx, [DISPATCHER, this.boss], request);
  }
}
