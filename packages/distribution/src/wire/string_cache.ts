/**
 * A decoder-side cache of short ASCII strings, keyed by their bytes. Messages repeat
 * the same keys and small strings ('msg', 'type', 'from', 'ok', 'EXIT') endlessly;
 * with the cache, a repeat costs a hash and a byte compare and returns the very same
 * string object (already internalized by V8 once it has served as a property key)
 * instead of allocating a new string. A direct-mapped table: a collision just
 * replaces the slot, so the cost and memory are fixed.
 *
 * @internal
 */

/** Longest string (bytes) the cache holds. */
export const CACHED_STRING_MAX = 24;
const SLOTS = 1024;

export class ShortStringCache {
  private readonly bytes = new Uint8Array(SLOTS * CACHED_STRING_MAX);
  private readonly lengths = new Uint8Array(SLOTS);
  private readonly strings: string[] = new Array<string>(SLOTS).fill('');

  /**
   * The string of `buf[start, start + n)`, 1 ≤ n ≤ {@link CACHED_STRING_MAX}; or
   * undefined when a byte is not ASCII (the caller reports it).
   */
  get(buf: Uint8Array, start: number, n: number): string | undefined {
    let h = n;
    for (let i = start, end = start + n; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return undefined;
      h = (Math.imul(h, 31) + c) | 0;
    }
    const slot = (h ^ (h >>> 10)) & (SLOTS - 1);
    const base = slot * CACHED_STRING_MAX;
    const bytes = this.bytes;
    if (this.lengths[slot] === n) {
      let i = 0;
      while (i < n && bytes[base + i] === buf[start + i]) i++;
      if (i === n) return this.strings[slot];
    }
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = buf[start + i]!;
      bytes[base + i] = c;
      s += String.fromCharCode(c);
    }
    this.lengths[slot] = n;
    this.strings[slot] = s;
    return s;
  }
}
