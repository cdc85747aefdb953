/**
 * A virtual clock for a Node: time moves only when the test says so, and `advance`
 * fires timers (`sendAfter`, receive timeouts, call timeouts, start timeouts) in
 * deadline order, letting every process run between two of them. A test of a
 * 5-second call timeout takes no 5 seconds and never depends on the machine's speed.
 *
 * Built on core's {@link ManualClock} (which fires timers synchronously): this one
 * fires the timers due at one instant, then drains the nodes made with it (turns of
 * the event loop until none of their processes is runnable), then moves on to the
 * next instant. A timer that a process sets while it runs is fired in the same
 * `advance` when it falls due within it, as real time would.
 */
import { ManualClock, Node, type NodeOptions } from '@grove/core';
import { trackNode } from './nodes';
import { nextTurn } from './wait';

/** At most this many event-loop turns to drain once: a process that never stops being runnable is a bug the test should see. */
const MAX_DRAIN_TURNS = 10_000;

export class VirtualClock extends ManualClock {
  private readonly nodes = new Set<Node>();

  /** A new Node on this clock (a {@link NodeOptions} without `clock`), drained by {@link advance}. */
  node(options: Omit<NodeOptions, 'clock'> = {}): Node {
    const n = new Node({ ...options, clock: this });
    this.nodes.add(n);
    trackNode(n);
    return n;
  }

  /** Drains `node` too on {@link advance} (a node made elsewhere with `clock: this`, e.g. `startDistributed`'s). */
  attach(node: Node): void {
    this.nodes.add(node);
    trackNode(node);
  }

  /**
   * Moves time forward by `ms`: drains, then for each instant at which timers are due
   * (in order) fires them and drains again; resolves once time is `now() + ms` and the
   * nodes are idle.
   */
  override async advance(ms: number): Promise<void> {
    if (!(typeof ms === 'number' && ms >= 0 && Number.isFinite(ms))) throw new RangeError(`advance: ms must be a finite number >= 0, got ${String(ms)}`);
    const until = this.now() + ms;
    await this.settle();
    for (;;) {
      const at = this.nextDue;
      if (at === undefined || at > until) break;
      super.advance(at - this.now());
      await this.settle();
    }
    super.advance(until - this.now());
    await this.settle();
  }

  /**
   * Lets the nodes run until none of their processes is runnable (at least one full
   * turn of the event loop, so promise chains and socket callbacks that are ready get
   * to run). Time does not move.
   */
  async settle(): Promise<void> {
    for (let turn = 0; turn < MAX_DRAIN_TURNS; turn++) {
      await nextTurn();
      if (turn > 0 && this.idle()) return;
    }
    throw new Error(`VirtualClock: processes still runnable after ${MAX_DRAIN_TURNS} event-loop turns`);
  }

  private idle(): boolean {
    for (const n of this.nodes) if (n.scheduler.length > 0) return false;
    return true;
  }
}
