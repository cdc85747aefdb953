/**
 * Routing for GenServer: `@Call()`, `@Cast()` and `@Info(...)` only record a route
 * for the decorated method's function (in a WeakMap, as `@supervisor` records its
 * flags); `dispatchTable` scans a class once, base class first so that a subclass
 * overrides, and caches the result in a WeakMap. Dispatching a message is then one
 * map lookup.
 *
 * Wire shape of a routed request (what `c.call.add(5)` sends): the handler's name
 * alone when there are no arguments (`'get'`, like an Erlang atom), else an array
 * `[name, ...args]` (like a tagged tuple `{add, 5}`). Anything else goes to the
 * `handleCall` / `handleCast` fallback.
 *
 * Info messages are matched by tag — a string message equal to the tag, an array
 * whose head is the tag, or an object whose `type` field is the tag (so
 * `@Info('EXIT')` and `@Info('DOWN')` match the runtime's messages) — then by the
 * predicates in declaration order.
 *
 * The decorators are typed so that the compiler checks each one where it stands: it
 * must decorate a method of a GenServer subclass, and, when the class declares its
 * protocol, a `@Call()` must decorate one of its calls (with signatures: with the
 * declared arguments and reply, under the message's own name) and a `@Cast()` one of
 * its casts. At run time a legacy decorator refuses a class that is not a GenServer
 * when the class is defined, a standard one when the class is first constructed.
 * GenStateMachine's `@State()` (gen_statem.ts) records its routes here too, with its
 * own owner check.
 */
import { BadArgError } from '../errors';
import type { CallHandler, CastHandler, DeclaredSide, Refused, SideNames, Undeclared } from './protocol';
import { GenServer } from './gen_server';

/** A method a message is routed to. @internal */
export type HandlerFn = (this: unknown, ...args: unknown[]) => unknown;

/** One class's routes. @internal */
export interface DispatchTable {
  readonly calls: Map<string, HandlerFn>;
  readonly casts: Map<string, HandlerFn>;
  readonly infoTags: Map<string, HandlerFn>;
  readonly infoPredicates: ReadonlyArray<{ readonly test: (msg: unknown) => boolean; readonly fn: HandlerFn }>;
  /** Wire name of each call/cast handler, by method name (used by typed clients). */
  readonly callNames: Map<string, string>;
  readonly castNames: Map<string, string>;
  /** GenStateMachine's state functions, by state name (`@State()`). */
  readonly states: Map<string, HandlerFn>;
  /** `calls` and `casts` with the last name looked up in each (the engine's route lookup). */
  readonly callRoutes: RouteCache;
  readonly castRoutes: RouteCache;
}

/**
 * @internal A handler map and the last name looked up in it with what was found: a
 * server mostly gets the same request again, and comparing two names costs less than
 * a map lookup. The map never changes once the class's table is made.
 */
export class RouteCache {
  key: string | undefined = undefined;
  fn: HandlerFn | undefined = undefined;

  constructor(readonly map: ReadonlyMap<string, HandlerFn>) {}
}

/** @internal */
export type Route =
  | { readonly kind: 'call' | 'cast' | 'state'; readonly method: string | symbol; readonly name: string }
  | { readonly kind: 'info'; readonly method: string | symbol; readonly tag: string | null; readonly test: ((msg: unknown) => boolean) | null };

/** The routes recorded for each decorated method's function. */
const routes = new WeakMap<Function, readonly Route[]>();

/**
 * Routes are recorded for the method's function object, so one mechanism serves both
 * decorator flavours: legacy (`experimentalDecorators`: target, key, descriptor) and
 * standard (TC39: method, context). The scanner finds them by walking prototypes.
 */
function record(fn: Function, route: Route): void {
  routes.set(fn, [...(routes.get(fn) ?? []), route]);
}

interface StandardContext {
  readonly kind: string;
  readonly name: string | symbol;
  readonly static: boolean;
  readonly private: boolean;
  readonly addInitializer?: (init: (this: unknown) => void) => void;
}

function isStandardContext(x: unknown): x is StandardContext {
  return typeof x === 'object' && x !== null && 'kind' in x && 'name' in x;
}

// ---- the decorators' types: each use is checked against its class ----

type Side = 'call' | 'cast' | 'info';
type Decorator<S extends Side> = S extends 'call' ? '@Call' : S extends 'cast' ? '@Cast' : '@Info';
type OtherSide<S extends 'call' | 'cast'> = S extends 'call' ? 'cast' : 'call';

/**
 * What the compiler checks where a decorator stands (`unknown` when all is well, a
 * {@link Refused} naming the mistake otherwise): `T` is the class's instance type,
 * `K` the method's name, `N` the wire name given to the decorator, `F` the method.
 */
export type RouteCheck<T, S extends Side, K, N, F> =
  T extends GenServer<infer P>
    ? S extends 'call' | 'cast'
      ? [P] extends [Undeclared]
        ? unknown
        : ProtocolCheck<P, S, K & string, N, F>
      : unknown
    : Refused<`${Decorator<S>} routes messages to the methods of a GenServer subclass, and this class is not one`>;

type ProtocolCheck<P, S extends 'call' | 'cast', K extends string, N, F> =
  K extends SideNames<P, S>
    ? DeclaredSide<P, S> extends string
      ? unknown
      : SignatureCheck<DeclaredSide<P, S>[K & keyof DeclaredSide<P, S>], S, K, N, F>
    : K extends SideNames<P, OtherSide<S>>
      ? Refused<`${Decorator<S>}: ${K} is declared a ${OtherSide<S>} in the protocol`>
      : Refused<`${Decorator<S>}: ${K} is not a ${S} of the declared protocol`>;

type SignatureCheck<M, S extends 'call' | 'cast', K extends string, N, F> = [N] extends [undefined]
  ? F extends (S extends 'call' ? CallHandler<M> : CastHandler<M>)
    ? unknown
    : Refused<`${Decorator<S>}: the arguments or the reply of ${K} do not match the declared protocol`>
  : N extends K
    ? SignatureCheck<M, S, K, undefined, F>
    : Refused<`${Decorator<S>}: in a protocol declared with signatures a message is named after its handler (${K}), as clientOf sends it`>;

/**
 * A method decorator: `S` is what it routes, `N` the wire name it was given. It works
 * with `experimentalDecorators` (target, key, descriptor) and with standard
 * decorators (method, context); the compiler checks each use (`RouteCheck`).
 */
export interface RouteDecorator<S extends Side = Side, N = undefined> {
  <T extends object, K extends string | symbol, F>(target: T, key: K, descriptor: TypedPropertyDescriptor<F> & RouteCheck<T, S, K, N, F>): void;
  <T, F extends (this: T, ...args: any) => any, K extends string | symbol>(method: F, context: ClassMethodDecoratorContext<T, F> & { readonly name: K } & RouteCheck<T, S, K, N, F>): void;
}

/** @internal the class a decorator's methods must belong to: GenServer's subclasses unless it says otherwise. */
export interface RouteOwner {
  /** For messages: `'GenServer'`. */
  readonly name: string;
  readonly test: (instance: unknown) => boolean;
  /** Classes whose instances were found to be owners (a standard decorator checks once per class). */
  readonly checked: WeakSet<Function>;
}

const SERVER: RouteOwner = { name: 'GenServer', test: (x) => x instanceof GenServer, checked: new WeakSet() };

/** @internal a route-recording method decorator for methods of `owner`'s subclasses. */
export function methodDecorator<S extends Side, N>(what: string, make: (method: string | symbol) => Route, owner: RouteOwner = SERVER): RouteDecorator<S, N> {
  return ((a: unknown, b: unknown, c?: unknown): void => {
    if (isStandardContext(b)) {
      if (b.kind !== 'method' || b.static || b.private) {
        throw new BadArgError(`@${what} must decorate a public instance method, not ${b.static ? 'static ' : ''}${b.private ? 'private ' : ''}${b.kind} ${String(b.name)}`, b.name);
      }
      record(a as Function, make(b.name));
      if (typeof b.addInitializer === 'function') b.addInitializer(checkInstance(what, b.name, owner));
      return;
    }
    const key = b as string | symbol;
    if (typeof a === 'function') throw new BadArgError(`@${what} cannot decorate a static method (${String(key)})`, key);
    const descriptor = c as PropertyDescriptor | undefined;
    if (descriptor === undefined || typeof descriptor.value !== 'function') {
      throw new BadArgError(`@${what} must decorate a method, and ${String(key)} is not one`, key);
    }
    const route = make(key);
    if (!owner.test(a)) throw notOwned(what, owner, (a as { constructor?: { name?: string } } | null)?.constructor?.name, key);
    record(descriptor.value as Function, route);
  }) as RouteDecorator<S, N>;
}

function notOwned(what: string, owner: RouteOwner, cls: string | undefined, key: string | symbol): BadArgError {
  return new BadArgError(`@${what} routes messages to the methods of a ${owner.name} subclass, and ${cls ?? 'the class'} (method ${String(key)}) is not one`, cls);
}

/** A standard decorator's check, run as each instance is constructed: the class must be the owner's. */
function checkInstance(what: string, key: string | symbol, owner: RouteOwner): (this: unknown) => void {
  return function (this: unknown): void {
    const cls = (this as { constructor: Function }).constructor;
    if (owner.checked.has(cls)) return;
    if (!owner.test(this)) throw notOwned(what, owner, cls.name, key);
    owner.checked.add(cls);
  };
}

/** @internal a decorator's wire name: `name`, else the method's. */
export function wireName(what: string, key: string | symbol, name: string | undefined): string {
  const n = name ?? (typeof key === 'string' ? key : undefined);
  if (typeof n !== 'string' || n.length === 0) {
    throw new BadArgError(`@${what}: the method ${String(key)} needs a non-empty string name, got ${String(name)}`, name);
  }
  return n;
}

/**
 * Routes calls to this method. The request is `name` (no arguments) or
 * `[name, ...args]`; `name` defaults to the method's name. The return value is the
 * reply (see {@link GenServer} for deferring or stopping instead).
 */
export function Call<const N extends string | undefined = undefined>(name?: N): RouteDecorator<'call', N> {
  return methodDecorator('Call', (method) => ({ kind: 'call', method, name: wireName('Call', method, name) }));
}

/** Routes casts to this method: the request is `name` or `[name, ...args]`; `name` defaults to the method's name. */
export function Cast<const N extends string | undefined = undefined>(name?: N): RouteDecorator<'cast', N> {
  return methodDecorator('Cast', (method) => ({ kind: 'cast', method, name: wireName('Cast', method, name) }));
}

/**
 * Routes info messages (anything that is not a call or cast) to this method, which
 * receives the whole message. `match` is a tag (default: the method's name) or a
 * predicate.
 */
export function Info(match?: string | ((msg: unknown) => boolean)): RouteDecorator<'info'> {
  if (match !== undefined && typeof match !== 'string' && typeof match !== 'function') {
    throw new BadArgError(`@Info: expected a tag or a predicate, got ${String(match)}`, match);
  }
  return methodDecorator('Info', (method) =>
    typeof match === 'function' ? { kind: 'info', method, tag: null, test: match } : { kind: 'info', method, tag: wireName('Info', method, match), test: null },
  );
}

const tables = new WeakMap<Function, DispatchTable>();

/** The routes of `cls`, built on first use and cached. Throws on two routes for one name. @internal */
export function dispatchTable(cls: Function): DispatchTable {
  let t = tables.get(cls);
  if (t === undefined) {
    t = scan(cls);
    tables.set(cls, t);
  }
  return t;
}

function scan(cls: Function): DispatchTable {
  const leaf = cls.prototype as Record<string | symbol, unknown>;
  const chain: object[] = [];
  for (let p: object | null = leaf; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) chain.unshift(p);
  const calls = new Map<string, HandlerFn>();
  const casts = new Map<string, HandlerFn>();
  const t = {
    calls,
    casts,
    infoTags: new Map<string, HandlerFn>(),
    infoPredicates: [] as { test: (msg: unknown) => boolean; fn: HandlerFn }[],
    callNames: new Map<string, string>(),
    castNames: new Map<string, string>(),
    states: new Map<string, HandlerFn>(),
    callRoutes: new RouteCache(calls),
    castRoutes: new RouteCache(casts),
  };
  for (const proto of chain) {
    const own = new Set<string>();
    for (const key of Reflect.ownKeys(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (typeof value !== 'function') continue;
      for (const r of routes.get(value) ?? []) {
        // The most derived implementation runs, even when an override is not re-decorated.
        const fn = leaf[r.method] as HandlerFn;
        const where = `${cls.name}.${String(r.method)}`;
        if (r.kind === 'info') {
          if (r.test !== null) t.infoPredicates.push({ test: r.test, fn });
          else addOnce(t.infoTags, own, 'info', r.tag!, fn, where);
        } else if (r.kind === 'state') {
          addOnce(t.states, own, 'state', r.name, fn, where);
        } else {
          addOnce(r.kind === 'call' ? t.calls : t.casts, own, r.kind, r.name, fn, where);
          if (typeof r.method === 'string') (r.kind === 'call' ? t.callNames : t.castNames).set(r.method, r.name);
        }
      }
    }
  }
  return t;
}

function addOnce(map: Map<string, HandlerFn>, own: Set<string>, kind: string, name: string, fn: HandlerFn, where: string): void {
  const key = `${kind}:${name}`;
  if (own.has(key)) throw new BadArgError(`${where}: a second @${kind[0]!.toUpperCase()}${kind.slice(1)} handler for ${JSON.stringify(name)}`, name);
  own.add(key);
  map.set(name, fn);
}
