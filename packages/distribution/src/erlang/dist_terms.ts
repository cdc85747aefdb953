/**
 * The few Grove values that must look like OTP's on the Erlang wire, beyond the term
 * mapping (`etf.ts`) and exit reasons (`exit_reason.ts`): `$gen_call`/`$gen_cast` and
 * call tags.
 *
 * @internal
 */
import { GenCall, GenCast, Ref } from '@grove/core';
import type { WireWriter } from '../wire/wire';
import { writeAtomNamed, writePid, writeRefWords, writeTerm, writeTupleHeader } from './etf';
import { E, VERSION } from './etf_format';
import { atom, isAtom, Tuple, tuple } from './terms';

export { atom, isAtom, tuple };

/** Who decodes: this node's refs decode as local refs (equal to the originals). */
export interface DecodeContext {
  readonly localNode: string;
  readonly localCreation: number;
}

/** The elements of a tuple of `arity` (any arity without it), else undefined. */
export function tupleOf(t: unknown, arity?: number): readonly unknown[] | undefined {
  if (!(t instanceof Tuple)) return undefined;
  return arity === undefined || t.elements.length === arity ? t.elements : undefined;
}

/** The third word of a ref that stands for a Grove call's tag (the first two hold the tag). */
const CALL_TAG_MARK = 0x67726f76; // "grov"

/** The ref a Grove call's tag travels as: this node's, with the call mark. */
export function callTagRef(node: string, creation: number, tag: number): Ref {
  return new Ref(node, creation, -1, false, [tag % 0x100000000, Math.floor(tag / 0x100000000), CALL_TAG_MARK]);
}

/** The Grove call tag `t` stands for, when it is a ref made by {@link callTagRef} on this node. */
export function callTagOf(t: unknown, ctx: DecodeContext): number | undefined {
  if (!(t instanceof Ref) || t.words === undefined || t.words.length !== 3 || t.words[2] !== CALL_TAG_MARK) return undefined;
  if (t.node !== ctx.localNode || t.creation !== ctx.localCreation) return undefined;
  return t.words[0]! + t.words[1]! * 0x100000000;
}

/**
 * Writes a Grove `GenCall` as `{'$gen_call', {Pid, TagRef}, Req}` (the tag ref is
 * {@link callTagRef}'s) or a `GenCast` as `{'$gen_cast', Req}`, in place: no tuples;
 * false, with nothing written, for any other message.
 */
export function writeCallMessage(w: WireWriter, msg: unknown, ctx: DecodeContext): boolean {
  if (msg instanceof GenCall) {
    const from = msg.from;
    const tag = from.tag;
    writeTupleHeader(w, 3);
    writeAtomNamed(w, '$gen_call');
    writeTupleHeader(w, 2);
    writePid(w, from.pid);
    writeRefWords(w, ctx.localNode, ctx.localCreation, tag % 0x100000000, Math.floor(tag / 0x100000000), CALL_TAG_MARK);
    writeTerm(w, requestToErlang(msg.request));
    return true;
  }
  if (msg instanceof GenCast) {
    writeTupleHeader(w, 2);
    writeAtomNamed(w, '$gen_cast');
    writeTerm(w, msg.request);
    return true;
  }
  return false;
}

/**
 * Reads, without decoding it, a term at `pos` that starts a Grove call's reply: `131`,
 * a 2-tuple whose first element is a {@link callTagRef} of this node (`node` is this
 * node's name as UTF-8). Returns the call tag, with the reply value at `out.pos`
 * (a bare term); -1 when the bytes are anything else (then decode the term as usual).
 */
export function callReplyTagAt(buf: Uint8Array, pos: number, end: number, node: Uint8Array, creation: number, out: { pos: number }): number {
  const n = node.length;
  // 131, SMALL_TUPLE 2, NEWER_REFERENCE 0 3, SMALL_ATOM_UTF8 n <node>, creation, 3 words
  const after = pos + 8 + n + 16;
  if (after > end || n > 255) return -1;
  if (buf[pos] !== VERSION || buf[pos + 1] !== E.SMALL_TUPLE || buf[pos + 2] !== 2) return -1;
  if (buf[pos + 3] !== E.NEWER_REFERENCE || buf[pos + 4] !== 0 || buf[pos + 5] !== 3) return -1;
  if (buf[pos + 6] !== E.SMALL_ATOM_UTF8 || buf[pos + 7] !== n) return -1;
  let p = pos + 8;
  for (let i = 0; i < n; i++) if (buf[p + i] !== node[i]) return -1;
  p += n;
  if (u32At(buf, p) !== creation || u32At(buf, p + 12) !== CALL_TAG_MARK) return -1;
  out.pos = after;
  return u32At(buf, p + 4) + u32At(buf, p + 8) * 0x100000000;
}

function u32At(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;
}

/** Grove's own system requests in OTP's shape: `ping`'s `is_auth`. */
function requestToErlang(req: unknown): unknown {
  if (typeof req === 'object' && req !== null && (req as { type?: unknown }).type === 'is_auth') {
    return tuple(atom('is_auth'), atom(String((req as { node?: unknown }).node)));
  }
  return req;
}
