/**
 * What a supervisor is started with, and its validation: child specs, what it needs
 * to know to start, restart and stop a child (OTP `supervisor:child_spec()`), the
 * child template of a dynamic supervisor, and the supervisor's flags (OTP
 * `sup_flags()`: strategy, restart intensity and period, auto shutdown, the child
 * limit of a dynamic supervisor).
 *
 * Flags and specs are checked once, where they enter a supervisor (at supervisor
 * start, or by `startChild`), and every fault gets its own {@link ChildSpecError}
 * naming the child (or the flag) and the key. Unknown keys are refused too: a
 * misspelt `restrat: 'temporary'` would otherwise silently leave a child permanent.
 */
import { ChildSpecError, formatTerm } from '../errors';
import type { ProcessContext } from '../runtime/context';
import type { Pid } from '../runtime/pid';
import { checkBackoff, type Backoff, type CheckedBackoff } from './backoff';
import type { Strategy } from './strategy';

/** When a terminated child is restarted: always, only after an abnormal exit, never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * How a child is stopped: `'brutal_kill'` (exit signal `kill`), a number of
 * milliseconds to wait after exit signal `shutdown` before `kill`, or `'infinity'`
 * (wait for as long as it takes; the default for supervisors).
 */
export type Shutdown = 'brutal_kill' | number | 'infinity';

/** A worker, or a supervisor (which changes the default shutdown to `'infinity'`). */
export type ChildType = 'worker' | 'supervisor';

/** When a supervisor with significant children stops by itself (OTP `auto_shutdown`). */
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant';

/**
 * Starts a child linked to `parent` (the supervisor) and resolves with its pid once it
 * is initialised, or `'ignore'`; rejects when it fails to start. `GenServer.childSpec`
 * and `Supervisor.childSpec` build these; `start` from proc_lib fits directly.
 */
export type ChildStart = (parent: ProcessContext) => Promise<Pid | 'ignore'>;

/** A child of a supervisor (OTP's child spec map). */
export interface ChildSpec {
  /** Unique among the supervisor's children. */
  id: string;
  /** Starts the child, linked to the supervisor. */
  start: ChildStart;
  /** Default `'permanent'`. */
  restart?: RestartType;
  /** Default 5000 ms for a worker, `'infinity'` for a supervisor. */
  shutdown?: Shutdown;
  /** Default `'worker'`. */
  type?: ChildType;
  /**
   * The supervisor's `autoShutdown` counts this child's own termination (default
   * false). Only for transient and temporary children, under an `autoShutdown` other
   * than `'never'`.
   */
  significant?: boolean;
  /** Reserved for @grove/distribution: the node the child runs on. Validated, not yet acted on. */
  node?: string;
  /** Restart this child after a growing delay (overrides the supervisor's `backoff` flag). An extension to OTP. */
  backoff?: Backoff;
}

/** A child spec with every default filled in. @internal */
export interface CheckedChildSpec {
  readonly id: string;
  readonly start: ChildStart;
  readonly restart: RestartType;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
  readonly significant: boolean;
  readonly node: string | undefined;
  /** The child's own back-off; null: the supervisor's, if any. */
  readonly backoff: CheckedBackoff | null;
}

/** Default shutdown time of a worker, as OTP: 5 s. */
export const DEFAULT_WORKER_SHUTDOWN_MS = 5000;

const KEYS = new Set(['id', 'start', 'restart', 'shutdown', 'type', 'significant', 'node', 'backoff']);
const RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary'];
const TYPES: readonly string[] = ['worker', 'supervisor'];

/** True for a valid shutdown value. */
function isShutdown(value: unknown): value is Shutdown {
  return value === 'brutal_kill' || value === 'infinity' || (typeof value === 'number' && Number.isInteger(value) && value >= 0);
}

/**
 * Checks one spec and fills in its defaults; throws a {@link ChildSpecError} that
 * names the child (or its position) and the faulty key. @internal
 */
export function checkChildSpec(spec: unknown, autoShutdown: AutoShutdown = 'never', position?: number): CheckedChildSpec {
  const where = position === undefined ? 'child spec' : `child spec #${position}`;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ChildSpecError(undefined, 'spec', `${where} must be an object, got ${formatTerm(spec)}`);
  }
  const s = spec as Record<string, unknown>;
  const id = s['id'];
  if (typeof id !== 'string' || id.length === 0) {
    throw new ChildSpecError(undefined, 'id', `${where}: id must be a non-empty string, got ${formatTerm(id)}`);
  }
  return checkFields(s, id, `child ${JSON.stringify(id)}`, autoShutdown, KEYS);
}

/** A dynamic supervisor's child template: a spec without id whose start also takes the child's args. */
export interface ChildTemplate<C = unknown> {
  /** Starts one child with its args, linked to the supervisor. */
  start: (parent: ProcessContext, args: C) => Promise<Pid | 'ignore'>;
  /** Default `'permanent'`. */
  restart?: RestartType;
  /** Default 5000 ms for a worker, `'infinity'` for a supervisor. */
  shutdown?: Shutdown;
  /** Default `'worker'`. */
  type?: ChildType;
  /** Restart children after a growing delay (overrides the supervisor's `backoff` flag). */
  backoff?: Backoff;
}

const TEMPLATE_KEYS = new Set(['start', 'restart', 'shutdown', 'type', 'backoff']);

/** Checks a dynamic supervisor's child template. @internal */
export function checkChildTemplate(template: unknown): CheckedChildSpec {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new ChildSpecError(undefined, 'spec', `child template must be an object, got ${formatTerm(template)}`);
  }
  return checkFields(template as Record<string, unknown>, 'template', 'child template', 'never', TEMPLATE_KEYS);
}

function checkFields(s: Record<string, unknown>, id: string, who: string, autoShutdown: AutoShutdown, keys: ReadonlySet<string>): CheckedChildSpec {
  const bad = (field: string, expected: string): ChildSpecError =>
    new ChildSpecError(id, field, `${who}: ${field} must be ${expected}, got ${formatTerm(s[field])}`);
  for (const key of Object.keys(s)) {
    if (!keys.has(key)) throw new ChildSpecError(id, key, `${who}: unknown key ${JSON.stringify(key)} (known: ${[...keys].join(', ')})`);
  }
  if (typeof s['start'] !== 'function') throw bad('start', "a function (parent) => Promise<Pid | 'ignore'>");
  const restart = s['restart'] ?? 'permanent';
  if (typeof restart !== 'string' || !RESTARTS.includes(restart)) throw bad('restart', "'permanent', 'transient' or 'temporary'");
  const type = s['type'] ?? 'worker';
  if (typeof type !== 'string' || !TYPES.includes(type)) throw bad('type', "'worker' or 'supervisor'");
  const shutdown = s['shutdown'] ?? (type === 'supervisor' ? 'infinity' : DEFAULT_WORKER_SHUTDOWN_MS);
  if (!isShutdown(shutdown)) throw bad('shutdown', "'brutal_kill', 'infinity' or a whole number of milliseconds >= 0");
  const significant = s['significant'] ?? false;
  if (typeof significant !== 'boolean') throw bad('significant', 'a boolean');
  if (significant && restart === 'permanent') {
    throw new ChildSpecError(id, 'significant', `${who}: a significant child must be transient or temporary, not permanent`);
  }
  if (significant && autoShutdown === 'never') {
    throw new ChildSpecError(id, 'significant', `${who}: significant children need the supervisor flag autoShutdown 'any_significant' or 'all_significant'`);
  }
  const node = s['node'];
  if (node !== undefined && (typeof node !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(node))) throw bad('node', 'a node name like name@host');
  const backoff = s['backoff'] === undefined ? null : checkBackoff(s['backoff'], who, id);
  return {
    id,
    start: s['start'] as ChildStart,
    restart: restart as RestartType,
    shutdown,
    type: type as ChildType,
    significant,
    node: node as string | undefined,
    backoff,
  };
}

/** Checks a supervisor's list of children: each spec, then that ids are unique. @internal */
export function checkChildSpecs(specs: unknown, autoShutdown: AutoShutdown = 'never'): CheckedChildSpec[] {
  if (!Array.isArray(specs)) throw new ChildSpecError(undefined, 'children', `children must be an array of child specs, got ${formatTerm(specs)}`);
  const seen = new Map<string, number>();
  const out: CheckedChildSpec[] = [];
  for (let i = 0; i < specs.length; i++) {
    const c = checkChildSpec(specs[i], autoShutdown, i);
    const first = seen.get(c.id);
    if (first !== undefined) {
      throw new ChildSpecError(c.id, 'id', `duplicate child id ${JSON.stringify(c.id)} (child specs #${first} and #${i})`);
    }
    seen.set(c.id, i);
    out.push(c);
  }
  return out;
}

// ---- flags ----

/** How a supervisor restarts children and when it gives up. */
export interface SupervisorFlags {
  /** Default `'one_for_one'`. Not used by dynamic supervisors (always one for one). */
  strategy?: Strategy;
  /** Restarts allowed within `periodMs` before the supervisor gives up (default 1, as OTP). */
  intensity?: number;
  /** The restart window in milliseconds (default 5000, as OTP). */
  periodMs?: number;
  /** Stop the supervisor when significant children end (default `'never'`). Static supervisors only. */
  autoShutdown?: AutoShutdown;
  /** Dynamic supervisors only: the most children at once (default `'infinity'`). */
  maxChildren?: number | 'infinity';
  /**
   * Restart crashed children after a growing delay rather than at once (a child spec's
   * own `backoff` overrides it). Default: none, as OTP. An extension to OTP.
   */
  backoff?: Backoff;
}

/** Flags with defaults filled in. @internal */
export interface CheckedFlags {
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodMs: number;
  readonly autoShutdown: AutoShutdown;
  readonly maxChildren: number;
  readonly backoff: CheckedBackoff | null;
}

const STATIC_KEYS = ['strategy', 'intensity', 'periodMs', 'autoShutdown', 'backoff'];
const DYNAMIC_KEYS = ['intensity', 'periodMs', 'maxChildren', 'backoff'];
const STRATEGIES: readonly string[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const AUTO: readonly string[] = ['never', 'any_significant', 'all_significant'];

/** Checks `flags` for a static (`dynamic` false) or dynamic supervisor. @internal */
export function checkFlags(flags: unknown, dynamic: boolean): CheckedFlags {
  const f = (flags ?? {}) as Record<string, unknown>;
  if (typeof f !== 'object' || Array.isArray(f)) throw new ChildSpecError(undefined, 'flags', `supervisor flags must be an object, got ${formatTerm(flags)}`);
  const bad = (key: string, expected: string): ChildSpecError =>
    new ChildSpecError(undefined, key, `supervisor flags: ${key} must be ${expected}, got ${formatTerm(f[key])}`);
  const known = dynamic ? DYNAMIC_KEYS : STATIC_KEYS;
  for (const key of Object.keys(f)) {
    if (f[key] !== undefined && !known.includes(key)) {
      throw new ChildSpecError(undefined, key, `supervisor flags: unknown key ${JSON.stringify(key)} for a ${dynamic ? 'dynamic' : 'static'} supervisor (known: ${known.join(', ')})`);
    }
  }
  const strategy = f['strategy'] ?? 'one_for_one';
  if (typeof strategy !== 'string' || !STRATEGIES.includes(strategy)) throw bad('strategy', "'one_for_one', 'one_for_all' or 'rest_for_one'");
  const intensity = f['intensity'] ?? 1;
  if (typeof intensity !== 'number' || !Number.isInteger(intensity) || intensity < 0) throw bad('intensity', 'a whole number >= 0');
  const periodMs = f['periodMs'] ?? 5000;
  if (typeof periodMs !== 'number' || !Number.isFinite(periodMs) || periodMs <= 0) throw bad('periodMs', 'a number of milliseconds > 0');
  const autoShutdown = f['autoShutdown'] ?? 'never';
  if (typeof autoShutdown !== 'string' || !AUTO.includes(autoShutdown)) throw bad('autoShutdown', "'never', 'any_significant' or 'all_significant'");
  const max = f['maxChildren'] ?? 'infinity';
  if (max !== 'infinity' && !(typeof max === 'number' && Number.isInteger(max) && max >= 0)) throw bad('maxChildren', "a whole number >= 0 or 'infinity'");
  return {
    strategy: strategy as Strategy,
    intensity,
    periodMs,
    autoShutdown: autoShutdown as AutoShutdown,
    maxChildren: max === 'infinity' ? Infinity : max,
    backoff: f['backoff'] === undefined ? null : checkBackoff(f['backoff'], 'supervisor flags', undefined),
  };
}
