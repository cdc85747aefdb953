/**
 * Runs a fuzz target over a range of seeded cases and reports the figures: cases,
 * cases per second, outcomes, and the failures (each with its index, for replay,
 * and the first bytes of its input).
 */
import { caseRng } from './generators';
import { FuzzFailure, type Outcome, type Target } from './targets';

/**
 * A case slower than this is reported as a hang (the decoders are synchronous: it is
 * not cut short). Generous, for a loaded machine; the slowest case is reported anyway.
 */
export const HANG_MS = 10_000;
/** Failures kept in a report; the rest are only counted. */
const KEPT = 10;

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Index of the first case. Default 0. */
  from?: number;
}

export interface FuzzFailureReport {
  index: number;
  error: string;
  /** The input's first 64 bytes, in hex. */
  input?: string;
}

export interface FuzzReport {
  target: string;
  seed: number;
  cases: number;
  ms: number;
  casesPerSecond: number;
  outcomes: Record<Outcome, number>;
  failed: number;
  failures: FuzzFailureReport[];
  /** The slowest case: its index (to replay it) and milliseconds. */
  slowest: { index: number; ms: number };
}

export function fuzz(target: Target, options: FuzzOptions): FuzzReport {
  const from = options.from ?? 0;
  const outcomes: Record<Outcome, number> = { decoded: 0, refused: 0, 'refused at sender': 0 };
  const failures: FuzzFailureReport[] = [];
  let failed = 0;
  const fail = (index: number, error: string, input?: Uint8Array): void => {
    failed++;
    if (failures.length < KEPT) failures.push({ index, error, ...(input !== undefined ? { input: Buffer.from(input.subarray(0, 64)).toString('hex') } : {}) });
  };
  const slowest = { index: -1, ms: 0 };
  const started = performance.now();
  for (let i = from; i < from + options.cases; i++) {
    const t0 = performance.now();
    try {
      outcomes[target.run(caseRng(options.seed, i))]++;
    } catch (e) {
      if (e instanceof FuzzFailure) fail(i, e.message, e.input);
      else fail(i, `the harness threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    const took = performance.now() - t0;
    if (took > slowest.ms) Object.assign(slowest, { index: i, ms: Math.round(took) });
    if (took > HANG_MS) fail(i, `took ${Math.round(took)} ms (a hang: over ${HANG_MS} ms)`);
  }
  const ms = performance.now() - started;
  return { target: target.name, seed: options.seed, cases: options.cases, ms: Math.round(ms), casesPerSecond: Math.round((options.cases / ms) * 1000), outcomes, failed, failures, slowest };
}

/** One line of figures for a report. */
export function describeReport(r: FuzzReport): string {
  const o = r.outcomes;
  return `fuzz ${r.target}: ${r.cases} cases (seed ${r.seed}) in ${r.ms} ms, ${r.casesPerSecond} cases/s; decoded ${o.decoded}, refused ${o.refused}, refused at sender ${o['refused at sender']}; slowest case #${r.slowest.index} ${r.slowest.ms} ms; failures ${r.failed}`;
}
