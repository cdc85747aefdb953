/**
 * Which other nodes may use what a node offers them: an exposed rpc module, a
 * registered spawnable. Deny-by-default stays as it was (only what is exposed or
 * registered can be reached at all); `allowFrom` narrows that to some nodes. The
 * node itself is always allowed. A refused node gets exactly the answer of a module
 * or spawnable that does not exist, so it cannot even tell that it exists.
 *
 * The caller's node is the connection's peer (what the handshake proved), never a
 * name taken from the request.
 */
import { BadArgError, formatTerm, getLogger } from '@grove/core';
import { isNodeName } from './node_name';

/** The nodes allowed: their names, or a predicate on a node's name. */
export type AllowFrom = readonly string[] | ((node: string) => boolean);

/** A checked {@link AllowFrom}: a set or a predicate; null allows every node. @internal */
export type Allow = ReadonlySet<string> | ((node: string) => boolean) | null;

const log = getLogger('dist');

/** Checks an `allowFrom` option given to `what`; a BadArgError names the bad entry. @internal */
export function checkAllowFrom(allowFrom: unknown, what: string): Allow {
  if (allowFrom === undefined) return null;
  if (typeof allowFrom === 'function') return allowFrom as (node: string) => boolean;
  if (!Array.isArray(allowFrom)) throw new BadArgError(`${what}: allowFrom must be an array of node names or a function (node) => boolean, got ${formatTerm(allowFrom)}`, allowFrom);
  for (const n of allowFrom) {
    if (typeof n !== 'string' || !isNodeName(n)) throw new BadArgError(`${what}: allowFrom must hold node names like b@127.0.0.1, got ${formatTerm(n)}`, n);
  }
  return new Set(allowFrom as string[]);
}

/** True when `node` may use what `allow` guards on node `self`. A predicate that throws refuses (and is logged). @internal */
export function allows(allow: Allow, node: string, self: string): boolean {
  if (allow === null || node === self) return true;
  if (typeof allow !== 'function') return allow.has(node);
  try {
    return allow(node) === true;
  } catch (e) {
    log.warn(`allowFrom predicate threw for ${node}; refused: ${formatTerm(e)}`);
    return false;
  }
}
