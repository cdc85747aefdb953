/**
 * Hostile or broken external-term bytes: every problem is a DecodeError that says
 * what and where, nothing is allocated from a length the bytes cannot back, and
 * nesting and inflation are bounded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { binaryToTerm, DecodeError, termToBinary } from '@grove/distribution';

const vectors = (JSON.parse(readFileSync(join(__dirname, 'support', 'etf-vectors.json'), 'utf8')) as { hex: string }[]).map((v) => Buffer.from(v.hex, 'hex'));
const b = (...parts: (number | number[] | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(Array.isArray(p) ? p : [p]))));
const u32 = (n: number): Buffer => {
  const x = Buffer.alloc(4);
  x.writeUInt32BE(n);
  return x;
};

function decodeError(bytes: Buffer, options = {}): DecodeError {
  try {
    binaryToTerm(bytes, options);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw new Error(`expected a DecodeError for ${bytes.toString('hex').slice(0, 80)}, got ${String(e)}`);
  }
  throw new Error(`expected ${bytes.toString('hex').slice(0, 80)} to be refused`);
}

describe('malformed external terms', () => {
  it('refuses every truncation of every OTP vector with a DecodeError', () => {
    for (const v of vectors) for (let n = 0; n < v.length; n++) expect(decodeError(v.subarray(0, n))).toBeInstanceOf(DecodeError);
  });

  it.each([
    ['a wrong version byte', b(130, 97, 1), /version byte 130/],
    ['an unknown tag', b(131, 1), /unknown external term tag 1/],
    ['trailing bytes', b(131, 97, 1, 0), /1 trailing bytes/],
    ['an atom cache reference', b(131, 82, 0), /atom cache/],
    ['invalid UTF-8 in an atom', b(131, 119, 1, 0xff), /invalid UTF-8/],
    ['an atom longer than 255 characters', b(131, 118, [1, 0], Buffer.alloc(256, 'a')), /longer than 255/],
    ['a list longer than the bytes left', b(131, 108, u32(0xffffffff)), /list of 4294967295 elements exceeds/],
    ['a tuple longer than the bytes left', b(131, 105, u32(0xfffffff0)), /tuple of \d+ elements exceeds/],
    ['a map longer than the bytes left', b(131, 116, u32(3), 97, 1, 97, 2), /map of 3 elements exceeds/],
    ['a binary longer than the bytes left', b(131, 109, u32(0x7fffffff), 1), /truncated binary/],
    ['a bignum longer than the bytes left', b(131, 111, u32(0xffffffff), 0), /truncated bignum/],
    ['a bad bignum sign', b(131, 110, 1, 2, 1), /sign byte 2/],
    ['a bad bitstring', b(131, 77, u32(1), 0, 0xff), /bad bitstring/],
    ['a ref of six words', b(131, 90, [0, 6], 119, 1, 97, u32(1), Buffer.alloc(24)), /6 words/],
    ['a pid whose node is not an atom', b(131, 88, 97, 1, Buffer.alloc(12)), /must be an atom/],
    ['a fun shorter than its size field', b(131, 112, u32(2)), /fun of size 2/],
    ['a bad FLOAT_EXT', b(131, 99, Buffer.alloc(31, 'x')), /bad FLOAT_EXT/],
    ['a map key twice', b(131, 116, u32(2), 119, 1, 97, 97, 1, 119, 1, 97, 97, 2), /appears twice/],
    ['a compressed term inside a term', b(131, 104, 1, 80, u32(1)), /compressed term inside/],
    ['bad zlib data', b(131, 80, u32(10), 1, 2, 3), /bad compressed term/],
  ])('refuses %s', (_name, bytes, message) => {
    expect(decodeError(bytes).message).toMatch(message);
  });

  it('bounds nesting (default 1000 levels, or maxDepth)', () => {
    const deep = (levels: number): Buffer => b(131, ...new Array<number[]>(levels).fill([104, 1]), 106);
    expect(() => binaryToTerm(deep(1000))).not.toThrow();
    expect(decodeError(deep(1001)).message).toMatch(/nesting deeper than 1000 levels/);
    expect(decodeError(deep(11), { maxDepth: 10 }).message).toMatch(/deeper than 10/);
    expect(decodeError(b(131, ...new Array<number[]>(100_000).fill([108, 0, 0, 0, 1]), 106)).message).toMatch(/nesting/);
  });

  it('bounds what a compressed term inflates to', () => {
    const inner = termToBinary('x'.repeat(10_000)).subarray(1);
    const packed = (declared: number): Buffer => b(131, 80, u32(declared), deflateSync(inner));
    expect(binaryToTerm(packed(inner.length))).toBe('x'.repeat(10_000));
    expect(decodeError(packed(inner.length), { maxBytes: 1000 }).message).toMatch(/over the limit of 1000/);
    expect(decodeError(packed(inner.length - 1)).message).toMatch(/bad compressed term|inflates to/);
    expect(decodeError(packed(inner.length + 1)).message).toMatch(/inflates to 10005 bytes, not the 10006/);
  });

  it('gives only DecodeErrors for random bytes and for mutated vectors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          binaryToTerm(b(131, Buffer.from(bytes)));
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...vectors), fc.nat(), fc.integer({ min: 0, max: 255 }), (v, at, byte) => {
        const m = Buffer.from(v);
        m[at % m.length] = byte;
        try {
          binaryToTerm(m);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
