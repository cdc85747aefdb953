/**
 * Group keys: a group is any term the wire codec can carry, and groups compare like
 * Erlang terms, by structure (map, object and set order ignored), so the table is
 * keyed by each group's canonical string, @grove/distribution's `termKey` (its encoding is
 * documented in dist's `term_key.ts`). A string group that does not start with
 * U+0000 is its own key: no allocation on a `getMembers` hot path. A group that
 * arrives from another node is a decoded copy; it encodes to the key of the original.
 */
import { termKey, type TermKeyPolicy } from '@grove/distribution';
import { InvalidGroupError } from './errors';

const GROUPS: TermKeyPolicy = {
  noun: 'a group',
  plain: false,
  error: (path, detail) => new InvalidGroupError(path, detail),
};

/** The canonical key of `group`; throws {@link InvalidGroupError} for a term that cannot cross the wire. */
export function groupKey(group: unknown): string {
  return termKey(group, GROUPS);
}
