/**
 * A connection's busy state, as Erlang's busy distribution port (`dist_buf_busy_limit`):
 * past `busyLimit` bytes waiting to be sent the connection is busy, until they fall
 * under half of it; the connection holds the processes that send on it meanwhile
 * ({@link BusyPort.drained}). Past `hardLimit` bytes, messages from senders that
 * cannot be held are dropped and counted, with one warning when a busy period starts
 * dropping and one with the count when it ends.
 *
 * @internal
 */
import { getLogger } from '@grove/core';
import type { Control } from './transport';

/**
 * Default bytes pending over which a connection is busy: 8 MiB. OTP's `dist_buf_busy_limit`
 * default is 1 MiB; here 1 MiB cost a sender that never stops ~25% of its throughput on
 * loopback (a held sender resumes a turn after the socket drains, so a small buffer leaves
 * the socket idle more often), 8 MiB nothing measurable.
 */
export const DEFAULT_DIST_BUF_BUSY_LIMIT = 8 * 1024 * 1024;
/** Default bytes pending over which messages are dropped: 256 MiB (twice the default message limit). */
export const DEFAULT_MAX_SEND_QUEUE_BYTES = 256 * 1024 * 1024;
const RESOLVED: PromiseLike<void> = Promise.resolve();
const log = getLogger('dist');

/** What a busy port watches: the bytes waiting, and the socket that drains them. */
export interface BusySource {
  readonly peer: string;
  pendingBytes(): number;
  readonly socket: { readonly writableNeedDrain: boolean; once(event: 'drain', fn: () => void): unknown };
}

export class BusyPort {
  /** True while busy (read on every send: a plain field). */
  busy = false;
  /** Times the connection became busy. */
  busyCount = 0;
  /** Messages dropped over the hard limit. */
  dropped = 0;
  private droppedThisPeriod = 0;
  private watching = false;
  private closed = false;
  private drainWait: Promise<void> | null = null;
  private drainResolve: (() => void) | null = null;

  constructor(
    private readonly source: BusySource,
    readonly busyLimit: number,
    readonly hardLimit: number,
  ) {}

  /** Settles once the connection is no longer busy; one promise per busy period. */
  drained(): PromiseLike<void> {
    if (!this.busy) return RESOLVED;
    return (this.drainWait ??= new Promise<void>((resolve) => (this.drainResolve = resolve)));
  }

  /** Looks at the bytes waiting now: busy past the limit, not busy under half of it. */
  readonly update = (): void => {
    const pending = this.source.pendingBytes();
    if (!this.busy) {
      if (pending <= this.busyLimit) return;
      this.busy = true;
      this.busyCount++;
      this.watch();
    } else if (pending <= this.busyLimit / 2) {
      this.release();
    }
  };

  /**
   * True when `c` must be dropped: a message (not a link, exit or monitor signal:
   * those are small and their loss would break links) while over the hard limit.
   * Asked only while busy.
   */
  drops(c: Control): boolean {
    if (c.type !== 'send' && c.type !== 'reg_send' && c.type !== 'reply') return false;
    if (this.source.pendingBytes() <= this.hardLimit) return false;
    this.dropped++;
    if (this.droppedThisPeriod++ === 0) {
      log.warn(`connection to ${this.source.peer}: over ${this.hardLimit} bytes waiting to be sent (maxSendQueueBytes; the peer reads too slowly); dropping messages until it drains`);
    }
    return true;
  }

  /** The connection is gone: whoever waits is released. */
  close(): void {
    this.closed = true;
    if (this.busy) this.release();
  }

  /** While busy, looks again each time the socket drains (or next turn, when it has no drain to wait for). */
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    if (this.source.socket.writableNeedDrain) this.source.socket.once('drain', this.recheck);
    else setImmediate(this.recheck);
  }

  private readonly recheck = (): void => {
    this.watching = false;
    if (this.closed) return;
    this.update();
    if (this.busy) this.watch();
  };

  private release(): void {
    this.busy = false;
    if (this.droppedThisPeriod > 0) log.warn(`connection to ${this.source.peer}: ${this.droppedThisPeriod} messages were dropped while over maxSendQueueBytes`);
    this.droppedThisPeriod = 0;
    const resolve = this.drainResolve;
    this.drainWait = null;
    this.drainResolve = null;
    resolve?.();
  }
}
