/**
 * GenServer protocols: what messages a server takes, as types. A server class
 * declares its protocol as its type parameter, in one of two forms: by name,
 * `GenServer<{ call: 'get' | 'put'; cast: 'clear' }>` (the signatures are the class's
 * methods of those names), or with signatures, `GenServer<KvProtocol>` where
 * `KvProtocol` is `{ call: { get(key: string): string }; cast: { clear(): void } }`
 * (`clientOf<KvProtocol>()` then serves a server whose class this code does not have).
 *
 * The protocol is never inferred from the class: types cannot see decorators, so an
 * inferred protocol would offer every public method as both a call and a cast, and
 * compile calls that then fail. Typed clients (client.ts) come from it, and the
 * decorators (decorators.ts) are checked against it where they stand.
 */
import type { GenServer, NoReply, ServerAction } from './gen_server';

type Fn = (...args: any[]) => any;

/** A protocol declared with signatures: call messages with their replies, cast messages. */
export interface Protocol {
  readonly call?: object;
  readonly cast?: object;
}

/** A protocol declared by name: the class's methods of these names are its calls and casts. */
export interface NamedProtocol {
  readonly call?: string;
  readonly cast?: string;
}

/** The default protocol parameter: none declared, so the class has no typed client. */
export interface Undeclared {
  readonly '~undeclared': true;
}

/** The reply a handler's return type means: markers removed, promises awaited. */
export type ReplyOf<F> = F extends (...args: any[]) => infer R ? Unmark<Awaited<R>> : never;
type Unmark<R> = R extends NoReply ? never : R extends ServerAction<infer X> ? X : R;

type Methods<T> = { [K in keyof T as K extends string ? (T[K] extends Fn ? K : never) : never]: T[K] };

/** A server's own public methods: its class's, beyond GenServer's. */
type OwnMethods<S> = Methods<Omit<S, keyof GenServer<any>>>;

/** What protocol `P` declares on one side: names, signatures, or nothing (`never`). */
export type DeclaredSide<P, Side extends 'call' | 'cast'> = Side extends keyof P ? Exclude<P[Side], undefined> : never;

/** The message names of one side of `P`. */
export type SideNames<P, Side extends 'call' | 'cast'> = DeclaredSide<P, Side> extends infer D ? ([D] extends [never] ? never : D extends string ? D : keyof D) : never;

/** One side of a protocol as signatures: named methods of `S` looked up, signatures as declared. */
type ResolveSide<S, D> = [D] extends [never] ? {} : [D] extends [string] ? Pick<OwnMethods<S>, Extract<D, keyof OwnMethods<S>>> : D;

/** The protocol of server class instance `S`, with signatures; `never` when it declares none. */
export type ProtocolOf<S> = S extends GenServer<infer P>
  ? [P] extends [Undeclared]
    ? never
    : { call: ResolveSide<S, DeclaredSide<P, 'call'>>; cast: ResolveSide<S, DeclaredSide<P, 'cast'>> }
  : never;

/**
 * A compile-time refusal: the argument lacks a property named by the message, so the
 * compiler prints the message (`Property '"…"' is missing …`).
 */
export type Refused<M extends string> = { readonly [K in M]: never };

/** `Cls.client`'s check of its class: a class that declares no protocol has no typed client. */
export type DeclaresProtocol<S> = [ProtocolOf<S>] extends [never]
  ? Refused<"a typed client needs a declared protocol: class X extends GenServer<{ call: 'a' | 'b'; cast: 'c' }>">
  : unknown;

/** `c.call`: one method per call message, resolving with its reply. */
export type CallApi<C> = {
  readonly [K in keyof Methods<C>]: Methods<C>[K] extends (...args: infer A) => any ? (...args: A) => Promise<ReplyOf<Methods<C>[K]>> : never;
};

/** `c.cast`: one method per cast message. */
export type CastApi<C> = {
  readonly [K in keyof Methods<C>]: Methods<C>[K] extends (...args: infer A) => any ? (...args: A) => void : never;
};

type Handled<R> = R | NoReply | ServerAction<R>;

/** What may handle call message `M` of a protocol: its arguments, its reply (or no reply yet, or a stop). */
export type CallHandler<M> = (...args: Args<M>) => Handled<ReplyOf<M>> | Promise<Handled<ReplyOf<M>>>;
/** What may handle cast message `M`. */
export type CastHandler<M> = (...args: Args<M>) => unknown;

/**
 * What a class declaring protocol `P` (with signatures) must implement: `class Kv
 * extends GenServer<KvProtocol> implements Handlers<KvProtocol>` checks that every
 * message has a handler whose arguments and reply match the protocol.
 */
export type Handlers<P extends Protocol> = {
  [K in keyof Methods<NonNullable<P['call']>>]: CallHandler<Methods<NonNullable<P['call']>>[K]>;
} & {
  [K in keyof Methods<NonNullable<P['cast']>>]: CastHandler<Methods<NonNullable<P['cast']>>[K]>;
};

type Args<F> = F extends (...args: infer A) => any ? A : never;
