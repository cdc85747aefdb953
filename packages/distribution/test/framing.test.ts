import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { FrameDecoder, FrameTooLargeError, FrameWriter, encodeFrame, readFrames, type FrameSink } from '@grove/distribution/internal';

function concat(frames: Buffer[]): Buffer {
  return Buffer.concat(frames.map((f) => encodeFrame(f)));
}

function collect(max?: number): { decoder: FrameDecoder; frames: Buffer[] } {
  const frames: Buffer[] = [];
  const decoder = new FrameDecoder((f) => frames.push(Buffer.from(f)), max === undefined ? {} : { maxFrameBytes: max });
  return { decoder, frames };
}

/** A sink that records each write. */
class RecordingSink extends EventEmitter {
  writes: Buffer[] = [];
  writableLength = 0;
  destroyed = false;
  writableEnded = false;
  corked = 0;
  write(chunk: Buffer): boolean {
    this.writes.push(Buffer.from(chunk));
    return true;
  }
  cork(): void {
    this.corked++;
  }
  uncork(): void {}
}

describe('frame decoder', () => {
  it('delivers many frames from one chunk, in order, as views of the chunk', () => {
    const seen: Buffer[] = [];
    const decoder = new FrameDecoder((f) => seen.push(f));
    const chunk = concat([Buffer.from('one'), Buffer.from('two'), Buffer.from('three')]);
    decoder.push(chunk);
    expect(seen.map(String)).toEqual(['one', 'two', 'three']);
    expect(seen.every((f) => f.buffer === chunk.buffer)).toBe(true);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reassembles frames split across chunks at any byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (payloads, cuts) => {
          const frames = payloads.map((p) => Buffer.from(p));
          const stream = concat(frames);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const { decoder, frames: got } = collect();
          let prev = 0;
          for (const p of [...points, stream.length]) {
            decoder.push(stream.subarray(prev, p));
            prev = p;
          }
          expect(got).toEqual(frames);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('reassembles a frame delivered one byte at a time', () => {
    const { decoder, frames } = collect();
    const stream = concat([Buffer.from('hello'), Buffer.from('world!')]);
    for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1));
    expect(frames.map(String)).toEqual(['hello', 'world!']);
  });

  it('delivers empty frames (heartbeat ticks)', () => {
    const { decoder, frames } = collect();
    decoder.push(concat([Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(0)]));
    expect(frames.map((f) => f.length)).toEqual([0, 1, 0]);
  });

  it('refuses an oversized length prefix before its body arrives, and stays failed', () => {
    const { decoder, frames } = collect(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff, 0);
    const alloc = jest.spyOn(Buffer, 'allocUnsafe');
    expect(() => decoder.push(header)).toThrow(FrameTooLargeError);
    expect(() => decoder.push(header)).toThrow(/4294967295 bytes is over the maximum frame size of 1024 bytes/);
    expect(alloc).not.toHaveBeenCalled();
    alloc.mockRestore();
    expect(decoder.failed).toBeInstanceOf(FrameTooLargeError);
    expect(frames).toEqual([]);
  });

  it('refuses an oversized length prefix split across chunks', () => {
    const { decoder } = collect(10);
    const stream = concat([Buffer.alloc(11)]);
    decoder.push(stream.subarray(0, 2));
    expect(() => decoder.push(stream.subarray(2))).toThrow(FrameTooLargeError);
  });

  it('accepts a frame of exactly the maximum size', () => {
    const { decoder, frames } = collect(10);
    decoder.push(concat([Buffer.alloc(10, 7)]));
    expect(frames).toEqual([Buffer.alloc(10, 7)]);
  });

  it('rejects a maximum frame size that is not a u32', () => {
    expect(() => new FrameDecoder(() => {}, { maxFrameBytes: -1 })).toThrow(RangeError);
  });

  it('keeps the rest of a chunk when paused from inside onFrame and delivers it on resume', () => {
    const seen: string[] = [];
    const decoder: FrameDecoder = new FrameDecoder((f) => {
      seen.push(String(f));
      if (String(f) === 'stop') decoder.pause();
    });
    const stream = concat([Buffer.from('a'), Buffer.from('stop'), Buffer.from('b'), Buffer.from('c')]);
    decoder.push(stream.subarray(0, stream.length - 2));
    decoder.push(stream.subarray(stream.length - 2));
    expect(seen).toEqual(['a', 'stop']);
    expect(decoder.bufferedBytes).toBe(10);
    const after: string[] = [];
    decoder.onFrame = (f) => after.push(String(f));
    decoder.resume();
    expect(after).toEqual(['b', 'c']);
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe('frame writer', () => {
  it('writes all frames queued in one tick with one socket write', async () => {
    const sink = new RecordingSink();
    const writer = new FrameWriter(sink as unknown as FrameSink, { flush: 'tick' });
    for (let i = 0; i < 100; i++) writer.write(Buffer.from(`m${i}`));
    expect(sink.writes).toHaveLength(0);
    await new Promise((r) => process.nextTick(r));
    expect(sink.writes).toHaveLength(1);
    const { decoder, frames } = collect();
    decoder.push(sink.writes[0]!);
    expect(frames.map(String)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });

  it('batches per event-loop turn by default', async () => {
    const sink = new RecordingSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    writer.write(Buffer.from('a'));
    await new Promise((r) => process.nextTick(r));
    writer.write(Buffer.from('b'));
    await new Promise((r) => setImmediate(r));
    expect(sink.writes).toHaveLength(1);
  });

  it('writes large payloads without copying them into the batch', () => {
    const sink = new RecordingSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    const big = Buffer.alloc(300 * 1024, 1);
    writer.write(Buffer.from('small'));
    writer.write(big);
    writer.write(Buffer.from('tail'));
    writer.flush();
    expect(sink.corked).toBe(1);
    const { decoder, frames } = collect();
    for (const w of sink.writes) decoder.push(w);
    expect(frames.map((f) => f.length)).toEqual([5, big.length, 4]);
    expect(frames[1]!.equals(big)).toBe(true);
  });

  it('refuses a payload over the maximum frame size at the sender', () => {
    const writer = new FrameWriter(new RecordingSink() as unknown as FrameSink, { maxFrameBytes: 8 });
    expect(() => writer.write(Buffer.alloc(9))).toThrow(FrameTooLargeError);
    expect(writer.queuedFrames).toBe(0);
  });

  it('drops frames written after the socket is destroyed', () => {
    const sink = new RecordingSink();
    sink.destroyed = true;
    const writer = new FrameWriter(sink as unknown as FrameSink);
    expect(writer.write(Buffer.from('x'))).toBe(false);
    expect(writer.queuedFrames).toBe(0);
  });
});

describe('framing over a real socket', () => {
  let server: net.Server;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    await new Promise((r) => server.close(r));
  });

  async function pair(): Promise<[net.Socket, net.Socket]> {
    server = net.createServer();
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const srv = await accepted;
    sockets.push(client, srv);
    return [client, srv];
  }

  it('never blocks a sender on a slow peer, reports busy, then drains in order', async () => {
    const [client, srv] = await pair();
    srv.pause();
    const events: string[] = [];
    const writer = new FrameWriter(client, {
      highWaterMark: 1024 * 1024,
      onBusy: () => events.push('busy'),
      onDrain: () => events.push('drain'),
    });
    const payload = Buffer.alloc(16 * 1024, 3);
    let refused = 0;
    for (let i = 0; i < 400; i++) if (!writer.write(payload)) refused++;
    expect(writer.busy).toBe(true);
    expect(refused).toBeGreaterThan(0);
    expect(events).toEqual(['busy']);
    let count = 0;
    const done = new Promise<void>((resolve) => {
      readFrames(srv, new FrameDecoder((f) => {
        expect(f.length).toBe(payload.length);
        if (++count === 400) resolve();
      }));
    });
    srv.resume();
    await done;
    await new Promise<void>((resolve) => (writer.busy ? client.once('drain', () => setImmediate(resolve)) : resolve()));
    expect(events).toEqual(['busy', 'drain']);
    expect(writer.busy).toBe(false);
  });

  it('attaches a decoder to a socket only once', async () => {
    const [client, srv] = await pair();
    const seen: string[] = [];
    const decoder = new FrameDecoder((f) => seen.push(String(f)));
    const detach = readFrames(srv, decoder);
    expect(readFrames(srv, decoder)).toBe(detach);
    client.write(encodeFrame(Buffer.from('once')));
    await new Promise<void>((resolve) => srv.once('data', () => setImmediate(resolve)));
    expect(seen).toEqual(['once']);
  });

  it('destroys the socket when an oversized frame held while paused is found on resume', async () => {
    const [client, srv] = await pair();
    const decoder = new FrameDecoder(() => {}, { maxFrameBytes: 10 });
    decoder.pause();
    readFrames(srv, decoder);
    client.on('error', () => {});
    client.write(encodeFrame(Buffer.alloc(11)));
    await new Promise<void>((resolve) => srv.once('data', () => setImmediate(resolve)));
    const failed = new Promise<Error>((resolve) => srv.once('error', resolve));
    decoder.resume();
    expect(await failed).toBeInstanceOf(FrameTooLargeError);
  });

  it('closes the connection with a clear error on an oversized frame', async () => {
    const [client, srv] = await pair();
    readFrames(srv, new FrameDecoder(() => {}, { maxFrameBytes: 100 }));
    const failed = new Promise<Error>((resolve) => srv.once('error', resolve));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => {});
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1 << 30, 0);
    client.write(header);
    const err = await failed;
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err.message).toMatch(/1073741824 bytes is over the maximum frame size of 100 bytes/);
    client.end();
    await closed;
  });
});
