/**
 * A process's message queue. It only queues: when and how much a process runs is
 * the scheduler's business. FIFO, with removal from the middle for selective
 * receive (which keeps the skipped messages in order).
 */
import { Ring } from './ring';

export class Mailbox {
  private readonly ring = new Ring<unknown>(8);

  get length(): number {
    return this.ring.length;
  }

  push(msg: unknown): void {
    this.ring.push(msg);
  }

  /** Removes and returns the oldest message; call only when `length > 0`. */
  shift(): unknown {
    return this.ring.shift();
  }

  /** Index (0 = oldest) of the first message `match` accepts, or -1. */
  find(match: (msg: unknown) => boolean): number {
    for (let i = 0, n = this.ring.length; i < n; i++) if (match(this.ring.at(i))) return i;
    return -1;
  }

  /** Removes and returns the message at `index` (0 = oldest), keeping the others in order. */
  takeAt(index: number): unknown {
    return this.ring.removeAt(index);
  }

  /** A copy of the queued messages, oldest first (introspection, `flush`). */
  toArray(): unknown[] {
    return this.ring.toArray();
  }
}
