/**
 * The `messageCopier` hook for @grove/core's `Node`: with `checkMessages` on (the
 * default under jest), every local send is encoded and decoded by the real wire
 * codec, so a message that works between two local processes cannot break when one
 * of them moves to another node, and the receiver sees exactly what a remote
 * receiver would (copies, Buffers, local refs).
 */
import { DecodeError } from '../errors';
import { TermEncoder } from './term';
import type { TermCodecOptions } from './term_format';
import { TermDecoder } from './term_decode';
import { WireReader, WireWriter } from './wire';

/** The identity of the node that will receive the copies. */
export interface CopierNode {
  readonly name: string;
  readonly creation: number;
}

interface Pair {
  readonly w: WireWriter;
  readonly r: WireReader;
  readonly enc: TermEncoder;
  readonly dec: TermDecoder;
}

function pair(node: CopierNode, options: TermCodecOptions): Pair {
  const w = new WireWriter(1024);
  const r = new WireReader();
  return {
    w,
    r,
    enc: new TermEncoder(w, options),
    dec: new TermDecoder(r, { localNode: node.name, localCreation: node.creation, ...options }),
  };
}

/**
 * A function that returns a deep copy of a message as it would arrive from the wire,
 * or throws the sender's `NotCopyableError`. Install it with
 * `inbound.setMessageCopier(messageCopier(node))` (core's seam).
 */
export function messageCopier(node: CopierNode, options: TermCodecOptions = {}): (msg: unknown) => unknown {
  const main = pair(node, options);
  let busy = false;
  return (msg: unknown): unknown => {
    // A registered class's toTerm/fromTerm may itself send (and copy): give the
    // nested copy its own buffers rather than overwrite ours.
    const p = busy ? pair(node, options) : main;
    busy = true;
    try {
      p.w.reset();
      p.enc.encode(msg);
      p.r.reset(p.w.buf, 0, p.w.pos);
      let v: unknown;
      try {
        v = p.dec.read();
      } catch (e) {
        // Both caches saw the encode but the decoder stopped early: start both afresh.
        p.enc.atoms.clear();
        p.dec.atoms.clear();
        throw e;
      }
      if (p.r.pos !== p.r.end) throw new DecodeError('the copy left trailing bytes', p.r.pos);
      return v;
    } finally {
      if (p === main) busy = false;
    }
  };
}
