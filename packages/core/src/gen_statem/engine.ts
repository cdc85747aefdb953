/**
 * The GenStateMachine loop (OTP `gen_statem.erl`'s `loop_state_callback`,
 * `loop_actions` and `loop_state_transition`), run inside a GenServer.
 *
 * Each machine class gets a hidden GenServer subclass, its host (one per class,
 * cached), so the machine starts, stops, crashes and is reported through the one
 * GenServer path (start.ts, engine.ts, terminate.ts): the host's `handleCall`,
 * `handleCast` and `handleInfo` turn messages into events, its `init` runs the
 * machine's and hands the initial transition to `handleContinue` (run before any
 * message, as OTP runs the initial enter call after the start ack), its
 * `terminate` and `formatState` are the machine's.
 *
 * One event, in OTP's order: any running event timeout is cancelled; the state
 * callback runs; its replies are sent; a postponed event is kept; on a state
 * change the postponed events go back in front of the queue and the state timeout
 * is cancelled; inserted events go in front of all that; timeouts are set (a zero
 * timeout is queued at the end); the enter call, if any, runs first of all. The
 * queue drains before the next message. An event timeout starts only when the
 * queue is empty ("a retried or inserted event counts as arrived").
 *
 * Timeout messages carry a generation: one that was cancelled (or restarted)
 * after its message was sent is recognised as stale and dropped.
 */
import { BadArgError, formatTerm } from '../errors';
import type { From } from '../gen';
import { dispatchTable, type HandlerFn } from '../gen_server/decorators';
import { isThenable, kState, replyOut } from '../gen_server/engine';
import { GenServer, IGNORE, NO_REPLY, ServerAction, type Ignore, type InitResult, type NoReply } from '../gen_server/gen_server';
import { kKind, type ServerKind } from '../gen_server/start';
import type { ExitReason } from '../runtime/exit';
import type { Ref } from '../runtime/ref';
import { markSystemMessage } from '../runtime/mailbox_bound';
import { registerClass } from '../runtime/term';
import { kSysReplace, kSysState } from '../sys/system';
import { termKey, type TermKeyPolicy } from '../runtime/term_key';
import { Action, GenStateMachine, Transition, type CallbackMode, type EventType, type StatemClass } from './gen_statem';

/** @internal the machine's link to its engine state. */
export const kMachine: unique symbol = Symbol('grove.gen_statem.machine');

/** An event on its way to a state callback (one class, so the callbacks see one shape). */
class Event {
  constructor(
    readonly type: EventType,
    readonly content: unknown,
    readonly from: From | null,
    readonly name: string | null,
  ) {}
}

/** What a timer sends the machine: which timeout, and which arming of it. */
class TimeoutFired {
  constructor(
    readonly key: string,
    readonly gen: number,
  ) {}
}
// A machine's own timeouts are never dropped by its bounded mailbox.
markSystemMessage(TimeoutFired);
registerClass(TimeoutFired, {
  name: 'grove.$gen_statem_timeout',
  toTerm: (t) => [t.key, t.gen],
  fromTerm: (t) => new TimeoutFired((t as [string, number])[0], (t as [string, number])[1]),
});

/** A running timeout. */
interface Armed {
  readonly ref: Ref;
  readonly gen: number;
  readonly event: Event;
}

/** The key of the event timeout in `Machine.timers`; state timeout and generic ones follow. */
const EVENT_TIMEOUT = 'timeout';
const STATE_TIMEOUT = 'stateTimeout';

/** @internal what the engine keeps per machine. */
export class Machine {
  m: GenStateMachine<any, any> = null as unknown as GenStateMachine<any, any>;
  state: unknown = undefined;
  /** Events to handle before the next message: enter calls, inserted, retried, zero timeouts. */
  queue: Event[] = [];
  postponed: Event[] = [];
  timers: Map<string, Armed> | null = null;
  /** An event timeout set by the last transitions, started when the queue is empty. */
  pendingEventTimeout: Action | null = null;
  gen = 0;
  /** Init's actions, run with the initial enter call. */
  initActions: readonly Action[] = [];
  /** The state whose function `fn` is (stateFunctions mode), so an event in the same state looks nothing up. */
  fnState: unknown = NO_STATE;
  fn: HandlerFn | undefined = undefined;

  constructor(
    readonly host: StatemHost,
    readonly mode: CallbackMode,
    readonly enter: boolean,
    readonly states: Map<string, HandlerFn>,
  ) {}
}

/** No state yet: `Machine.fn` is for no state. */
const NO_STATE: unique symbol = Symbol('grove.gen_statem.no_state');

/** Set just around `new Cls()` inside the host's constructor. */
let constructing: Machine | null = null;

/** @internal the machine being constructed: GenStateMachine's constructor takes it, once. */
export function takeConstructing(): Machine | null {
  const c = constructing;
  constructing = null;
  return c;
}

const GEN_STATEM: ServerKind = { label: 'gen_statem', unexpected: () => undefined };

/** The machine's result for the GenServer engine: done (replies were sent by actions), or stop. */
type Outcome = NoReply | ServerAction<never> | Promise<NoReply | ServerAction<never>>;

/** @internal the GenServer a machine runs in. */
export class StatemHost extends GenServer {
  static readonly [kKind]: ServerKind = GEN_STATEM;
  declare static readonly user: StatemClass<GenStateMachine<any, any>>;
  declare static readonly states: Map<string, HandlerFn>;
  readonly machine: Machine;

  constructor() {
    super();
    const h = this.constructor as typeof StatemHost;
    const cls = h.user;
    const mc = new Machine(this, cls.callbackMode, cls.stateEnter, h.states);
    this.machine = mc;
    constructing = mc;
    try {
      new cls();
    } finally {
      constructing = null;
    }
  }

  override init(args?: unknown): InitResult {
    const r = this.machine.m.init(args);
    if (isThenable(r)) return Promise.resolve(r).then((v) => initResult(this.machine, v));
    return initResult(this.machine, r);
  }

  override handleCall(request: unknown, from: From): Outcome {
    return onEvent(this.machine, new Event('call', request, from, null));
  }

  override handleCast(request: unknown): Outcome {
    return onEvent(this.machine, new Event('cast', request, null, null));
  }

  override handleInfo(msg: unknown): Outcome {
    const mc = this.machine;
    if (!(msg instanceof TimeoutFired)) return onEvent(mc, new Event('info', msg, null, null));
    const armed = mc.timers?.get(msg.key);
    if (armed === undefined || armed.gen !== msg.gen) return NO_REPLY; // cancelled or restarted after it was sent
    mc.timers!.delete(msg.key);
    return onEvent(mc, armed.event);
  }

  override handleContinue(): Outcome {
    const mc = this.machine;
    const o = transition(mc, INIT, new Transition('next', mc.state, mc.initActions, 'normal'), true);
    mc.initActions = [];
    return o ?? run(mc);
  }

  override terminate(reason: ExitReason): unknown {
    return this.machine.m.terminate(reason);
  }

  override formatState(): unknown {
    return this.machine.m.formatState();
  }

  /** `sys.getState`: `{ state, data }`, data the machine's own fields. */
  [kSysState](): unknown {
    return { state: this.machine.state, data: GenServer.prototype.formatState.call(this.machine.m as never) };
  }

  /** `sys.replaceState`: a new state (no enter call, as in OTP) and the data fields to set. */
  [kSysReplace](next: unknown): void {
    const n = next as { state?: unknown; data?: unknown } | null;
    if (typeof n !== 'object' || n === null || !('state' in n)) throw new BadArgError(`sys.replaceState: a GenStateMachine's state is { state, data }, got ${formatTerm(next)}`, next);
    if (typeof n.data === 'object' && n.data !== null) Object.assign(this.machine.m, n.data);
    this.machine.state = n.state as never;
  }
}

const hosts = new WeakMap<Function, typeof StatemHost>();

/** @internal the GenServer class that runs machine class `cls` (made once per class; throws on a bad class). */
export function hostFor(cls: StatemClass<GenStateMachine<any, any>>): typeof StatemHost {
  let h = hosts.get(cls);
  if (h !== undefined) return h;
  if (typeof cls !== 'function' || !(cls.prototype instanceof GenStateMachine)) throw new BadArgError(`start: ${formatTerm(cls)} is not a GenStateMachine class`, cls);
  if (cls.callbackMode !== 'stateFunctions' && cls.callbackMode !== 'handleEventFunction') {
    throw new BadArgError(`${cls.name}.callbackMode must be 'stateFunctions' or 'handleEventFunction', got ${formatTerm(cls.callbackMode)}`, cls.callbackMode);
  }
  const states = dispatchTable(cls).states;
  if (cls.callbackMode === 'stateFunctions' && states.size === 0) throw new BadArgError(`${cls.name} has callbackMode 'stateFunctions' but no @State() method`, cls);
  const made = class extends StatemHost {
    static override readonly user = cls;
    static override readonly states = states;
  };
  Object.defineProperty(made, 'name', { value: cls.name });
  hosts.set(cls, made as unknown as typeof StatemHost);
  return made as unknown as typeof StatemHost;
}

/** Init's result: the initial state (the transition runs in handleContinue, before any message), or not starting. */
function initResult(mc: Machine, r: unknown): Ignore | ServerAction<never> {
  if (r === IGNORE) return IGNORE;
  if (r instanceof Transition) {
    if (r.kind === 'stop') return stopAction(r.reason);
    if (r.kind !== 'next') throw new BadArgError(`${mc.m.constructor.name}.init: return the initial state or nextState(state, ...actions), not ${r.kind}State`, r);
    mc.state = r.state;
    mc.initActions = r.actions;
  } else if (r === undefined) {
    throw new BadArgError(`${mc.m.constructor.name}.init returned no initial state`);
  } else {
    mc.state = r;
  }
  return new ServerAction<never>('continue', null, false, undefined);
}

function stopAction(reason: ExitReason): ServerAction<never> {
  return new ServerAction<never>('stop', reason, false, undefined);
}

/** Stands for the initial transition (no event). */
const INIT = new Event('internal', null, null, null);

/** An event from the mailbox: it cancels the event timeout, then it and everything queued behind it run. */
function onEvent(mc: Machine, ev: Event): Outcome {
  if (mc.pendingEventTimeout !== null || mc.timers !== null) cancelEventTimeout(mc);
  const o = handle(mc, ev);
  if (o !== undefined) return o;
  // Most events leave nothing queued and no event timeout to start.
  return mc.queue.length === 0 && mc.pendingEventTimeout === null ? NO_REPLY : run(mc);
}

/** Drains the queue; then starts a pending event timeout. */
function run(mc: Machine): Outcome {
  for (;;) {
    const ev = mc.queue.shift();
    if (ev === undefined) {
      const t = mc.pendingEventTimeout;
      if (t === null) return NO_REPLY;
      mc.pendingEventTimeout = null;
      if (t.ms !== 0) {
        arm(mc, EVENT_TIMEOUT, t, new Event('timeout', t.b, null, null));
        return NO_REPLY;
      }
      mc.queue.push(new Event('timeout', t.b, null, null));
      continue;
    }
    if (ev.type !== 'enter') mc.pendingEventTimeout = null; // a queued event counts as arrived
    const o = handle(mc, ev);
    if (o !== undefined) return o;
  }
}

/** Runs the state callback for `ev` and its transition; a result means stop (or wait for an async callback). */
function handle(mc: Machine, ev: Event): Outcome | undefined {
  const r = callback(mc, ev);
  if (r instanceof Transition) return transition(mc, ev, r, false);
  if (isThenable(r)) return Promise.resolve(r).then((t): Outcome => transition(mc, ev, t, false) ?? run(mc)) as Outcome;
  return transition(mc, ev, r, false);
}

function callback(mc: Machine, ev: Event): unknown {
  const m = mc.m;
  if (mc.mode === 'handleEventFunction') return m.handleEvent(ev as never, mc.state);
  const state = mc.state;
  let fn = mc.fn;
  if (state !== mc.fnState) {
    fn = typeof state === 'string' ? mc.states.get(state) : undefined;
    mc.fnState = state;
    mc.fn = fn;
  }
  if (fn === undefined) throw new BadArgError(`${m.constructor.name} has no @State() function for state ${formatTerm(mc.state)}`, mc.state);
  return fn.call(m, ev);
}

/** Applies what a callback returned for `ev` (OTP's order, see the header); `init` forces the enter call. */
function transition(mc: Machine, ev: Event, r: unknown, init: boolean): Outcome | undefined {
  if (r === undefined) return undefined;
  if (!(r instanceof Transition)) throw new BadArgError(`${nameOf(mc)}: a state callback returned ${formatTerm(r)}, not a transition (nextState, keepState, repeatState, stopWith) or nothing`, r);
  const isEnter = ev.type === 'enter';
  const actions = r.actions;
  let postpone = false;
  let timeouts = false;
  let inserted: Event[] | null = null;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (a.kind === 'reply') replyOut(mc.host[kState], a.a as From, a.b);
    else if (a.kind === 'timeout' || a.kind === 'stateTimeout' || a.kind === 'genericTimeout') timeouts = true;
    else if (a.kind === 'postpone' || a.kind === 'nextEvent') {
      // OTP: no postpone without an event; an enter call neither postpones nor inserts.
      if (isEnter || (init && a.kind === 'postpone')) throw new BadArgError(`${nameOf(mc)}: ${a.kind} is not allowed in ${init ? 'init' : 'a state enter call'}`, a);
      if (a.kind === 'postpone') postpone = true;
      else (inserted ??= []).push(new Event(a.a as EventType, a.b, null, null));
    }
  }
  if (r.kind === 'stop') return stopAction(r.reason);
  const old = mc.state;
  let changed = init;
  if (r.kind === 'next') {
    if (!init && !sameState(old, r.state)) {
      if (isEnter) throw new BadArgError(`${nameOf(mc)}: a state enter call may not change the state (from ${formatTerm(old)} to ${formatTerm(r.state)})`, r.state);
      changed = true;
    }
    mc.state = r.state;
  }
  if (postpone) mc.postponed.push(ev);
  if (changed && !init) {
    if (mc.postponed.length > 0) {
      mc.queue = mc.postponed.concat(mc.queue);
      mc.postponed = [];
    }
    cancel(mc, STATE_TIMEOUT);
  }
  if (inserted !== null) mc.queue = inserted.concat(mc.queue);
  for (let i = 0; timeouts && i < actions.length; i++) {
    const a = actions[i]!;
    if (a.kind === 'timeout') mc.pendingEventTimeout = a.ms === 'infinity' ? null : a;
    else if (a.kind === 'stateTimeout') setTimer(mc, STATE_TIMEOUT, a, new Event('stateTimeout', a.b, null, null));
    else if (a.kind === 'genericTimeout') setTimer(mc, `g:${a.a as string}`, a, new Event('genericTimeout', a.b, null, a.a as string));
  }
  // OTP: repeatState repeats the enter call, even from an enter call (the old state is then the state itself).
  if (mc.enter && ((changed && !isEnter) || r.kind === 'repeat')) mc.queue.unshift(new Event('enter', init ? mc.state : old, null, null));
  return undefined;
}

function nameOf(mc: Machine): string {
  return mc.m.constructor.name;
}

/** OTP compares states with `=/=`: the same value, structurally. */
function sameState(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return termKey(a, STATE_KEYS) === termKey(b, STATE_KEYS);
}

const STATE_KEYS: TermKeyPolicy = {
  noun: 'a state',
  plain: false,
  error: (path, detail, value) => new BadArgError(`a GenStateMachine state must be a term: ${detail} at ${path}`, value),
};

/** Sets (or, with `'infinity'`, cancels) the timeout `key`; zero queues its event at once. */
function setTimer(mc: Machine, key: string, a: Action, ev: Event): void {
  cancel(mc, key);
  if (a.ms === 'infinity') return;
  if (a.ms === 0) mc.queue.push(ev);
  else arm(mc, key, a, ev);
}

function arm(mc: Machine, key: string, a: Action, ev: Event): void {
  const gen = ++mc.gen;
  const ctx = mc.host.ctx;
  const ref = ctx.sendAfter(ctx.self, new TimeoutFired(key, gen), a.ms as number);
  (mc.timers ??= new Map()).set(key, { ref, gen, event: ev });
}

function cancel(mc: Machine, key: string): void {
  const armed = mc.timers?.get(key);
  if (armed === undefined) return;
  mc.timers!.delete(key);
  mc.host.ctx.cancelTimer(armed.ref);
}

function cancelEventTimeout(mc: Machine): void {
  mc.pendingEventTimeout = null;
  if (mc.timers !== null && mc.timers.size > 0) cancel(mc, EVENT_TIMEOUT);
}
