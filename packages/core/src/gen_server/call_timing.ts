/**
 * Call timing (no OTP equivalent: what a metrics exporter's latency histograms read).
 * A node may ask for the calls of some GenServer classes, or of all, to be timed:
 * each server of those classes started afterwards reports, per call it handles, the
 * milliseconds from its handler's start to the handler's outcome (the returned reply,
 * or the settling of the promise an async handler returned). Queueing in the mailbox
 * is not included.
 *
 * With no timing asked for, a call pays one null check; a timed call pays two clock
 * reads and the recorder's work.
 */
import { BadArgError, formatTerm } from '../errors';
import type { Node } from '../runtime/node';

/** Receives one timed call: the server's class name and the milliseconds it took. */
export type CallTimingRecorder = (className: string, ms: number) => void;

interface Timing {
  readonly classes: ReadonlySet<string> | 'all';
  readonly record: CallTimingRecorder;
}

const timings = new WeakMap<Node, Timing>();
/** Whether any node ever timed calls: until then a server's start looks nothing up. */
let everTimed = false;

/**
 * Times the calls of GenServers of `classes` (class names, or `'all'`) started on
 * `node` from now on; `record` gets each. One timing per node: a second call replaces
 * the first for servers started afterwards. Returns the function that stops it (for
 * servers started afterwards; running ones keep their timing until they stop).
 */
export function timeCalls(node: Node, classes: 'all' | readonly string[], record: CallTimingRecorder): () => void {
  if (classes !== 'all' && !(Array.isArray(classes) && classes.every((c) => typeof c === 'string'))) {
    throw new BadArgError(`timeCalls: classes must be 'all' or an array of class names, got ${formatTerm(classes)}`, classes);
  }
  if (typeof record !== 'function') throw new BadArgError(`timeCalls: record must be a function, got ${formatTerm(record)}`, record);
  const t: Timing = { classes: classes === 'all' ? 'all' : new Set(classes), record };
  timings.set(node, t);
  everTimed = true;
  return () => {
    if (timings.get(node) === t) timings.delete(node);
  };
}

/** What a server of class `cls` starting on `node` reports its calls to, or null. @internal */
export function callTimerOf(node: Node, cls: Function): ((ms: number) => void) | null {
  if (!everTimed) return null;
  const t = timings.get(node);
  const className = cls.name;
  if (t === undefined || (t.classes !== 'all' && !t.classes.has(className))) return null;
  const record = t.record;
  return (ms) => record(className, ms);
}
