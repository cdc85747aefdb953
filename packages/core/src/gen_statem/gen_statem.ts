/**
 * GenStateMachine: OTP's `gen_statem` as a class.
 *
 * One instance per process: the machine's data in its fields, its state in
 * `this.state` (kept by the engine). `init(args)` returns the initial state; then
 * every event (a call, a cast, an info message, a timeout, an inserted event) goes
 * to the state's function, and what that returns says what happens next:
 *
 * | callback mode (static `callbackMode`) | who gets the events                           |
 * | ------------------------------------- | --------------------------------------------- |
 * | `'stateFunctions'` (default)          | the `@State()` method named after the state   |
 * | `'handleEventFunction'`               | `handleEvent(event, state)`, for every state  |
 *
 * | a state callback returns                  | meaning (OTP)                                       |
 * | ----------------------------------------- | --------------------------------------------------- |
 * | nothing                                   | `keep_state_and_data`                               |
 * | `this.keepState(...actions)`              | `{keep_state, Data, Actions}`                       |
 * | `this.nextState(s, ...actions)`           | `{next_state, S, Data, Actions}`                    |
 * | `this.repeatState(...actions)`            | `{repeat_state, Data, Actions}`: the enter call again |
 * | `this.stopWith(reason, ...replies)`       | `stop` / `stop_and_reply`: terminate runs           |
 *
 * Actions: `replyTo(from, value)`, `postpone()`, `nextEvent(type, content)`,
 * `eventTimeout(ms, content)`, `stateTimeout(ms, content)`,
 * `genericTimeout(name, ms, content)` (`'infinity'` cancels a timeout). With
 * static `stateEnter = true`, a state change (and `repeatState`) first calls the new
 * state's callback with an `enter` event whose content is the old state; an enter
 * call may keep or repeat the state, set timeouts and reply, but not change state,
 * postpone or insert events (OTP's rules).
 *
 * The machine runs on GenServer's machinery (engine.ts): the start handshake,
 * stop requests, the parent's exit, async callbacks, terminate and the crash
 * report are GenServer's, and `callServer` / `castServer` / `stopServer` work on a
 * machine as on a server.
 *
 * Deliberate differences from OTP: data lives in fields, not in a value passed
 * around; an event no state function handles (it returns nothing) is kept by
 * returning nothing, so an unanswered call ends in the caller's timeout (OTP
 * crashes the machine on a `function_clause`); event types are strings
 * (`'stateTimeout'`, `'genericTimeout'` with the timeout's `name` on the event).
 */
import { BadArgError, formatTerm } from '../errors';
import { reply, type From } from '../gen';
import { IGNORE, type Ignore } from '../gen_server/gen_server';
import { clientOf, type Caller, type ChildSpecOptions, type Client, type ClientOptions, type GenServerOptions, type StartArgs, type StartResult } from '../gen_server/client';
import { GenServer, serverChildSpec, type ServerClass } from '../gen_server/gen_server';
import { methodDecorator, wireName, type RouteOwner } from '../gen_server/decorators';
import type { Protocol, Refused } from '../gen_server/protocol';
import { startServer } from '../gen_server/start';
import type { ProcessContext, TimeoutMs } from '../runtime/context';
import type { ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import type { Dest } from '../runtime/registry';
import type { ChildSpec } from '../supervisor/child_spec';
import { hostFor, kMachine, takeConstructing, type Machine } from './engine';

// ---- events ----

/** The request shapes a protocol side allows: `name` (no arguments) or `[name, ...args]`. */
type Requests<M> = { [K in keyof M & string]: M[K] extends (...a: infer A) => any ? (A extends [] ? K : [K, ...A]) : never }[keyof M & string];

/** What a call or cast of protocol side `M` carries: its requests when declared, else `unknown`. */
export type RequestOf<M> = [Requests<NonNullable<M>>] extends [never] ? unknown : Requests<NonNullable<M>>;

/** The content of protocol `P`'s calls or casts (anything for an `any` protocol, as in `GenStateMachine<any, any>`). */
type ContentOf<P, K extends 'call' | 'cast'> = 0 extends 1 & P ? any : RequestOf<P extends Protocol ? P[K] : never>;

/** The types of events (OTP's `event_type()`: `{call, From}` is `'call'` with `from` on the event). */
export type EventType = 'call' | 'cast' | 'info' | 'internal' | 'timeout' | 'stateTimeout' | 'genericTimeout' | 'enter';

/**
 * An event as a state callback sees it, narrowed by `type`: a call carries `from`
 * (reply with `replyTo(from, value)` or `this.reply`), a generic timeout its
 * `name`, an enter call the old state as its content. Calls and casts carry the
 * requests of the declared protocol `P` (`name` or `[name, ...args]`).
 */
export type StatemEvent<S = unknown, P extends Protocol = Protocol> =
  | { readonly type: 'call'; readonly content: ContentOf<P, 'call'>; readonly from: From }
  | { readonly type: 'cast'; readonly content: ContentOf<P, 'cast'> }
  | { readonly type: 'info' | 'internal' | 'timeout' | 'stateTimeout'; readonly content: unknown }
  | { readonly type: 'genericTimeout'; readonly name: string; readonly content: unknown }
  | { readonly type: 'enter'; readonly content: S };

// ---- what callbacks return ----

/** The kinds of {@link Action}: what a state callback can ask for besides a transition. */
export type ActionKind = 'reply' | 'postpone' | 'nextEvent' | 'timeout' | 'stateTimeout' | 'genericTimeout';

/** A transition action (OTP `action()`), made by the machine's `replyTo`, `postpone`, `nextEvent` and timeout methods. */
export class Action {
  /** @internal */
  constructor(
    readonly kind: ActionKind,
    /** The reply's From; the inserted event's type; the timeout's name. */
    readonly a: unknown,
    /** The reply; the event's content; the timeout's content. */
    readonly b: unknown,
    /** The timeout in ms, or `'infinity'` (cancel). */
    readonly ms: TimeoutMs,
  ) {}
}

/** What a state callback returns (besides nothing): see {@link GenStateMachine}. */
export class Transition<S = unknown> {
  /** @internal */
  constructor(
    readonly kind: 'next' | 'keep' | 'repeat' | 'stop',
    readonly state: S | undefined,
    readonly actions: readonly Action[],
    readonly reason: ExitReason,
  ) {}
}

/** What a state callback may return. */
export type StateResult<S> = Transition<S> | void | Promise<Transition<S> | void>;

/** What `init` may return: the initial state, `nextState(s, ...actions)`, `stopWith(reason)`, `ignore()`. */
export type StatemInitResult<S> = S | Transition<S> | Ignore | Promise<S | Transition<S> | Ignore>;

/** A state function. */
export type StateFunction<S, P extends Protocol = Protocol> = (event: StatemEvent<S, P>) => StateResult<S>;

/**
 * What a `'stateFunctions'` machine with states `S` must implement:
 * `class Door extends GenStateMachine<'open' | 'closed'> implements StateFunctions<'open' | 'closed'>`
 * makes a missing or mistyped state function a compile error.
 */
export type StateFunctions<S extends string, P extends Protocol = Protocol> = { [K in S]: StateFunction<S, P> };

/** How events reach the callbacks (OTP `callback_mode()`). */
export type CallbackMode = 'stateFunctions' | 'handleEventFunction';

/** A concrete GenStateMachine class. */
export type StatemClass<M extends GenStateMachine<any, any>> = (new () => M) & { readonly callbackMode: CallbackMode; readonly stateEnter: boolean };

function checkMs(what: string, ms: unknown): TimeoutMs {
  if (ms === 'infinity' || (typeof ms === 'number' && ms >= 0 && ms < Infinity)) return ms;
  throw new BadArgError(`${what}: ms must be a finite number >= 0 or 'infinity', got ${formatTerm(ms)}`, ms);
}

/**
 * Base class of every GenStateMachine. `S` is the type of its states, `P`
 * optionally declares the protocol (`{ call: {...}; cast: {...} }`) that typed
 * clients and the events' content use.
 *
 * @example
 * class Switch extends GenStateMachine<'off' | 'on', { call: { flip(): 'off' | 'on' } }> {
 *   override init() { return 'off' as const; }
 *   @State() off(ev: StatemEvent<'off' | 'on'>) { if (ev.type === 'call') return this.nextState('on', this.replyTo(ev.from, 'on')); }
 *   @State() on(ev: StatemEvent<'off' | 'on'>) { if (ev.type === 'call') return this.nextState('off', this.replyTo(ev.from, 'off')); }
 * }
 */
export abstract class GenStateMachine<S = string, P extends Protocol = Protocol> {
  /** Which callbacks get the events. */
  static readonly callbackMode: CallbackMode = 'stateFunctions';
  /** Whether a state change calls the new state's callback with an `enter` event first. */
  static readonly stateEnter: boolean = false;

  /** @internal */ declare readonly [kMachine]: Machine;
  /** Type-level only: carries `P` for the typed client; never set, never read. */
  declare readonly '~protocol'?: P;

  constructor() {
    const mc = takeConstructing();
    if (mc === null) throw new BadArgError(`${new.target.name} is a GenStateMachine: start it with ${new.target.name}.start(...) or startLink(...), not new`);
    this[kMachine] = mc;
    mc.m = this;
  }

  // ---- callbacks ----

  /** Runs in the new process before `start` resolves; returns the initial state (or `nextState(s, ...actions)`, `stopWith`, `ignore`). */
  abstract init(args?: unknown): StatemInitResult<S>;

  /** The one event handler in `'handleEventFunction'` mode. */
  handleEvent(_event: StatemEvent<S, P>, state: S): StateResult<S> {
    throw new BadArgError(`${this.constructor.name} has callbackMode 'handleEventFunction' but no handleEvent (state ${formatTerm(state)})`, state);
  }

  /** Runs when the machine stops (not on `kill`, nor on an exit signal when not trapping exits). */
  terminate(_reason: ExitReason): unknown {
    return undefined;
  }

  /** What crash reports show. Default: the state and the instance's own fields. */
  formatState(): unknown {
    return { state: this.state, data: GenServer.prototype.formatState.call(this as never) };
  }

  // ---- what callbacks use ----

  /** The current state (during an enter call, already the new one). */
  get state(): S {
    return this[kMachine].state as S;
  }

  /** This machine's process context. */
  get ctx(): ProcessContext {
    return this[kMachine].host.ctx;
  }

  /** This machine's pid. */
  get self(): Pid {
    return this[kMachine].host.self;
  }

  /** Replies to a caller now (OTP `gen_statem:reply/2`). */
  protected reply(to: From, value: unknown): void {
    reply(this.ctx.node, to, value);
  }

  /** Go to state `state` (a change when it differs from the current one), then run `actions`. */
  protected nextState(state: S, ...actions: Action[]): Transition<S> {
    return new Transition<S>('next', state, actions, 'normal');
  }

  /** Stay in this state and run `actions`. */
  protected keepState(...actions: Action[]): Transition<S> {
    return new Transition<S>('keep', undefined, actions, 'normal');
  }

  /** Stay in this state, run `actions`, and call the state enter callback again (when `stateEnter`). */
  protected repeatState(...actions: Action[]): Transition<S> {
    return new Transition<S>('repeat', undefined, actions, 'normal');
  }

  /** Stop with `reason` after sending `replies` (made by `replyTo`); terminate runs. */
  protected stopWith(reason: ExitReason, ...replies: Action[]): Transition<S> {
    for (const r of replies) {
      if (!(r instanceof Action) || r.kind !== 'reply') throw new BadArgError(`stopWith: only replyTo(...) actions may go with a stop, got ${formatTerm(r)}`, r);
    }
    return new Transition<S>('stop', undefined, replies, reason);
  }

  /** Returned by init: do not start (`start` resolves `'ignore'`). */
  protected ignore(): Ignore {
    return IGNORE;
  }

  /** Action: reply `value` to the caller `from`. */
  protected replyTo(from: From, value: unknown): Action {
    return new Action('reply', from, value, 0);
  }

  /** Action: keep this event until the state changes, then handle it again. */
  protected postpone(): Action {
    return POSTPONE;
  }

  /** Action: handle this event next, before anything queued and any message (OTP `{next_event, Type, Content}`). */
  protected nextEvent<T extends 'internal' | 'cast' | 'info'>(type: T, content: T extends 'cast' ? RequestOf<P['cast']> : unknown): Action {
    if (type !== 'internal' && type !== 'cast' && type !== 'info') throw new BadArgError(`nextEvent: type must be 'internal', 'cast' or 'info', got ${formatTerm(type)}`, type);
    return new Action('nextEvent', type, content, 0);
  }

  /** Action: a `timeout` event after `ms` unless another event comes first. */
  protected eventTimeout(ms: TimeoutMs, content?: unknown): Action {
    return new Action('timeout', null, content, checkMs('eventTimeout', ms));
  }

  /** Action: a `stateTimeout` event after `ms` unless the state changes first. */
  protected stateTimeout(ms: TimeoutMs, content?: unknown): Action {
    return new Action('stateTimeout', null, content, checkMs('stateTimeout', ms));
  }

  /** Action: a `genericTimeout` event named `name` after `ms`; setting it again restarts it; state changes keep it. */
  protected genericTimeout(name: string, ms: TimeoutMs, content?: unknown): Action {
    if (typeof name !== 'string') throw new BadArgError(`genericTimeout: name must be a string, got ${formatTerm(name)}`, name);
    return new Action('genericTimeout', name, content, checkMs('genericTimeout', ms));
  }

  // ---- starting ----

  /** Starts a machine (no link): resolves when init succeeded; rejects with StartError. */
  static start<M extends GenStateMachine<any, any>>(this: StatemClass<M>, from: Caller, ...[args, options]: StartArgs<M>): Promise<StartResult<M>> {
    return startMachine(this, from, args, options, false);
  }

  /** Starts a machine linked to `from` (what a supervisor calls). */
  static startLink<M extends GenStateMachine<any, any>>(this: StatemClass<M>, from: Caller, ...[args, options]: StartArgs<M>): Promise<StartResult<M>> {
    return startMachine(this, from, args, options, true);
  }

  /** A child spec for a Supervisor: `startLink(parent, args, options)`, worker, permanent, 5 s shutdown unless overridden. */
  static childSpec<M extends GenStateMachine<any, any>>(this: StatemClass<M>, ...[args, options]: StartArgs<M, ChildSpecOptions>): ChildSpec {
    return serverChildSpec(hostFor(this), args, options);
  }

  /** A typed client of the machine `server`, from its declared protocol. */
  static client<M extends GenStateMachine<any, any>>(this: StatemClass<M>, from: Caller, server: Dest, options?: ClientOptions): Client<ProtocolOfMachine<M>> {
    return clientOf<ProtocolOfMachine<M>>(from, server, options);
  }
}

// ---- @State() ----

/** What the compiler checks where `@State()` stands: a GenStateMachine's method, named after (or for) one of its states. */
type StateCheck<T, K, N> =
  T extends GenStateMachine<infer S, any>
    ? ([N] extends [undefined] ? K : N) extends S
      ? unknown
      : Refused<`@State: ${([N] extends [undefined] ? K : N) & string} is not one of the machine's states`>
    : Refused<'@State routes events to the methods of a GenStateMachine subclass, and this class is not one'>;

/** The `@State()` decorator (legacy or standard decorators); each use is checked by the compiler. */
export interface StateDecorator<N> {
  <T extends object, K extends string | symbol, F>(target: T, key: K, descriptor: TypedPropertyDescriptor<F> & StateCheck<T, K, N>): void;
  <T, F extends (this: T, ...args: any) => any, K extends string | symbol>(method: F, context: ClassMethodDecoratorContext<T, F> & { readonly name: K } & StateCheck<T, K, N>): void;
}

const MACHINE: RouteOwner = { name: 'GenStateMachine', test: (x) => x instanceof GenStateMachine, checked: new WeakSet() };

/**
 * Makes this method the state function of state `name` (default: the method's name)
 * in a GenStateMachine whose callback mode is `'stateFunctions'`: it gets every event
 * while the machine is in that state.
 */
export function State<const N extends string | undefined = undefined>(name?: N): StateDecorator<N> {
  return methodDecorator('State', (method) => ({ kind: 'state', method, name: wireName('State', method, name) }), MACHINE) as unknown as StateDecorator<N>;
}

/** The declared protocol of machine instance type `M`. */
export type ProtocolOfMachine<M> = M extends GenStateMachine<any, infer P> ? P : never;

const POSTPONE = new Action('postpone', null, null, 0);

function startMachine(cls: StatemClass<GenStateMachine<any, any>>, from: Caller, args: unknown, options: GenServerOptions | undefined, link: boolean): Promise<any> {
  let host: ServerClass<GenServer<any>>;
  try {
    host = hostFor(cls);
  } catch (e) {
    return Promise.reject(e);
  }
  return startServer(host, from, args, options, link);
}
