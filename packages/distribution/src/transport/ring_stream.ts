/**
 * A byte stream between two threads of one OS process over shared memory: what a node
 * connection between threads runs on, in place of a socket. The handshake, the frame
 * writer and the channel run on it unchanged, so a connection between threads is
 * authenticated, framed and ordered as a TCP one is, without a system call.
 *
 * Each direction is a ring in a `SharedArrayBuffer` with one writer and one reader.
 * Each side makes the ring it reads and sends it to the other side as the first message
 * on the `MessagePort` that links them; writes made before the peer's ring arrived wait
 * for it. After that the port carries only wake-ups and tells when the other thread is
 * gone (Node closes a dead thread's ports: the stream then ends, as a socket on a reset).
 *
 * - A write copies its bytes into the ring (one copy) and completes once they are all
 *   in; what does not fit waits for the reader to free space (flow control is the
 *   ring's free space, a TCP window in effect). A chunk larger than the ring goes in
 *   pieces: this is a byte stream, the frame decoder on the other side joins them.
 * - The reader copies what is there out in chunks (one copy: the ring is reused), at
 *   most READ_PER_TURN bytes per event-loop turn, and stops when its consumer pauses
 *   (a node over its budget), as a socket that stops reading.
 * - Wake-ups: a reader that finds the ring empty says so in the ring's header and
 *   waits for a wake-up message; a writer posts one only when it finds that flag set
 *   (and clears it). A writer waiting for space does the same the other way, woken
 *   once half the ring is free. A busy pair exchanges no message at all. Both flags
 *   are set, then the indices re-read (sequentially consistent `Atomics`), so no
 *   wake-up is lost. (`Atomics.waitAsync` measured no cheaper than a port message
 *   here, about 10 µs of CPU a wake-up either way, and holds no event loop open.)
 * - End: `end()` sets the ring's `ended` flag after the last byte; the reader ends
 *   once it has read everything before it. When the other side's port closes (its
 *   thread died, or it destroyed the stream), what it wrote is still read, then the
 *   stream ends; writes from then on are dropped.
 *
 * Exported by `@grove/distribution/internal` only (for tests and tools).
 */
import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

/** Bytes of each direction's ring (a power of two). */
export const DEFAULT_RING_BYTES = 1 << 20;
/** Largest chunk the reader hands on at once (a socket's read size). */
const READ_CHUNK = 64 * 1024;
/** The reader takes at most this much per event-loop turn, then lets the loop turn (timers, the scheduler's next turn). */
const READ_PER_TURN = 256 * 1024;
const RESOLVED = Promise.resolve();

/** Header words: write and read positions (counting bytes, modulo 2^32), the two waiting flags, the writer's end. */
const W = 0;
const R = 1;
const READER_IDLE = 2;
const WRITER_WAITING = 3;
const ENDED = 4;
const HEADER_BYTES = 64;

/** Port messages after the ring: wake the reader (data came), wake the writer (space came). */
const WAKE_READER = 0;
const WAKE_WRITER = 1;

/** One direction's ring. */
class Ring {
  readonly head: Int32Array;
  readonly data: Uint8Array;
  readonly mask: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.head = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.mask = this.data.length - 1;
  }

  static create(bytes: number): Ring {
    if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1 << 30 || (bytes & (bytes - 1)) !== 0) {
      throw new RangeError(`a thread link's ring must be a power of two between 16 bytes and 1 GiB, got ${bytes}`);
    }
    return new Ring(new SharedArrayBuffer(HEADER_BYTES + bytes));
  }

  /** The peer's ring, as its first message; null when it is not one. */
  static from(m: unknown): Ring | null {
    // Not instanceof: the port may deliver it in another realm (a vm context, as jest's).
    if (Object.prototype.toString.call(m) !== '[object SharedArrayBuffer]') return null;
    const sab = m as SharedArrayBuffer;
    const bytes = sab.byteLength - HEADER_BYTES;
    if (bytes < 16 || (bytes & (bytes - 1)) !== 0) return null;
    return new Ring(sab);
  }

  used(): number {
    return (Atomics.load(this.head, W) - Atomics.load(this.head, R)) >>> 0;
  }
}

export interface RingStreamOptions {
  /** Bytes of the ring this side reads (a power of two); {@link DEFAULT_RING_BYTES} by default. */
  ringBytes?: number;
}

export class RingStream extends Duplex {
  /** As a socket's: bytes received and sent so far. */
  bytesRead = 0;
  bytesWritten = 0;
  /** The ring this side reads (made here), and the one it writes (the peer's; null until it came). */
  private readonly inbound: Ring;
  private outbound: Ring | null = null;
  /** The reader: its consumer wants data; it waits for a wake-up; a continuation is queued for the next turn. */
  private wanted = false;
  private idle = false;
  private continued = false;
  /** Bytes read in this event-loop turn. */
  private turnTaken = 0;
  private ended = false;
  /** The write in progress: its chunks, where it is, and its callback. */
  private pending: Buffer[] = [];
  private at = 0;
  private offset = 0;
  private done: ((err?: Error | null) => void) | null = null;
  private writerWaiting = false;
  /** The other side's port closed: nothing more comes, and what is written is dropped. */
  private peerGone = false;
  /** An end waiting for the peer's ring. */
  private finalDone: ((err?: Error | null) => void) | null = null;

  constructor(
    private readonly port: MessagePort,
    options: RingStreamOptions = {},
  ) {
    super({ allowHalfOpen: false });
    this.inbound = Ring.create(options.ringBytes ?? DEFAULT_RING_BYTES);
    port.on('message', this.onMessage);
    port.once('close', this.onClose);
    port.start();
    port.postMessage(this.inbound.sab);
  }

  /** Where the peer is, for logs (a socket's `remoteAddress`). */
  get remoteAddress(): string {
    return 'thread';
  }

  get remotePort(): number {
    return 0;
  }

  /** As a socket's: there is no Nagle delay between threads. */
  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  setTimeout(): this {
    return this;
  }

  // ---- reading ----

  override _read(): void {
    this.wanted = true;
    if (!this.idle && !this.continued) this.pull();
  }

  /**
   * Hands on one chunk of what the ring holds, then goes on after the microtasks (the
   * node's scheduler runs the processes it fed, as after a socket's read) or, once the
   * turn's share is read, in the next turn; until the consumer pauses or the ring is empty.
   */
  private pull(): void {
    if (!this.wanted || this.destroyed) return;
    const ring = this.inbound;
    const head = ring.head;
    const used = ring.used();
    if (used === 0) {
      this.waitForData();
      return;
    }
    if (this.turnTaken >= READ_PER_TURN) {
      this.turnTaken = 0;
      this.continued = true;
      setImmediate(this.continuePull);
      return;
    }
    const chunk = this.copyOut(ring, Math.min(used, READ_CHUNK));
    this.turnTaken += chunk.length;
    // A writer that waits for space hears of it once half the ring is free (one wake-up
    // per half ring, not per chunk); it sets the flag again when it waits again.
    if (Atomics.load(head, WRITER_WAITING) === 1 && ring.used() <= ring.data.length >>> 1 && Atomics.compareExchange(head, WRITER_WAITING, 1, 0) === 1) {
      this.port.postMessage(WAKE_WRITER);
    }
    if (!this.push(chunk)) this.wanted = false;
    else if (!this.continued) {
      this.continued = true;
      RESOLVED.then(this.continuePull);
    }
  }

  /** Copies the next `n` bytes out of `ring` and frees their space. */
  private copyOut(ring: Ring, n: number): Buffer {
    const head = ring.head;
    const chunk = Buffer.allocUnsafe(n);
    const r = Atomics.load(head, R) >>> 0;
    const at = r & ring.mask;
    const first = Math.min(n, ring.data.length - at);
    chunk.set(ring.data.subarray(at, at + first), 0);
    if (first < n) chunk.set(ring.data.subarray(0, n - first), first);
    Atomics.store(head, R, (r + n) | 0);
    this.bytesRead += n;
    return chunk;
  }

  private readonly continuePull = (): void => {
    this.continued = false;
    this.pull();
  };

  /** The ring is empty: end if the writer has, else say so and wait for a wake-up (unless data came meanwhile). */
  private waitForData(): void {
    const head = this.inbound.head;
    if (Atomics.load(head, ENDED) === 1) {
      if (this.inbound.used() === 0) this.endRead();
      else this.pull();
      return;
    }
    this.idle = true;
    Atomics.store(head, READER_IDLE, 1);
    if (this.inbound.used() === 0 && Atomics.load(head, ENDED) === 0) return;
    // Data (or the end) came between the check and the flag: take it back, unless the writer already did (then its wake-up is on the way).
    if (Atomics.compareExchange(head, READER_IDLE, 1, 0) === 1) {
      this.idle = false;
      this.pull();
    }
  }

  private endRead(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }

  // ---- writing ----

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.pending.push(chunk);
    this.done = done;
    this.writeSome();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    for (const c of chunks) this.pending.push(c.chunk);
    this.done = done;
    this.writeSome();
  }

  /** Copies what fits of the write in progress; completes it once all is in, else waits for space. */
  private writeSome(): void {
    if (this.peerGone) {
      this.completeWrite();
      return;
    }
    const ring = this.outbound;
    if (ring === null || this.destroyed) return;
    const head = ring.head;
    const size = ring.data.length;
    let wrote = false;
    while (this.at < this.pending.length) {
      const chunk = this.pending[this.at]!;
      const free = size - ring.used();
      if (free === 0) break;
      const n = Math.min(free, chunk.length - this.offset);
      const w = Atomics.load(head, W) >>> 0;
      const at = w & ring.mask;
      const first = Math.min(n, size - at);
      ring.data.set(chunk.subarray(this.offset, this.offset + first), at);
      if (first < n) ring.data.set(chunk.subarray(this.offset + first, this.offset + n), 0);
      Atomics.store(head, W, (w + n) | 0);
      this.bytesWritten += n;
      wrote = true;
      this.offset += n;
      if (this.offset === chunk.length) {
        this.at++;
        this.offset = 0;
      }
    }
    if (wrote) this.wakeReader(head);
    if (this.at < this.pending.length) {
      this.waitForSpace(head);
      return;
    }
    this.completeWrite();
  }

  private completeWrite(): void {
    const done = this.done!;
    this.pending = [];
    this.at = 0;
    this.offset = 0;
    this.done = null;
    done();
  }

  private wakeReader(head: Int32Array): void {
    if (Atomics.load(head, READER_IDLE) === 1 && Atomics.compareExchange(head, READER_IDLE, 1, 0) === 1) {
      this.port.postMessage(WAKE_READER);
    }
  }

  /** The ring is full: say so and wait for a wake-up (unless the reader freed space meanwhile). */
  private waitForSpace(head: Int32Array): void {
    this.writerWaiting = true;
    Atomics.store(head, WRITER_WAITING, 1);
    if (this.outbound!.used() === this.outbound!.data.length) return;
    if (Atomics.compareExchange(head, WRITER_WAITING, 1, 0) === 1) {
      this.writerWaiting = false;
      setImmediate(this.resumeWrite);
    }
  }

  private readonly resumeWrite = (): void => {
    this.writerWaiting = false;
    if (this.done !== null) this.writeSome();
  };

  override _final(done: (err?: Error | null) => void): void {
    const ring = this.outbound;
    if (this.peerGone) {
      done();
      return;
    }
    if (ring === null) {
      // Nothing was written yet: end once the peer's ring comes.
      this.finalDone = done;
      return;
    }
    Atomics.store(ring.head, ENDED, 1);
    this.wakeReader(ring.head);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.pending = [];
    this.done = null;
    this.port.off('message', this.onMessage);
    this.port.close();
    done(err);
  }

  // ---- the port ----

  private readonly onMessage = (m: unknown): void => {
    if (m === WAKE_READER) {
      this.idle = false;
      this.turnTaken = 0;
      if (this.wanted && !this.continued) this.pull();
    } else if (m === WAKE_WRITER) {
      if (this.writerWaiting) this.resumeWrite();
    } else if (this.outbound === null && (this.outbound = Ring.from(m)) !== null) {
      if (this.done !== null) this.writeSome();
      else if (this.finalDone !== null) {
        const done = this.finalDone;
        this.finalDone = null;
        this._final(done);
      }
    } else {
      this.destroy(new Error('a thread link received something other than its ring and wake-ups'));
    }
  };

  /**
   * The other side closed its port or its thread ended. What it wrote before is handed
   * on, as a socket delivers what came before the peer's FIN, then the stream closes:
   * at once when its consumer took it all, else once it has (a consumer that paused);
   * meanwhile what this side writes has no reader and is dropped.
   */
  private readonly onClose = (): void => {
    if (this.destroyed) return;
    this.peerGone = true;
    const ring = this.inbound;
    while (ring.used() > 0) this.push(this.copyOut(ring, ring.used()));
    this.endRead();
    if (this.readableLength === 0) {
      this.destroy();
      return;
    }
    if (this.done !== null) this.writeSome();
    if (this.finalDone !== null) {
      const done = this.finalDone;
      this.finalDone = null;
      done();
    }
  };
}
