/**
 * What packages other than core add to a node's introspection (pg's scopes and
 * groups): the node's introspection service (distribution's `grove_introspect`)
 * shows every source registered here under its key, so that it needs no import of
 * the packages that register. A source returns a term (it may be read from another
 * node), and runs on the introspection service's worker, never on a hot path.
 */
import type { Node } from './node';

/** A source: returns what the node shows under its key now (a term). */
export type IntrospectionSource = () => unknown;

const sources = new WeakMap<Node, Map<string, IntrospectionSource>>();

/**
 * Adds `source` to `node`'s introspection under `key` (one source a key: a second
 * replaces the first). Returns the function that removes it.
 */
export function addIntrospection(node: Node, key: string, source: IntrospectionSource): () => void {
  let m = sources.get(node);
  if (m === undefined) sources.set(node, (m = new Map()));
  m.set(key, source);
  return () => {
    if (m.get(key) === source) m.delete(key);
  };
}

/** The sources registered on `node`, by key. */
export function introspectionSources(node: Node): ReadonlyMap<string, IntrospectionSource> {
  return sources.get(node) ?? new Map();
}
