/**
 * Per-connection name interning, after Erlang's distribution atom cache.
 *
 * Node names (in every pid and ref) and registered-class names (in every call:
 * `grove.$gen_call`) repeat in almost every message. Each direction of a connection
 * keeps a table: the first time the sender writes a name it goes out in full and both
 * sides append it to their table; afterwards it goes out as its index. The rule is
 * deterministic, so the two tables stay equal without any acknowledgement: a name is
 * appended when, and only when, it is written in full, the table holds fewer than
 * {@link ATOM_CACHE_SIZE} names, and the name is at most {@link MAX_ATOM_BYTES} bytes
 * of UTF-8. Names are appended in the byte order in which they appear on the
 * connection (protobuf `node_name` fields and term atoms share one table).
 *
 * The sender rolls its table back when a message fails to encode, because those bytes
 * never leave; the receiver never rolls back (a decode error closes the connection).
 *
 * Strings get the decoder-side counterpart, {@link ShortStringCache} (below): what
 * Erlang sends as atoms ('ok', 'EXIT', a message's keys) is a short string here, and
 * the decoder returns the same string object for its repeats.
 *
 * Internal to the package, not part of its API.
 */
import { NotCopyableError } from '@grove/core';

/** Most names one direction of a connection remembers. */
export const ATOM_CACHE_SIZE = 4096;
/** Longest name (UTF-8 bytes) that is remembered; longer ones always go out in full. */
export const MAX_ATOM_BYTES = 255;

/** The sender's table: name to index. */
export class OutAtomCache {
  /** Names it may hold: {@link ATOM_CACHE_SIZE}, or 0 for a message encoded to stand alone (every name in full). */
  constructor(private readonly capacity = ATOM_CACHE_SIZE) {}

  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  // The two names looked up last: a message usually names the same one or two nodes
  // (from and to), and comparing the same string object is cheaper than a Map lookup.
  private lastName: string | null = null;
  private lastIndex = -1;
  private prevName: string | null = null;
  private prevIndex = -1;

  /** Index of `name`, or -1 when it must be written in full. */
  lookup(name: string): number {
    // Small enough to inline at the encoders' call sites; the map lookup is apart.
    if (name === this.lastName) return this.lastIndex;
    if (name === this.prevName) return this.prevIndex;
    return this.lookupIndex(name);
  }

  private lookupIndex(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) return -1;
    this.prevName = this.lastName;
    this.prevIndex = this.lastIndex;
    this.lastName = name;
    this.lastIndex = i;
    return i;
  }

  private forgetRecent(): void {
    this.lastName = this.prevName = null;
  }

  /**
   * The UTF-8 length of a name about to be written in full, appending it to the
   * table when the rule says so. Throws for a name that is not well-formed UTF-16,
   * which would not survive UTF-8.
   */
  add(name: string): number {
    if (!(name as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw new NotCopyableError('$', `the name ${JSON.stringify(name)} contains a lone surrogate`);
    }
    const bytes = Buffer.byteLength(name, 'utf8');
    if (this.names.length < this.capacity && bytes <= MAX_ATOM_BYTES) {
      this.index.set(name, this.names.length);
      this.names.push(name);
    }
    return bytes;
  }

  /** A point to roll back to. */
  mark(): number {
    return this.names.length;
  }

  /** Forgets the names added since `mark` (their bytes were never sent). */
  rollback(mark: number): void {
    if (this.names.length > mark) this.forgetRecent();
    while (this.names.length > mark) this.index.delete(this.names.pop()!);
  }

  /** Number of names remembered. */
  get size(): number {
    return this.names.length;
  }

  /** Forgets everything (a new connection). */
  clear(): void {
    this.forgetRecent();
    this.index.clear();
    this.names.length = 0;
  }
}

/** The receiver's table: index to name. */
export class InAtomCache {
  /** Names it may hold (as the sender's {@link OutAtomCache}). */
  constructor(private readonly capacity = ATOM_CACHE_SIZE) {}

  private readonly names: string[] = [];

  /** The name at `index`, or undefined when the peer named an index it never defined. */
  get(index: number): string | undefined {
    return this.names[index];
  }

  /** Applies the append rule to a name the peer wrote in full. */
  add(name: string, bytes: number): void {
    if (this.names.length < this.capacity && bytes <= MAX_ATOM_BYTES) this.names.push(name);
  }

  /** Number of names remembered. */
  get size(): number {
    return this.names.length;
  }

  /** Forgets everything (a new connection). */
  clear(): void {
    this.names.length = 0;
  }
}

// ---- short strings (decoder side) ----

/** Longest string (bytes) the {@link ShortStringCache} holds. */
export const CACHED_STRING_MAX = 24;
const SLOTS = 1024;

/**
 * A decoder-side cache of short ASCII strings, keyed by their bytes. Messages repeat
 * the same keys and small strings ('msg', 'type', 'from', 'ok', 'EXIT') endlessly;
 * with the cache, a repeat costs a hash and a byte compare and returns the very same
 * string object (already internalized by V8 once it has served as a property key)
 * instead of allocating a new string. A direct-mapped table: a collision just
 * replaces the slot, so the cost and memory are fixed.
 */
export class ShortStringCache {
  private readonly bytes = new Uint8Array(SLOTS * CACHED_STRING_MAX);
  private readonly lengths = new Uint8Array(SLOTS);
  private readonly strings: string[] = new Array<string>(SLOTS).fill('');
  // Strings of 1 to 4 bytes ('ok', 'msg', 'type', 'EXIT': most keys and tags) are
  // matched by their bytes as one 32-bit word, in a table of their own.
  private readonly words = new Int32Array(SLOTS);
  private readonly wordLengths = new Uint8Array(SLOTS);
  private readonly wordStrings: string[] = new Array<string>(SLOTS).fill('');

  /**
   * The string of `buf[start, start + n)`, 1 ≤ n ≤ {@link CACHED_STRING_MAX}; or
   * undefined when a byte is not ASCII (the caller reports it).
   */
  get(buf: Uint8Array, start: number, n: number): string | undefined {
    if (n <= 4) return this.short(buf, start, n);
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

  private short(buf: Uint8Array, start: number, n: number): string | undefined {
    let word = buf[start]!;
    if (n > 1) word |= buf[start + 1]! << 8;
    if (n > 2) word |= buf[start + 2]! << 16;
    if (n > 3) word |= buf[start + 3]! << 24;
    if ((word & 0x80808080) !== 0) return undefined;
    const h = Math.imul(word ^ n, 0x9e3779b1);
    const slot = (h >>> 22) & (SLOTS - 1);
    if (this.words[slot] === word && this.wordLengths[slot] === n) return this.wordStrings[slot];
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(buf[start + i]!);
    this.words[slot] = word;
    this.wordLengths[slot] = n;
    this.wordStrings[slot] = s;
    return s;
  }
}
