/**
 * A large message is decoded a slice at a time (`SlicedDecode`): whatever the slice
 * sizes, the result is the ordinary decoder's, and malformed input fails the same way.
 */
import fc from 'fast-check';
import { GenCall, GenCast, Pid } from '@grove/core';
import { ControlDecoder, ControlEncoder, InAtomCache, OutAtomCache, SlicedDecode, type ControlMessage } from '@grove/distribution/internal';
import { termArb, termDiff } from './term_support';

const here = { localNode: 'b@h', localCreation: 2 };
const from = new Pid('a@h', 1, 0, 1);
const to = new Pid('b@h', 2, 0, 2);

/** A batch of `msgs` encoded to stand alone (no atom cache), as a fragmented message is. */
function standalone(...msgs: ControlMessage[]): Buffer {
  const enc = new ControlEncoder({ atoms: new OutAtomCache(0) });
  for (const m of msgs) enc.encode(m);
  return enc.take();
}

function decoder(): ControlDecoder {
  return new ControlDecoder({ ...here, atoms: new InAtomCache(0) });
}

function sliced(batch: Buffer, units: number, bytes: number): ControlMessage[] {
  const job = new SlicedDecode(decoder(), batch);
  let slices = 0;
  while (!job.step(units, bytes)) if (++slices > 1e6) throw new Error('no progress');
  const out: ControlMessage[] = [];
  job.finish((m) => out.push(m));
  return out;
}

describe('decoding a slice at a time', () => {
  it('gives what the ordinary decoder gives, for any terms and any slice sizes', () => {
    fc.assert(
      fc.property(termArb, termArb, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 64 }), (a, b, units, bytes) => {
        const batch = standalone(
          { type: 'send', from, to, msg: a },
          { type: 'exit', from, to, reason: b },
          { type: 'reply', to, tag: 9, value: [a, b] },
        );
        expect(termDiff(sliced(batch, units, bytes), decoder().decodeAll(batch))).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('walks calls and casts, sparse arrays and deep nesting', () => {
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 500; i++) cur.push((cur = []));
    const msg = [new GenCall({ pid: from, tag: 7 }, ['put', 'k', [1, , 3]]), new GenCast({ x: new Map([[1, new Set([2])]]) }), deep]; // eslint-disable-line no-sparse-arrays
    const batch = standalone({ type: 'send', from, to, msg });
    const [m] = sliced(batch, 1, 1) as unknown as [{ msg: unknown }];
    expect(termDiff(m.msg, msg)).toBeNull();
  });

  it('fails as the ordinary decoder does on a truncated payload', () => {
    const batch = standalone({ type: 'send', from, to, msg: { a: [1, 2], b: 'text' } });
    // The array [1, 2] (tag 0x0a, count 2, fixints 0x41 0x42) now claims 3 items: it runs into the next key.
    const at = batch.indexOf(Buffer.from([0x0a, 0x02, 0x41, 0x42]));
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(batch);
    bad[at + 1] = 0x03;
    expect(() => decoder().decodeAll(bad)).toThrow(/cannot decode wire data/);
    expect(() => sliced(bad, 2, 4)).toThrow(/cannot decode wire data/);
  });
});
