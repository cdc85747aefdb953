/**
 * Restart intensity: at most `intensity` restarts within any `periodMs` window
 * (OTP `supervisor:add_restart/1`). One more and the supervisor gives up.
 *
 * The restart times sit in a ring that grows to at most `intensity + 1` entries;
 * each `add` drops the times that left the window from the front and appends `now`,
 * so a restart costs O(1) amortised however long the log is, and no array is
 * copied per restart.
 */

export class RestartIntensity {
  private ring: number[] = [];
  private head = 0;
  private count = 0;

  constructor(
    /** Restarts allowed within the window (0: the first restart is one too many). */
    readonly intensity: number,
    /** Width of the window in milliseconds. */
    readonly periodMs: number,
  ) {}

  /**
   * Records a restart at `now` (ms, monotonic). False when that makes more than
   * `intensity` restarts within the last `periodMs` (inclusive, as OTP): the
   * supervisor must shut down.
   */
  add(now: number): boolean {
    const threshold = now - this.periodMs;
    let ring = this.ring;
    while (this.count > 0 && ring[this.head]! < threshold) {
      this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
      this.count--;
    }
    if (this.count === ring.length) ring = this.grow();
    let tail = this.head + this.count;
    if (tail >= ring.length) tail -= ring.length;
    ring[tail] = now;
    this.count++;
    return this.count <= this.intensity;
  }

  /** Restarts currently inside the window (as of the last `add`). */
  get size(): number {
    return this.count;
  }

  /** Doubles the ring (capped at intensity + 1: older entries can never matter), keeping order. */
  private grow(): number[] {
    const ring = this.ring;
    const cap = Math.min(Math.max(4, ring.length * 2), this.intensity + 1);
    if (cap <= ring.length) {
      // Full at intensity + 1: the oldest entry is beyond the limit anyway; drop it.
      this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
      this.count--;
      return ring;
    }
    const next = new Array<number>(cap);
    for (let i = 0; i < this.count; i++) {
      let j = this.head + i;
      if (j >= ring.length) j -= ring.length;
      next[i] = ring[j]!;
    }
    this.ring = next;
    this.head = 0;
    return next;
  }
}
