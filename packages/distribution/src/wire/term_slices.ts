/**
 * Decoding a large message a slice at a time, so that the event loop turns between
 * slices (a message reassembled from fragments can be as large as `maxMessageBytes`;
 * decoding it in one go could hold the loop for seconds).
 *
 * The containers are walked with an explicit stack instead of recursion, so the walk
 * can stop after any term and go on later; each term that is not a container (and an
 * Error, decoded whole: it is small by the budget) is read by the ordinary
 * {@link TermDecoder}, which also does the checks and charges the budget. The payload
 * terms of the batch are decoded this way first; then the batch is decoded as usual,
 * taking each payload as decoded ahead (`TermDecoder.prepare`).
 *
 * @internal
 */
import { GenCall, GenCast, type Pid } from '@grove/core';
import type { ControlDecoder } from './control_decode';
import type { ControlMessage } from './control_message';
import { mapSet, setAdd, setField, type PreparedTerms, type TermDecoder } from './term_decode';
import { T } from './term_format';
import type { WireReader } from './wire';

/** One container being filled. */
interface Level {
  readonly tag: number;
  /** The array, object, Map or Set; a registered class's name; a call's pid. */
  readonly into: unknown;
  /** Items (entries, fields) still to come. */
  left: number;
  /** An object's or Map's key read, waiting for its value. */
  key: unknown;
  hasKey: boolean;
  /** Where the term began (for errors), a call's tag, a class's or call's one child. */
  readonly at: number;
  readonly tagNumber: number;
  child: unknown;
}

/** The decoding of one batch's payloads, a slice at a time. */
export class SlicedDecode {
  private readonly r: WireReader;
  private readonly terms: TermDecoder;
  private readonly ranges: number[];
  private next = 0;
  private readonly prepared: PreparedTerms = { starts: [], ends: [], values: [] };
  private readonly stack: Level[] = [];
  private inTerm = false;
  /** Where the walk stopped (the reader may serve others between slices). */
  private pos = 0;

  constructor(
    private readonly control: ControlDecoder,
    private readonly buf: Buffer,
  ) {
    this.r = control.reader;
    this.terms = control.terms;
    this.ranges = control.payloads(buf);
    this.terms.setBudget(buf.length);
  }

  /** Bytes of the batch. */
  get size(): number {
    return this.buf.length;
  }

  /**
   * Decodes up to `units` terms, or a little past `bytes` bytes (a term is never cut);
   * true when every payload is decoded.
   *
   * @throws DecodeError as the ordinary decoder would.
   */
  step(units: number, bytes: number): boolean {
    const r = this.r;
    const stop = this.pos + bytes;
    while (units > 0 && this.pos < stop) {
      if (!this.inTerm) {
        if (this.next === this.ranges.length) return true;
        r.reset(this.buf, this.ranges[this.next]!, this.ranges[this.next + 1]!);
        this.inTerm = true;
      } else {
        r.reset(this.buf, this.pos, this.ranges[this.next + 1]!);
      }
      units = this.walk(units);
      this.pos = r.pos;
    }
    return this.next === this.ranges.length && !this.inTerm;
  }

  /** Then the batch, with the payloads decoded ahead: `onMessage` gets each message in order. */
  finish(onMessage: (m: ControlMessage) => void): void {
    this.terms.prepare(this.prepared);
    try {
      this.control.decode(this.buf, onMessage);
    } finally {
      this.terms.prepare(null);
    }
  }

  /** Walks the current term for up to `units` terms; returns the units left. */
  private walk(units: number): number {
    const r = this.r;
    const stack = this.stack;
    const d = this.terms;
    for (; units > 0; units--) {
      const top = stack.length > 0 ? stack[stack.length - 1]! : undefined;
      if (top !== undefined && top.left === 0) {
        stack.pop();
        if (this.put(finish(d, top))) return units - 1;
        continue;
      }
      if (top !== undefined && (top.tag === T.OBJECT || top.tag === T.OBJECT_NULL) && !top.hasKey) {
        top.key = d.key();
        top.hasKey = true;
      }
      if (top !== undefined && top.tag === T.ARRAY && r.pos < r.end && r.buf[r.pos] === T.HOLE) {
        r.pos++;
        const a = top.into as unknown[];
        a.length++; // a hole, as it was
        top.left--;
        continue;
      }
      const at = r.pos;
      const tag = r.u8();
      if (tag < T.FIXINT && isWalked(tag)) {
        if (stack.length >= d.depthLimit) r.fail(`nesting deeper than ${d.depthLimit} levels`, at);
        d.spend(tag);
        stack.push(open(d, tag, at));
        continue;
      }
      d.nesting = stack.length;
      if (this.put(d.term())) return units - 1;
    }
    return 0;
  }

  /** Hands a finished term to its container, or ends the payload; true when the payload ended. */
  private put(v: unknown): boolean {
    const stack = this.stack;
    if (stack.length === 0) {
      const r = this.r;
      if (r.pos !== r.end) r.fail(`${r.end - r.pos} unread bytes at the end of a payload`);
      this.prepared.starts.push(this.ranges[this.next]!);
      this.prepared.ends.push(this.ranges[this.next + 1]!);
      this.prepared.values.push(v);
      this.next += 2;
      this.inTerm = false;
      return true;
    }
    const top = stack[stack.length - 1]!;
    switch (top.tag) {
      case T.ARRAY:
        (top.into as unknown[]).push(v);
        break;
      case T.OBJECT:
      case T.OBJECT_NULL:
        setField(top.into as Record<string, unknown>, top.key as string, v);
        top.hasKey = false;
        break;
      case T.MAP:
        if (!top.hasKey) {
          top.key = v;
          top.hasKey = true;
          return false;
        }
        mapSet(top.into as Map<unknown, unknown>, top.key, v);
        top.hasKey = false;
        break;
      case T.SET:
        setAdd(top.into as Set<unknown>, v);
        break;
      default:
        top.child = v;
    }
    top.left--;
    return false;
  }
}

/** Containers the walk descends into; an Error is decoded whole. */
function isWalked(tag: number): boolean {
  return tag === T.ARRAY || tag === T.OBJECT || tag === T.OBJECT_NULL || tag === T.MAP || tag === T.SET || tag === T.CLASS || tag === T.GEN_CALL || tag === T.GEN_CAST;
}

/** Reads a container's header and makes its level. */
function open(d: TermDecoder, tag: number, at: number): Level {
  let into: unknown;
  let left = 1;
  let tagNumber = 0;
  switch (tag) {
    case T.ARRAY:
      left = d.count('array');
      into = [];
      break;
    case T.OBJECT:
      left = d.count('object');
      into = {};
      break;
    case T.OBJECT_NULL:
      left = d.count('object');
      into = Object.create(null);
      break;
    case T.MAP:
      left = d.count('map');
      into = new Map();
      break;
    case T.SET:
      left = d.count('set');
      into = new Set();
      break;
    case T.CLASS:
      into = d.className(at);
      break;
    case T.GEN_CALL:
      into = d.termPid();
      tagNumber = d.reader.varint();
      break;
    default: // GEN_CAST
      into = undefined;
  }
  return { tag, into, left, key: undefined, hasKey: false, at, tagNumber, child: undefined };
}

/** The term a finished level makes. */
function finish(d: TermDecoder, l: Level): unknown {
  switch (l.tag) {
    case T.CLASS:
      return d.instanceOf(l.into as string, l.child, l.at);
    case T.GEN_CALL:
      return new GenCall({ pid: l.into as Pid, tag: l.tagNumber }, l.child);
    case T.GEN_CAST:
      return new GenCast(l.child);
    default:
      return l.into;
  }
}
