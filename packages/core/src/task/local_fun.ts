/**
 * Functions in messages, on one node.
 *
 * Elixir sends closures to agents and task supervisors; a Grove message must be a
 * term, and a function is not one. A `LocalFun` is the term that stands for a
 * function on the node that made it: locally it travels by reference (and through
 * `checkMessages`' copy it comes back as the same token), so the receiver takes the
 * function back with {@link takeFun}. On any other node the function does not
 * exist, and `takeFun` says so instead of running something else.
 */
import { randomUUID } from 'crypto';
import { BadArgError } from '../errors';
import type { Node } from '../runtime/node';
import { registerClass } from '../runtime/term';

/** @internal A term standing for a function of the node `node`, made in the OS process `origin`. */
export class LocalFun {
  constructor(
    readonly id: number,
    readonly node: string,
    readonly origin: string,
  ) {}
}

/** This OS process: a token decoded elsewhere never resolves to one of its functions by an id that collides. */
const ORIGIN = randomUUID();

let nextId = 1;
const funs = new WeakMap<LocalFun, (...args: never[]) => unknown>();
const live = new Map<number, WeakRef<LocalFun>>();
const forget = new FinalizationRegistry<number>((id) => live.delete(id));

registerClass(LocalFun, {
  name: 'grove.LocalFun',
  toTerm: (f) => ({ id: f.id, node: f.node, origin: f.origin }),
  fromTerm: (t) => {
    const { id, node, origin } = t as { id: number; node: string; origin: string };
    const mine = origin === ORIGIN ? live.get(id)?.deref() : undefined;
    return mine !== undefined && mine.node === node ? mine : new LocalFun(id, node, origin);
  },
});

/** @internal Wraps `fn` in a term that only `node` can turn back into `fn`. */
export function localFun(node: Node, fn: (...args: never[]) => unknown, what: string): LocalFun {
  if (typeof fn !== 'function') throw new BadArgError(`${what}: expected a function, got ${String(fn)}`, fn);
  const token = new LocalFun(nextId++, node.name, ORIGIN);
  funs.set(token, fn);
  live.set(token.id, new WeakRef(token));
  forget.register(token, token.id);
  return token;
}

/** @internal The function `token` stands for; a `BadArgError` on another node. */
export function takeFun<F extends (...args: never[]) => unknown>(node: Node, token: unknown, what: string): F {
  const fn = token instanceof LocalFun && token.node === node.name ? funs.get(token) : undefined;
  if (fn === undefined) throw new BadArgError(`${what}: a function can only run on the node that made it (${node.name} got one from ${token instanceof LocalFun ? token.node : String(token)})`, token);
  return fn as F;
}
