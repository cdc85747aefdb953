/**
 * The term format: how a message (any copyable term, see @grove/core's `term.ts`)
 * is laid out in bytes; `term.ts` writes it and `term_decode.ts` reads it. It is a
 * compact tagged binary format, in the spirit of Erlang's external term format,
 * carried inside the protobuf control envelope as a `bytes` field. A hand-written
 * format rather than a protobuf `Term` tree because a protobuf oneof tree costs a
 * length prefix and an object per node; see the README's "Wire format" section for
 * the measurements.
 *
 * One byte tag, then the body. Integers are protobuf varints (zigzag for signed).
 *
 * | tag            | term                      | body                                          |
 * |----------------|---------------------------|-----------------------------------------------|
 * | 0x00           | undefined                 |                                               |
 * | 0x01           | null                      |                                               |
 * | 0x02 / 0x03    | false / true              |                                               |
 * | 0x04           | int32                     | zigzag varint                                 |
 * | 0x05           | other number              | float64 LE (NaN, ±Infinity, -0, big integers) |
 * | 0x06 / 0x07    | bigint ≥ 0 / < 0          | varint n, n bytes of magnitude, big-endian    |
 * | 0x08           | string                    | varint n, n bytes of well-formed UTF-8        |
 * | 0x09           | string with lone surrogate| varint n, n UTF-16LE code units               |
 * | 0x0a           | array                     | varint length, items (0x0b marks a hole)      |
 * | 0x0c / 0x0d    | object / null-proto object| varint count, (string key, value)*            |
 * | 0x0e           | Map                       | varint count, (key, value)*                   |
 * | 0x0f           | Set                       | varint count, items                           |
 * | 0x10           | Date                      | float64 LE time (NaN: invalid date)           |
 * | 0x11           | Uint8Array / Buffer       | varint n, n bytes                             |
 * | 0x12           | Error                     | name, message, stack, cause?, props           |
 * | 0x13           | Pid                       | atom node, varint id, varint serial, creation |
 * | 0x14           | Ref                       | atom node, varint creation, varint id         |
 * | 0x15           | registered class instance | atom class name, term from `toTerm`           |
 * | 0x16           | core's GenCall            | pid (as 0x13's body), varint tag, request     |
 * | 0x17           | core's GenCast            | request                                       |
 * | 0x30           | Ref an Erlang node made   | atom node, varint creation, varint n, n words |
 * | 0x40 + n       | integer 0 ≤ n < 64        |                                               |
 * | 0x80 + n       | ASCII string, n < 128     | n bytes                                       |
 *
 * An atom is a varint x: 0 means a new name follows (varint n, n bytes UTF-8) and is
 * appended to the connection's atom cache; x > 0 names entry x - 1 (`atom_cache.ts`).
 */
import { MAX_TERM_DEPTH } from '@grove/core';

/** @internal tags; see the table above. */
export const enum T {
  UNDEFINED = 0x00,
  NULL = 0x01,
  FALSE = 0x02,
  TRUE = 0x03,
  INT = 0x04,
  FLOAT = 0x05,
  BIGINT_POS = 0x06,
  BIGINT_NEG = 0x07,
  UTF8 = 0x08,
  UTF16 = 0x09,
  ARRAY = 0x0a,
  HOLE = 0x0b,
  OBJECT = 0x0c,
  OBJECT_NULL = 0x0d,
  MAP = 0x0e,
  SET = 0x0f,
  DATE = 0x10,
  BYTES = 0x11,
  ERROR = 0x12,
  PID = 0x13,
  REF = 0x14,
  CLASS = 0x15,
  GEN_CALL = 0x16,
  GEN_CAST = 0x17,
  REF_WORDS = 0x30,
  FIXINT = 0x40,
  ASCII = 0x80,
}

/** Default maximum nesting of containers, on both sides. */
export const DEFAULT_MAX_DEPTH = MAX_TERM_DEPTH;

/** Heap a frame may build per byte of it (estimated), besides {@link DECODE_BUDGET_BASE}. */
export const DECODE_BUDGET_PER_BYTE = 64;
/** What any frame may build whatever its size: 256 KiB (e.g. 64 errors without stacks). */
export const DECODE_BUDGET_BASE = 256 * 1024;

/**
 * The decoding budget of a frame (or reassembled message) of `bytes` bytes: what the
 * terms it carries may cost, by {@link TERM_COST}. The decoder refuses a frame over
 * it, so the encoder refuses (at the sender) a message that would put its batch over.
 */
export function decodeBudget(bytes: number): number {
  return DECODE_BUDGET_PER_BYTE * bytes + DECODE_BUDGET_BASE;
}

/**
 * @internal the estimated cost, by tag, of the terms that can cost more than the
 * budget's ratio (heap bytes; an Error's also stands for the time to make one, some
 * microseconds); 0 for the others. Both sides charge it: the decoder to refuse an
 * expansion bomb, the encoder to refuse what the decoder would.
 */
export const TERM_COST: readonly number[] = (() => {
  const cost = new Array<number>(256).fill(0);
  cost[T.MAP] = cost[T.SET] = 192;
  cost[T.ERROR] = 4096;
  cost[T.BYTES] = 192;
  cost[T.CLASS] = cost[T.GEN_CALL] = 64;
  cost[T.GEN_CAST] = 32;
  return cost;
})();

/** Options of the term codec. */
export interface TermCodecOptions {
  /**
   * Deepest nesting of arrays, objects, maps, sets, errors, registered-class instances,
   * calls and casts (default 1000); pids, refs, dates and buffers are not levels. Both
   * sides count the same way.
   */
  maxDepth?: number;
}
