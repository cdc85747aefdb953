/**
 * Restart back-off: a crashed child is started again after a delay that grows with
 * each consecutive crash, instead of at once. An extension to OTP's supervisor (the
 * models are Akka's BackoffSupervisor and Proto.Actor's exponential back-off
 * strategy); OTP's restart intensity still applies on top of it.
 *
 * The delay of the n-th consecutive crash (n = 0, 1, ...) is
 * `min(maxMs, minMs * factor^n)`, spread by `jitter`: uniform in
 * `[d * (1 - jitter), d * (1 + jitter)]`, then capped at `maxMs`. The count starts
 * again from 0 when the child had been running for `resetAfterMs` before it crashed.
 * A restart that fails to start the child counts as one more crash (its retry waits
 * the next delay). The executor (engine.ts) waits on the supervisor's own timer, so
 * the node's clock drives it and a supervisor that stops cancels it.
 */
import { ChildSpecError, formatTerm } from '../errors';

/** Exponential restart back-off for a supervisor's children (durations in ms). */
export interface Backoff {
  /** The first delay, ms (> 0). */
  readonly minMs: number;
  /** The longest delay, ms (>= minMs). */
  readonly maxMs: number;
  /** How much the delay grows per consecutive crash (>= 1; default 2). */
  readonly factor?: number;
  /** Random spread of each delay, a fraction in [0, 1] (default 0.2): ±20 %. */
  readonly jitter?: number;
  /** A child that ran at least this long before it crashed starts again from `minMs` (default `maxMs`). */
  readonly resetAfterMs?: number;
}

/** A back-off with defaults filled in. @internal */
export interface CheckedBackoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly resetAfterMs: number;
}

const KEYS = ['minMs', 'maxMs', 'factor', 'jitter', 'resetAfterMs'];

/** Checks a back-off given as a flag or in a child spec (`who` and `id` name it in the error). @internal */
export function checkBackoff(value: unknown, who: string, id: string | undefined): CheckedBackoff {
  const bad = (field: string, expected: string, got: unknown): ChildSpecError =>
    new ChildSpecError(id, 'backoff', `${who}: backoff${field === '' ? '' : `.${field}`} must be ${expected}, got ${formatTerm(got)}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('', '{ minMs, maxMs, factor?, jitter?, resetAfterMs? }', value);
  const b = value as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!KEYS.includes(key)) throw new ChildSpecError(id, 'backoff', `${who}: backoff: unknown key ${JSON.stringify(key)} (known: ${KEYS.join(', ')})`);
  }
  const ms = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const { minMs, maxMs } = b;
  if (!ms(minMs)) throw bad('minMs', 'a number of milliseconds > 0', minMs);
  if (!ms(maxMs) || maxMs < minMs) throw bad('maxMs', `a number of milliseconds >= minMs (${minMs})`, maxMs);
  const factor = b['factor'] ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) throw bad('factor', 'a number >= 1', factor);
  const jitter = b['jitter'] ?? 0.2;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw bad('jitter', 'a fraction between 0 and 1', jitter);
  const resetAfterMs = b['resetAfterMs'] ?? maxMs;
  if (!ms(resetAfterMs)) throw bad('resetAfterMs', 'a number of milliseconds > 0', resetAfterMs);
  return { minMs, maxMs, factor, jitter, resetAfterMs };
}

/** The delay before restart after `crashes` earlier consecutive crashes; `random` is uniform in [0, 1). @internal */
export function backoffDelay(b: CheckedBackoff, crashes: number, random: number): number {
  const base = Math.min(b.maxMs, b.minMs * Math.pow(b.factor, crashes));
  return Math.min(b.maxMs, base * (1 + b.jitter * (2 * random - 1)));
}
