/**
 * A process's message queue. It only queues: when and how much a process runs is
 * the scheduler's business. FIFO (a ring buffer: push and shift without
 * allocation), with removal from the middle for selective receive, which keeps the
 * skipped messages in order.
 */
import { Ring } from './ring';

export class Mailbox extends Ring<unknown> {
  /** Index (0 = oldest) of the first message `match` accepts, or -1. */
  find(match: (msg: unknown) => boolean): number {
    for (let i = 0, n = this.length; i < n; i++) if (match(this.at(i))) return i;
    return -1;
  }

  /** Removes and returns the message at `index` (0 = oldest), keeping the others in order. */
  takeAt(index: number): unknown {
    return this.removeAt(index);
  }
}
