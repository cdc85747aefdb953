/**
 * Erlang's external term format (ETF, OTP's `erl_ext_dist`): the tags, and the
 * options of the codec (`etf.ts` writes, `etf_decode.ts` reads). Which JS value each
 * tag becomes is the term mapping of the README ("Erlang and Elixir nodes › Term
 * mapping"). Wire-level: exported from `@grove/distribution/internal`.
 */
import type { TermCodecOptions } from '../wire/term_format';

/** The version byte every top-level term starts with. */
export const VERSION = 131;

/** ETF tags (OTP 25, `erl_ext_dist`). */
export const enum E {
  NEW_FLOAT = 70,
  BIT_BINARY = 77,
  COMPRESSED = 80,
  ATOM_CACHE_REF = 82,
  NEW_PID = 88,
  NEW_PORT = 89,
  NEWER_REFERENCE = 90,
  SMALL_INTEGER = 97,
  INTEGER = 98,
  FLOAT = 99,
  ATOM = 100,
  REFERENCE = 101,
  PORT = 102,
  PID = 103,
  SMALL_TUPLE = 104,
  LARGE_TUPLE = 105,
  NIL = 106,
  STRING = 107,
  LIST = 108,
  BINARY = 109,
  SMALL_BIG = 110,
  LARGE_BIG = 111,
  NEW_FUN = 112,
  EXPORT = 113,
  NEW_REFERENCE = 114,
  SMALL_ATOM = 115,
  MAP = 116,
  ATOM_UTF8 = 118,
  SMALL_ATOM_UTF8 = 119,
  V4_PORT = 120,
}

/** Maps with at most this many keys are written in Erlang's term order, as OTP writes them. */
export const SORTED_MAP_MAX = 32;

/** The struct name an `Error` is sent as (`%Grove.Error{name, message, stack}` to Elixir). */
export const ERROR_STRUCT = 'Elixir.Grove.Error';

/** Options of {@link binaryToTerm} and the lower-level readers. */
export interface EtfDecodeOptions extends TermCodecOptions {
  /**
   * How binaries decode: `'auto'` (default) gives a string for valid UTF-8 (an Elixir
   * string) and a Buffer otherwise; `'buffer'` always gives a Buffer.
   */
  binaries?: 'auto' | 'buffer';
  /** Largest size a compressed term may inflate to (default 64 MiB, the frame limit). */
  maxBytes?: number;
  /** This node's name: refs it made decode as local refs (equal to the originals). */
  localNode?: string;
  /** This node's creation (with `localNode`). */
  localCreation?: number;
}
