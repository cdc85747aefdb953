/**
 * Supervisor flags (OTP `sup_flags()`): strategy, restart intensity and period,
 * auto shutdown, and for dynamic supervisors the child limit. Checked when the
 * supervisor starts; each fault is a {@link ChildSpecError} naming the flag.
 */
import type { AutoShutdown } from './child_spec';
import { ChildSpecError, describe } from '../errors';
import type { Strategy } from './strategy';

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
}

/** Flags with defaults filled in. @internal */
export interface CheckedFlags {
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodMs: number;
  readonly autoShutdown: AutoShutdown;
  readonly maxChildren: number;
}

const STATIC_KEYS = ['strategy', 'intensity', 'periodMs', 'autoShutdown'];
const DYNAMIC_KEYS = ['intensity', 'periodMs', 'maxChildren'];
const STRATEGIES: readonly string[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const AUTO: readonly string[] = ['never', 'any_significant', 'all_significant'];

/** Checks `flags` for a static (`dynamic` false) or dynamic supervisor. @internal */
export function checkFlags(flags: unknown, dynamic: boolean): CheckedFlags {
  const f = (flags ?? {}) as Record<string, unknown>;
  if (typeof f !== 'object' || Array.isArray(f)) throw new ChildSpecError(undefined, 'flags', `supervisor flags must be an object, got ${describe(flags)}`);
  const bad = (key: string, expected: string): ChildSpecError =>
    new ChildSpecError(undefined, key, `supervisor flags: ${key} must be ${expected}, got ${describe(f[key])}`);
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
  };
}
