/**
 * Time: the source behind timers, receive timeouts and call timeouts, and the
 * deadline queues that time out calls and start handshakes.
 *
 * Tests inject a {@link ManualClock} so that timer behaviour is checked without
 * waiting.
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /**
   * Runs `fn` after `ms`; returns a handle for {@link Clock.clearTimeout}. A `weak`
   * timer does not keep the OS process alive by itself.
   */
  setTimeout(fn: () => void, ms: number, weak?: boolean): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms, weak) {
    const t = setTimeout(fn, ms);
    if (weak === true) t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to: `advance(ms)` fires, in order, every timer
 * due by then.
 */
export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: ManualTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: ManualTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    (handle as ManualTimer).cancelled = true;
  }

  /** Moves time forward by `ms`, firing due timers in deadline order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.time = due.at;
      due.fn();
    }
    this.timers = this.timers.filter((t) => !t.cancelled);
    this.time = until;
  }

  /** When the next timer is due, or undefined when none waits. */
  get nextDue(): number | undefined {
    let at: number | undefined;
    for (const t of this.timers) if (!t.cancelled && (at === undefined || t.at < at)) at = t.at;
    return at;
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

// ---- deadlines ----
//
// Timeouts for operations that usually end long before them (calls, start
// handshakes): one FIFO queue per duration, so deadlines arrive in order and one
// timer at a time serves a queue, instead of a timer per operation. An operation
// that ends another way is marked settled and skipped lazily. The timer stays armed
// when the queue empties (a sequential caller would otherwise arm and clear one per
// call) and is weak: it never keeps the OS process alive by itself.
//
// On the system clock, deadlines are stamped once per event-loop turn, at its end (a
// check-phase callback), not per operation: reading the clock cost a sequential caller
// a tenth of its call. A timeout so counts from the end of the turn the operation
// started in: never early, late by at most that turn's remaining work (Erlang's
// timeouts are late by a busy scheduler's work too). A manual clock stamps at once.

/** An operation's deadline before its queue has stamped it (it cannot expire yet). */
const UNSTAMPED = Number.POSITIVE_INFINITY;

/** An operation a {@link DeadlineQueue} can expire. @internal */
export interface Expiring {
  /** True once the operation ended another way: the queue skips it. */
  readonly settled: boolean;
  deadline: number;
  queue: DeadlineQueue | null;
  /** The deadline passed while the operation was still live. */
  expire(): void;
}

/** The timeouts of one duration. @internal */
export class DeadlineQueue {
  /** Items in deadline order in `[head, tail)`; slots outside it are empty. */
  private items: (Expiring | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private live = 0;
  private handle: unknown = null;
  /** Stamps once per turn (the system clock), rather than per item. */
  private readonly perTurn: boolean;
  private stampArmed = false;

  constructor(
    private readonly clock: Clock,
    /** The duration every item of this queue waits. */
    readonly ms: number,
  ) {
    this.perTurn = clock === systemClock;
  }

  add(e: Expiring): void {
    e.queue = this;
    this.items[this.tail++] = e;
    this.live++;
    if (!this.perTurn) e.deadline = this.clock.now() + this.ms;
    else {
      e.deadline = UNSTAMPED;
      if (!this.stampArmed) {
        this.stampArmed = true;
        setImmediate(this.stamp);
      }
    }
    if (this.handle === null) this.handle = this.clock.setTimeout(this.fire, this.ms, true);
  }

  /** Gives the items added this turn their deadline: they are the last ones, in order. */
  private readonly stamp = (): void => {
    this.stampArmed = false;
    const deadline = this.clock.now() + this.ms;
    const items = this.items;
    for (let i = this.tail - 1; i >= this.head; i--) {
      const e = items[i];
      if (e === undefined) continue;
      if (e.deadline !== UNSTAMPED) break;
      e.deadline = deadline;
    }
  };

  /** An item settled before its deadline. */
  settled(): void {
    if (--this.live === 0) {
      // Nothing left to time out: drop the settled items (the timer finds none when it
      // fires), keeping the array, so that one operation at a time allocates nothing here.
      const items = this.items;
      for (let i = this.head; i < this.tail; i++) items[i] = undefined;
      this.head = this.tail = 0;
    } else if (this.tail - this.head > 1024 && this.live * 4 < this.tail - this.head) {
      // Many settled items behind a few live ones (concurrent callers): keep memory bounded.
      this.compact();
    }
  }

  private readonly fire = (): void => {
    this.handle = null;
    const now = this.clock.now();
    while (this.head < this.tail) {
      const e = this.items[this.head]!;
      if (!e.settled && e.deadline > now) break;
      this.items[this.head++] = undefined;
      // expire() settles the item, which counts it out of `live` through settled().
      if (!e.settled) e.expire();
    }
    if (this.live > 0 && this.handle === null) {
      this.compact();
      const next = this.items[0]!.deadline;
      // An item not stamped yet is stamped at the end of this turn: its full duration from now at most.
      this.handle = this.clock.setTimeout(this.fire, next === UNSTAMPED ? this.ms : Math.max(0, next - now), true);
    }
  };

  private compact(): void {
    const live: (Expiring | undefined)[] = [];
    for (let i = this.head; i < this.tail; i++) {
      const e = this.items[i]!;
      if (!e.settled) live.push(e);
    }
    this.items = live;
    this.head = 0;
    this.tail = live.length;
  }
}

/** A node's deadline queues, one per duration. @internal */
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
