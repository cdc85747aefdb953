/**
 * What the Erlang channel needs of the term codec, in one place: encode/decode, atoms
 * and tuples, and the few Grove values that must look like OTP's on the wire (exit
 * reasons, `$gen_call`/`$gen_cast`, call tags).
 *
 * @internal
 */
import { GenCall, GenCast, Pid, Ref } from '@grove/core';
// TODO(h-etf): switch to the real codec once merged.
import { Atom, ErlangRef, Tuple, decodeTerm, encodeTerm, encodeTerms, type DecodeContext } from './etf_placeholder';

export { Atom, Tuple, decodeTerm, encodeTerm, encodeTerms, type DecodeContext };

/** The atom `name`. */
export const atom = (name: string): Atom => Atom.of(name);

/** The tuple of `els`. */
export const tuple = (...els: unknown[]): Tuple => new Tuple(els);

/** True when `t` is the atom `name` (any atom without `name`). */
export function isAtom(t: unknown, name?: string): t is Atom {
  return t instanceof Atom && (name === undefined || t.name === name);
}

/** The elements of a tuple of `arity` (any arity without it), else undefined. */
export function tupleOf(t: unknown, arity?: number): readonly unknown[] | undefined {
  if (!(t instanceof Tuple)) return undefined;
  return arity === undefined || t.elements.length === arity ? t.elements : undefined;
}

/** The reasons that are atoms in OTP and strings in Grove. */
const ATOM_REASONS = new Set(['normal', 'shutdown', 'kill', 'killed', 'noproc', 'noconnection', 'timeout', 'badarg', 'undef', 'nodedown']);

/**
 * A Grove exit reason as Erlang sees it: OTP's atoms (`'normal'`, `'kill'`, ...)
 * become atoms, `{ shutdown: x }` `{shutdown, X}`, an Error
 * `{Name, Message}` (`{'Error', <<"boom">>}`), anything else the codec's mapping.
 */
export function reasonToErlang(reason: unknown): unknown {
  if (typeof reason === 'string' && ATOM_REASONS.has(reason)) return atom(reason);
  if (reason instanceof Error) return tuple(atom(reason.name), reason.message);
  if (typeof reason === 'object' && reason !== null && !Array.isArray(reason) && Object.getPrototypeOf(reason) === Object.prototype) {
    const keys = Object.keys(reason);
    if (keys.length === 1 && keys[0] === 'shutdown') return tuple(atom('shutdown'), (reason as { shutdown: unknown }).shutdown);
  }
  return reason;
}

/** An Erlang exit reason as Grove sees it: the inverse of {@link reasonToErlang}. */
export function reasonFromErlang(reason: unknown): unknown {
  if (reason instanceof Atom && ATOM_REASONS.has(reason.name)) return reason.name;
  const t = tupleOf(reason, 2);
  if (t !== undefined && isAtom(t[0], 'shutdown')) return { shutdown: t[1] };
  return reason;
}

/** The third word of a ref that stands for a Grove call's tag (the first two hold the tag). */
const CALL_TAG_MARK = 0x67726f76; // "grov"

/** The ref a Grove call's tag travels as: this node's, with the call mark. */
export function callTagRef(node: string, creation: number, tag: number): ErlangRef {
  return new ErlangRef(node, creation, [tag % 0x100000000, Math.floor(tag / 0x100000000), CALL_TAG_MARK]);
}

/** The Grove call tag `t` stands for, when it is a ref made by {@link callTagRef} on this node. */
export function callTagOf(t: unknown, ctx: DecodeContext): number | undefined {
  if (!(t instanceof ErlangRef) || t.words.length !== 3 || t.words[2] !== CALL_TAG_MARK) return undefined;
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

export { GenCall, GenCast, Pid, Ref, ErlangRef };
