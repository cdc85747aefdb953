/**
 * Timeouts for operations that usually end long before them (calls, start
 * handshakes): one FIFO queue per duration, so deadlines arrive in order and one
 * timer at a time serves a queue, instead of a timer per operation. An operation
 * that ends another way is marked settled and skipped lazily. The timer stays armed
 * when the queue empties (a sequential caller would otherwise arm and clear one per
 * call) and is weak: it never keeps the OS process alive by itself.
 * @internal
 */
import type { Clock } from './clock';

/** An operation a {@link DeadlineQueue} can expire. */
export interface Expiring {
  /** True once the operation ended another way: the queue skips it. */
  readonly settled: boolean;
  deadline: number;
  queue: DeadlineQueue | null;
  /** The deadline passed while the operation was still live. */
  expire(): void;
}

export class DeadlineQueue {
  private items: Expiring[] = [];
  private head = 0;
  private live = 0;
  private handle: unknown = null;

  constructor(
    private readonly clock: Clock,
    /** The duration every item of this queue waits. */
    readonly ms: number,
  ) {}

  add(e: Expiring): void {
    e.deadline = this.clock.now() + this.ms;
    e.queue = this;
    this.items.push(e);
    this.live++;
    if (this.handle === null) this.handle = this.clock.setTimeout(this.fire, this.ms, true);
  }

  /** An item settled before its deadline. */
  settled(): void {
    if (--this.live === 0) {
      // Nothing left to time out: drop the settled items (the timer finds none when it fires).
      this.items = [];
      this.head = 0;
    } else if (this.items.length - this.head > 1024 && this.live * 4 < this.items.length - this.head) {
      // Many settled items behind a few live ones (concurrent callers): keep memory bounded.
      this.compact();
    }
  }

  private readonly fire = (): void => {
    this.handle = null;
    const now = this.clock.now();
    while (this.head < this.items.length) {
      const e = this.items[this.head]!;
      if (!e.settled && e.deadline > now) break;
      this.items[this.head++] = undefined as unknown as Expiring;
      // expire() settles the item, which counts it out of `live` through settled().
      if (!e.settled) e.expire();
    }
    if (this.live > 0 && this.handle === null) {
      this.compact();
      this.handle = this.clock.setTimeout(this.fire, Math.max(0, this.items[0]!.deadline - now), true);
    }
  };

  private compact(): void {
    this.items = this.items.slice(this.head).filter((e) => !e.settled);
    this.head = 0;
  }
}

/** A node's deadline queues, one per duration. */
export class Deadlines {
  private readonly byMs = new Map<number, DeadlineQueue>();
  private lastMs = -1;
  private last: DeadlineQueue | null = null;

  constructor(private readonly clock: Clock) {}

  /** Expires `e` after `ms` unless it settles first. */
  add(e: Expiring, ms: number): void {
    if (ms !== this.lastMs) {
      let q = this.byMs.get(ms);
      if (q === undefined) this.byMs.set(ms, (q = new DeadlineQueue(this.clock, ms)));
      this.lastMs = ms;
      this.last = q;
    }
    this.last!.add(e);
  }
}
