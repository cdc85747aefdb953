/**
 * A process's message queue. It only queues: when and how much a process runs is
 * the scheduler's business. FIFO with removal from the middle for selective
 * receive; the array is compacted lazily so `shift` is O(1) amortised.
 */
export class Mailbox {
  private items: unknown[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(msg: unknown): void {
    this.items.push(msg);
  }

  /** Removes and returns the oldest message; call only when `length > 0`. */
  shift(): unknown {
    const items = this.items;
    const msg = items[this.head];
    items[this.head++] = undefined;
    if (this.head === items.length) {
      items.length = 0;
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return msg;
  }

  /** Index (0 = oldest) of the first message `match` accepts, or -1. */
  find(match: (msg: unknown) => boolean): number {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) if (match(items[i])) return i - this.head;
    return -1;
  }

  /** Removes and returns the message at `index` (0 = oldest), keeping the others in order. */
  takeAt(index: number): unknown {
    if (index === 0) return this.shift();
    return this.items.splice(this.head + index, 1)[0];
  }

  /** A copy of the queued messages, oldest first (introspection, `flush`). */
  toArray(): unknown[] {
    return this.items.slice(this.head);
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
