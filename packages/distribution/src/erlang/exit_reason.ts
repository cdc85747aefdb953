/**
 * Exit reasons between Grove and Erlang. Grove writes OTP's atoms as strings
 * (`'normal'`, `'killed'`, `'noproc'`) and `{shutdown, X}` as `{ shutdown: x }`; in
 * the general term mapping a string is a binary, so an exit reason (of an EXIT or DOWN,
 * of a call that failed) goes through these two functions on its way across:
 *
 * | Grove                     | Erlang                  |
 * | ------------------------- | ----------------------- |
 * | `'normal'` (any string)   | `normal` (that atom)    |
 * | `{ shutdown: 'x' }`       | `{shutdown, x}`         |
 * | `{ shutdown: other }`     | `{shutdown, Other}`     |
 * | `{ nocatch: v }`          | `{nocatch, V}`          |
 * | an `Error`                | `%Grove.Error{}` (see the term mapping) |
 * | anything else             | its term mapping        |
 *
 * Back from Erlang, an atom reason (`true`, `undefined` and `nil` too) and an atom
 * shutdown detail become their names;
 * `{shutdown, X}` and `{nocatch, X}` become the objects; anything else stays as the
 * term mapping decoded it (`{badarith, Stack}` is a Tuple).
 */
import { isShutdownWith } from '@grove/core';
import { atomName } from './term_order';
import { Atom, atom, isTuple, MAX_ATOM_CHARS, tuple } from './terms';

/** The Erlang term for a Grove exit reason (encode the result with the term codec). */
export function exitReasonToErlang(reason: unknown): unknown {
  if (typeof reason === 'string') return asAtom(reason);
  if (isShutdownWith(reason)) return tuple(atom('shutdown'), typeof reason.shutdown === 'string' ? asAtom(reason.shutdown) : reason.shutdown);
  if (isNoCatch(reason)) return tuple(atom('nocatch'), reason.nocatch);
  return reason;
}

/** The Grove exit reason for an Erlang one (as the term codec decoded it). */
export function exitReasonFromErlang(term: unknown): unknown {
  if (term instanceof Atom) return term.name;
  if (term === true || term === false || term === undefined || term === null) return atomName(term);
  if (isTuple(term, 'shutdown') && term.length === 2) {
    const detail = term.elements[1];
    return { shutdown: detail instanceof Atom ? detail.name : detail };
  }
  if (isTuple(term, 'nocatch') && term.length === 2) return { nocatch: term.elements[1] };
  return term;
}

/** A string as an atom when it can be one (a string too long for an atom stays a binary). */
function asAtom(s: string): unknown {
  return s.length <= MAX_ATOM_CHARS ? atomOrString(s) : s;
}

function atomOrString(s: string): unknown {
  try {
    return atom(s);
  } catch {
    return s;
  }
}

function isNoCatch(r: unknown): r is { nocatch: unknown } {
  return typeof r === 'object' && r !== null && !(r instanceof Error) && Object.getPrototypeOf(r) === Object.prototype && Object.keys(r).length === 1 && 'nocatch' in r;
}
