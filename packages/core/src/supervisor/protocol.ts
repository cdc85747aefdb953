/**
 * What the supervisor API sends to a supervisor process and what comes back: OTP's
 * supervisor calls (`which_children`, `{start_child, Spec}`, ...) as GenServer
 * requests (`'which_children'`, `['start_child', spec]`, ...) that the supervisor
 * server's `@Call` handlers take, answered `{ ok }` or `{ error }` with copyable
 * terms, turned into values or typed errors on the caller's side.
 *
 * A child spec holds a function, which no message may carry. `startChild` therefore
 * leaves the spec in a local hand-off table and sends a {@link Handoff} in its
 * place; the supervisor takes it from there. Hence `startChild` with a spec needs
 * the supervisor on the caller's node (a dynamic supervisor's child args are plain
 * terms and travel).
 */
import { ChildSpecError, formatTerm, SupervisorChildError, type SupervisorChildErrorCode } from '../errors';
import { StartError } from '../proc_lib';
import type { Pid } from '../runtime/pid';
import { checkTerm, registerClass } from '../runtime/term';
import type { ChildSpec, ChildType, RestartType } from './child_spec';

/** A request to a supervisor process (a child spec travels as a {@link Handoff}). @internal */
export type SupervisorRequest =
  | 'which_children'
  | 'count_children'
  | 'restart_counts'
  | readonly ['start_child', unknown]
  | readonly ['terminate_child', string | Pid]
  | readonly ['restart_child', string]
  | readonly ['delete_child', string];

/** Why a request failed, as a term. @internal */
export type SupervisorErrorTerm =
  | { readonly code: SupervisorChildErrorCode; readonly pid?: Pid }
  | { readonly code: 'bad_spec'; readonly id: string | undefined; readonly field: string; readonly message: string }
  | { readonly code: 'start'; readonly reason: unknown };

/** A supervisor's answer. @internal */
export type SupervisorReply = { readonly ok: unknown } | { readonly error: SupervisorErrorTerm };

/** One child as `whichChildren` reports it (OTP `{Id, Child, Type, Modules}`). */
export interface ChildInfo {
  /** The child's id (for a dynamic supervisor's children, `undefined`). */
  readonly id: string | undefined;
  /** Its pid; `'restarting'` while a failed restart waits to be tried again; `undefined` when not running. */
  readonly pid: Pid | 'restarting' | undefined;
  readonly type: ChildType;
  readonly restart: RestartType;
}

/** One child's restarts, as {@link RestartCounts} lists it. */
export interface ChildRestarts {
  /** The child's id (a dynamic supervisor's children get one made up). */
  readonly id: string;
  /** Its pid now; undefined when it is not running. */
  readonly pid: Pid | undefined;
  /** Times the supervisor restarted it (a retried failed restart counts again). */
  readonly restarts: number;
}

/** How often a supervisor restarted its children (no OTP equivalent: what observers show). */
export interface RestartCounts {
  /** Every restart since the supervisor started, children deleted since included. */
  readonly total: number;
  /** The children it holds now, in start order. */
  readonly children: readonly ChildRestarts[];
}

/** Child counts (OTP `count_children`). */
export interface ChildCounts {
  /** Child specs held (running or not). */
  readonly specs: number;
  /** Children running now. */
  readonly active: number;
  /** Specs of type supervisor. */
  readonly supervisors: number;
  /** Specs of type worker. */
  readonly workers: number;
}

/** Stands in a request for a child spec left in the hand-off table. @internal */
export class Handoff {
  constructor(readonly n: number) {}
}

registerClass(Handoff, { name: 'grove.$supervisor_handoff' });

const handoffs = new Map<number, ChildSpec>();
let nextHandoff = 1;

/** Leaves `spec` for a local supervisor; returns what the request carries instead. @internal */
export function handOff(spec: ChildSpec): Handoff {
  const h = new Handoff(nextHandoff++);
  handoffs.set(h.n, spec);
  return h;
}

/** Takes the spec left under `h` (undefined when the caller gave up meanwhile). @internal */
export function takeHandoff(h: Handoff): ChildSpec | undefined {
  const spec = handoffs.get(h.n);
  handoffs.delete(h.n);
  return spec;
}

/** Drops a hand-off the supervisor never took (it died, or the call timed out). @internal */
export function dropHandoff(h: Handoff): void {
  handoffs.delete(h.n);
}

/** The term for a child start failure: the StartError's reason, kept copyable. @internal */
export function startFailure(e: unknown): { readonly code: 'start'; readonly reason: unknown } {
  return { code: 'start', reason: copyable(e instanceof StartError ? e.reason : e) };
}

/** The term for a spec rejected by validation. @internal */
export function badSpec(e: ChildSpecError): SupervisorErrorTerm {
  return { code: 'bad_spec', id: e.id, field: e.field, message: e.message };
}

/** `reason` if it can travel in a reply, else its description. */
function copyable(reason: unknown): unknown {
  try {
    checkTerm(reason);
    return reason;
  } catch {
    return formatTerm(reason);
  }
}

/** The value of a reply, or the typed error it stands for. @internal */
export function unwrap(sup: unknown, child: unknown, reply: unknown): unknown {
  const r = reply as SupervisorReply;
  if ('ok' in r) return r.ok;
  const e = r.error;
  switch (e.code) {
    case 'bad_spec':
      throw new ChildSpecError(e.id, e.field, e.message);
    case 'start':
      throw new StartError(e.reason, `child ${formatTerm(child)} of supervisor ${formatTerm(sup)}`);
    default:
      throw new SupervisorChildError(e.code, sup, child, e.pid);
  }
}
