/**
 * Routing for GenServer: `@Call()`, `@Cast()` and `@Info(...)` (and GenStateMachine's
 * `@State()`) only record metadata
 * (reflect-metadata, on the decorated method's function); `dispatchTable`
 * scans a class once, base class first so that a subclass overrides, and caches the
 * result in a WeakMap. Dispatching a message is then one map lookup.
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
 */
import 'reflect-metadata';
import { BadArgError } from '../errors';

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
}

type Route =
  | { readonly kind: 'call' | 'cast' | 'state'; readonly method: string | symbol; readonly name: string }
  | { readonly kind: 'info'; readonly method: string | symbol; readonly tag: string | null; readonly test: ((msg: unknown) => boolean) | null };

const ROUTES = Symbol('grove.gen_server.routes');

/**
 * Routes are recorded on the method's function object, so one mechanism serves both
 * decorator flavours: legacy (`experimentalDecorators`: target, key, descriptor) and
 * standard (TC39: method, context). The scanner finds them by walking prototypes.
 */
function record(fn: Function, route: Route): void {
  const own = (Reflect.getOwnMetadata(ROUTES, fn) as Route[] | undefined) ?? [];
  Reflect.defineMetadata(ROUTES, [...own, route], fn);
}

interface StandardContext {
  readonly kind: string;
  readonly name: string | symbol;
  readonly static: boolean;
  readonly private: boolean;
}

function isStandardContext(x: unknown): x is StandardContext {
  return typeof x === 'object' && x !== null && 'kind' in x && 'name' in x;
}

/** A method decorator that works with `experimentalDecorators` and with standard decorators. */
export type RouteDecorator = (target: any, key: any, descriptor?: any) => void;

function methodDecorator(what: string, make: (method: string | symbol) => Route): RouteDecorator {
  return (a: unknown, b: unknown, c?: unknown): void => {
    if (isStandardContext(b)) {
      if (b.kind !== 'method' || b.static || b.private) {
        throw new BadArgError(`@${what} must decorate a public instance method, not ${b.static ? 'static ' : ''}${b.private ? 'private ' : ''}${b.kind} ${String(b.name)}`, b.name);
      }
      record(a as Function, make(b.name));
      return;
    }
    const key = b as string | symbol;
    if (typeof a === 'function') throw new BadArgError(`@${what} cannot decorate a static method (${String(key)})`, key);
    const descriptor = c as PropertyDescriptor | undefined;
    if (descriptor === undefined || typeof descriptor.value !== 'function') {
      throw new BadArgError(`@${what} must decorate a method, and ${String(key)} is not one`, key);
    }
    record(descriptor.value as Function, make(key));
  };
}

function wireName(what: string, key: string | symbol, name: string | undefined): string {
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
export function Call(name?: string): RouteDecorator {
  return methodDecorator('Call', (method) => ({ kind: 'call', method, name: wireName('Call', method, name) }));
}

/** Routes casts to this method: the request is `name` or `[name, ...args]`; `name` defaults to the method's name. */
export function Cast(name?: string): RouteDecorator {
  return methodDecorator('Cast', (method) => ({ kind: 'cast', method, name: wireName('Cast', method, name) }));
}

/**
 * Routes info messages (anything that is not a call or cast) to this method, which
 * receives the whole message. `match` is a tag (default: the method's name) or a
 * predicate.
 */
export function Info(match?: string | ((msg: unknown) => boolean)): RouteDecorator {
  if (match !== undefined && typeof match !== 'string' && typeof match !== 'function') {
    throw new BadArgError(`@Info: expected a tag or a predicate, got ${String(match)}`, match);
  }
  return methodDecorator('Info', (method) =>
    typeof match === 'function' ? { kind: 'info', method, tag: null, test: match } : { kind: 'info', method, tag: wireName('Info', method, match), test: null },
  );
}

/**
 * Makes this method the state function of state `name` (default: the method's name)
 * in a GenStateMachine whose callback mode is `'stateFunctions'`: it receives every
 * event while the machine is in that state.
 */
export function State(name?: string): RouteDecorator {
  return methodDecorator('State', (method) => ({ kind: 'state', method, name: wireName('State', method, name) }));
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
  const t = {
    calls: new Map<string, HandlerFn>(),
    casts: new Map<string, HandlerFn>(),
    infoTags: new Map<string, HandlerFn>(),
    infoPredicates: [] as { test: (msg: unknown) => boolean; fn: HandlerFn }[],
    callNames: new Map<string, string>(),
    castNames: new Map<string, string>(),
    states: new Map<string, HandlerFn>(),
  };
  for (const proto of chain) {
    const own = new Set<string>();
    for (const key of Reflect.ownKeys(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (typeof value !== 'function') continue;
      for (const r of (Reflect.getOwnMetadata(ROUTES, value) as Route[] | undefined) ?? []) {
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
