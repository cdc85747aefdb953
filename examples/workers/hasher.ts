/**
 * The CPU-bound work: key stretching (PBKDF2-SHA256), as a password store does it.
 * One call holds its thread for milliseconds; spread over worker-thread nodes, the
 * calls run on every core at once.
 */
import { pbkdf2Sync } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { Call, GenServer } from '@grove/core';

/** One job: a password and the rounds to stretch it with. */
export interface Job {
  readonly password: string;
  readonly rounds: number;
}

/** A stretched key (hex) and the thread that computed it. */
export interface Stretched {
  readonly key: string;
  readonly thread: number;
}

export class Hasher extends GenServer<{ call: 'stretch' }> {
  @Call() stretch(job: Job): Stretched {
    const key = pbkdf2Sync(job.password, `salt:${job.password}`, job.rounds, 32, 'sha256').toString('hex');
    return { key, thread: threadId };
  }
}
