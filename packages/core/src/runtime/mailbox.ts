/**
 * A process's message queue. It only queues: when and how much a process runs is
 * the scheduler's business. FIFO, with removal from the middle for selective
 * receive, which keeps the skipped messages in order.
 *
 * It is a {@link Ring}, a growable ring buffer (the scheduler's run queue is one
 * too): push and shift allocate nothing, and the array stops resizing once warm.
 */

/** A growable ring buffer: O(1) push and shift. @internal */
export class Ring<T> {
  private buf: (T | undefined)[];
  private mask: number;
  private head = 0;
  private tail = 0;

  constructor(capacity = 8) {
    let c = 8;
    while (c < capacity) c <<= 1;
    // Never `new Array(n)`: a holey (or, when large, dictionary-mode) array is far
    // slower. The buffer is filled by appends up to its capacity, so it stays packed.
    this.buf = [];
    this.mask = c - 1;
  }

  get length(): number {
    return (this.tail - this.head) & this.mask;
  }

  push(item: T): void {
    this.buf[this.tail] = item;
    this.tail = (this.tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
  }

  /** Removes and returns the oldest item; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    return item;
  }

  /** The item at `index` (0 = oldest). */
  at(index: number): T | undefined {
    return this.buf[(this.head + index) & this.mask];
  }

  /** Removes the item at `index` (0 = oldest), keeping the order of the rest. */
  removeAt(index: number): T | undefined {
    const n = this.length;
    if (index < 0 || index >= n) return undefined;
    if (index === 0) return this.shift();
    const buf = this.buf;
    const mask = this.mask;
    const item = buf[(this.head + index) & mask];
    for (let i = index; i < n - 1; i++) buf[(this.head + i) & mask] = buf[(this.head + i + 1) & mask];
    this.tail = (this.tail - 1) & mask;
    buf[this.tail] = undefined;
    return item;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0, n = this.length; i < n; i++) out.push(this.buf[(this.head + i) & this.mask] as T);
    return out;
  }

  private grow(): void {
    // Called when full (tail caught up with head): unroll into a buffer twice the size.
    const old = this.buf;
    const size = this.mask + 1;
    const next: (T | undefined)[] = [];
    for (let i = 0; i < size; i++) next.push(old[(this.head + i) & this.mask]);
    this.buf = next;
    this.head = 0;
    this.tail = size;
    this.mask = size * 2 - 1;
  }
}

/** A mailbox: the ring of a process's messages, oldest first. */
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
