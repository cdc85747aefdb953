/**
 * Rate limit for the warnings a peer can provoke (a refused connection, a refused
 * registration): at most a few lines per kind of warning and remote host in a window,
 * then one line saying how many were left out. A client that reconnects in a loop
 * gets a handful of lines a minute, not one per attempt. Internal to the package.
 */
import { getLogger } from '@grove/core';

/** Lines written per key (node, remote host, reason) and window. */
export const WARNINGS_PER_WINDOW = 5;
/** The window, in ms. */
export const WARNING_WINDOW_MS = 60_000;
/** Keys tracked per window; past it, new keys share one count. */
const MAX_KEYS = 256;

/** Counts warnings per key in a window, writing at most `perKey` of each. */
export class WarningLimiter {
  private windowStart = -Infinity;
  private readonly counts = new Map<string, number>();
  private suppressed = 0;

  constructor(
    private readonly perKey = WARNINGS_PER_WINDOW,
    private readonly windowMs = WARNING_WINDOW_MS,
  ) {}

  /** Writes `message` as a warning of the `dist` logger unless `key` had its share of this window. */
  warn(key: string, message: string): void {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) this.roll(now);
    const k = this.counts.has(key) || this.counts.size < MAX_KEYS ? key : '';
    const n = (this.counts.get(k) ?? 0) + 1;
    this.counts.set(k, n);
    if (n > this.perKey) {
      this.suppressed++;
      return;
    }
    getLogger('dist').warn(n === this.perKey ? `${message} (more like this in the next ${Math.round(this.windowMs / 1000)} s are left out)` : message);
  }

  private roll(now: number): void {
    if (this.suppressed > 0) getLogger('dist').warn(`${this.suppressed} repeated warnings left out in the last ${Math.round((now - this.windowStart) / 1000)} s`);
    this.windowStart = now;
    this.counts.clear();
    this.suppressed = 0;
  }
}

/** The one limiter of refused connections and registrations in this process. */
export const refusals = new WarningLimiter();
