/**
 * The few Grove values that must look like OTP's on the Erlang wire, beyond the term
 * mapping (`etf.ts`) and exit reasons (`exit_reason.ts`): `$gen_call`/`$gen_cast` and
 * call tags.
 *
 * @internal
 */
import { GenCall, GenCast, Ref } from '@grove/core';
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

/** Grove's `$gen_call`/`$gen_cast` as OTP's tuples; other messages as they are. */
export function messageToErlang(msg: unknown, ctx: DecodeContext): unknown {
  if (msg instanceof GenCall) {
    const from = msg.from;
    return tuple(atom('$gen_call'), tuple(from.pid, callTagRef(ctx.localNode, ctx.localCreation, from.tag)), requestToErlang(msg.request));
  }
  if (msg instanceof GenCast) return tuple(atom('$gen_cast'), msg.request);
  return msg;
}

/** Grove's own system requests in OTP's shape: `ping`'s `is_auth`. */
function requestToErlang(req: unknown): unknown {
  if (typeof req === 'object' && req !== null && (req as { type?: unknown }).type === 'is_auth') {
    return tuple(atom('is_auth'), atom(String((req as { node?: unknown }).node)));
  }
  return req;
}
