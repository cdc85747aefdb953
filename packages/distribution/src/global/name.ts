/**
 * Global names as table keys: a name is a term, compared by structure, so the name
 * table is keyed by its canonical string (`wire/term_key.ts`). A string name that does
 * not start with U+0000 is its own key, so the common case (`whereisName('db')`)
 * allocates nothing.
 *
 * Deliberate difference from OTP: names are limited to strings, numbers, bigints,
 * booleans, null, undefined, pids, and arrays or plain objects of those (no Map,
 * Set, Date, binary or class instance), which covers atoms (strings) and tuples
 * (arrays).
 */
import { BadArgError } from '@grove/core';
import { termKey, type TermKeyPolicy } from '../wire/term_key';

/** A global name: a string, or a number, boolean, pid, or an array / plain object of those. */
export type GlobalName = unknown;

const NAMES: TermKeyPolicy = {
  noun: 'a global name',
  plain: true,
  error: (path, detail, value) =>
    new BadArgError(`not a valid global name (at ${path}): ${detail}; names are strings, numbers, bigints, booleans, null, undefined, pids, and arrays or plain objects of those`, value),
};

/** The canonical key of `name`; throws BadArgError for a name outside the supported terms. */
export function nameKey(name: GlobalName): string {
  return termKey(name, NAMES);
}

/** True when `name` can be a global name. */
export function isGlobalName(name: unknown): boolean {
  try {
    nameKey(name);
    return true;
  } catch {
    return false;
  }
}
