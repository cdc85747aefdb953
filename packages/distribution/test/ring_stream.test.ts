import { randomBytes } from 'node:crypto';
import { MessageChannel, Worker } from 'node:worker_threads';
import { RingStream } from '@grove/distribution/internal';
import { waitFor } from './support/wait';

/** The byte stream between threads (transport/ring_stream.ts), both ends in this thread or one in a worker. */
describe('thread link byte stream (shared-memory ring)', () => {
  const streams: RingStream[] = [];
  const workers: Worker[] = [];

  afterEach(async () => {
    for (const s of streams) s.destroy();
    streams.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
    workers.length = 0;
  });

  function pair(ringBytes: number): [RingStream, RingStream] {
    const { port1, port2 } = new MessageChannel();
    const a = new RingStream(port1, { ringBytes });
    const b = new RingStream(port2, { ringBytes });
    streams.push(a, b);
    return [a, b];
  }

  function collect(s: RingStream, bytes: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let got = 0;
    return new Promise((resolve, reject) => {
      s.on('error', reject);
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= bytes) resolve(Buffer.concat(chunks));
      });
    });
  }

  /** Writes `data` in chunks of 1 to 200 bytes. */
  function writeInPieces(s: RingStream, data: Buffer): void {
    let off = 0;
    let i = 0;
    while (off < data.length) {
      const n = 1 + ((i++ * 37) % 200);
      s.write(data.subarray(off, off + n));
      off += n;
    }
  }

  it('carries bytes in order both ways through many wrap-arounds of a small ring', async () => {
    const [a, b] = pair(64);
    const ab = randomBytes(50_000);
    const ba = randomBytes(30_000);
    const atB = collect(b, ab.length);
    const atA = collect(a, ba.length);
    writeInPieces(a, ab);
    writeInPieces(b, ba);
    expect((await atB).equals(ab)).toBe(true);
    expect((await atA).equals(ba)).toBe(true);
    expect([a.bytesWritten, b.bytesRead, b.bytesWritten, a.bytesRead]).toEqual([ab.length, ab.length, ba.length, ba.length]);
  });

  it('carries a write larger than the ring whole, in pieces', async () => {
    const [a, b] = pair(4096);
    const big = randomBytes(1 << 20);
    const atB = collect(b, big.length);
    const written = new Promise<void>((resolve, reject) => a.write(big, (err) => (err ? reject(err) : resolve())));
    expect((await atB).equals(big)).toBe(true);
    await written;
  });

  it('holds a write while the ring is full and completes it once the reader takes the bytes', async () => {
    const [a, b] = pair(1024);
    b.pause(); // the reader takes nothing
    let done = false;
    const data = randomBytes(10_000);
    a.write(data, () => (done = true));
    // The ring fills (plus at most what the paused reader already took into its buffer), then the writer waits.
    await waitFor(() => a.bytesWritten >= 1024 && a.bytesWritten === b.bytesRead + 1024, 'the ring to fill');
    expect(done).toBe(false);
    const atB = collect(b, data.length);
    b.resume();
    expect((await atB).equals(data)).toBe(true);
    await waitFor(() => done, 'the held write to complete');
  });

  it('ends the reader after the last byte when the writer ends, and both sides close', async () => {
    const [a, b] = pair(256);
    const data = randomBytes(5000);
    const chunks: Buffer[] = [];
    b.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => b.once('end', resolve));
    a.end(data);
    await ended;
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    await Promise.all([a, b].map((s) => (s.closed ? undefined : new Promise((r) => s.once('close', r)))));
  });

  it('echoes 2 MB through a 4 KiB ring each way with a worker thread: nothing lost, reordered or stuck', async () => {
    const { port1, port2 } = new MessageChannel();
    // The worker writes back what it reads, pausing now and then (a busy reader).
    const w = new Worker(
      `const { workerData } = require('node:worker_threads');
       const { RingStream } = require('@grove/distribution/internal');
       const s = new RingStream(workerData, { ringBytes: 4096 });
       let n = 0;
       s.on('data', (c) => {
         if (!s.write(c) || ++n % 7 === 0) { s.pause(); setImmediate(() => s.resume()); }
       });`,
      { eval: true, workerData: port2, transferList: [port2] },
    );
    workers.push(w);
    const a = new RingStream(port1, { ringBytes: 4096 });
    streams.push(a);
    const data = randomBytes(2 * 1024 * 1024);
    const back = collect(a, data.length);
    writeInPieces(a, data.subarray(0, 100_000));
    a.write(data.subarray(100_000));
    expect((await back).equals(data)).toBe(true);
  });

  it('closes the writer, never hangs it, when the reader thread dies in the middle of a frame', async () => {
    const { port1, port2 } = new MessageChannel();
    // The reader takes one chunk of a large write, then its thread exits.
    const w = new Worker(
      `const { workerData } = require('node:worker_threads');
       const { RingStream } = require('@grove/distribution/internal');
       const s = new RingStream(workerData, { ringBytes: 1024 });
       s.once('data', () => process.exit(3));`,
      { eval: true, workerData: port2, transferList: [port2] },
    );
    workers.push(w);
    const a = new RingStream(port1, { ringBytes: 1024 });
    streams.push(a);
    let done = false;
    a.on('error', () => undefined);
    a.write(randomBytes(100_000), () => (done = true));
    const [code] = await Promise.all([new Promise((r) => w.once('exit', r)), new Promise((r) => a.once('close', r))]);
    expect(code).toBe(3);
    expect(a.destroyed).toBe(true);
    expect(done).toBe(false);
    expect(a.bytesWritten).toBeLessThan(100_000);
  });

  it('hands on everything a thread wrote before it exited, then ends', async () => {
    const { port1, port2 } = new MessageChannel();
    // 600 KB, more than the reader takes in one turn, written just before the thread exits.
    const w = new Worker(
      `const { workerData } = require('node:worker_threads');
       const { RingStream } = require('@grove/distribution/internal');
       const s = new RingStream(workerData);
       s.write(Buffer.alloc(600000, 7), () => process.exit(0));`,
      { eval: true, workerData: port2, transferList: [port2] },
    );
    workers.push(w);
    const a = new RingStream(port1);
    streams.push(a);
    let got = 0;
    let sevens = true;
    a.on('data', (c: Buffer) => {
      got += c.length;
      sevens &&= c.every((b) => b === 7);
    });
    await new Promise((r) => a.once('close', r));
    expect(got).toBe(600_000);
    expect(sevens).toBe(true);
  });

  it('refuses a peer that sends something other than its ring and wake-ups', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new RingStream(port1);
    streams.push(a);
    const failed = new Promise<Error>((r) => a.once('error', r));
    port2.postMessage('garbage');
    expect((await failed).message).toMatch(/something other than its ring/);
    port2.close();
  });
});
