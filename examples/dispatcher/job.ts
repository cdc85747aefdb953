/** A unit of work, and what the boss and the workers say about it. */

/** Square `n`. Job 5 is flaky: its first attempt crashes the worker that runs it. */
export interface Job {
  id: number;
  n: number;
  /** 1 for the first run; more when the job is redone. */
  attempt: number;
}

/**
 * How long a job takes (a timer: the worker stays responsive meanwhile); 250 ms, or
 * DISPATCHER_JOB_MS to slow the story down enough to watch it in `grove observer`.
 */
export const JOB_MS = jobMs(process.env['DISPATCHER_JOB_MS']);

function jobMs(given: string | undefined): number {
  const ms = Number(given);
  return Number.isInteger(ms) && ms > 0 ? ms : 250;
}

/** The job whose first attempt crashes its worker. */
export const FLAKY_JOB = 5;

/** The work itself. */
export function runJob(job: Job): number {
  if (job.id === FLAKY_JOB && job.attempt === 1) throw new Error(`job ${job.id} hit a glitch on its first attempt`);
  return job.n * job.n;
}

/** The dispatcher's registered name on the boss node. */
export const DISPATCHER = 'dispatcher';

/** The name worker nodes register the Worker class under, for remote spawns. */
export const WORKER_SPAWNABLE = 'worker';

/** Short form of a node name for output: `w1@127.0.0.1` -> `w1`. */
export function short(node: string): string {
  return node.split('@')[0]!;
}
