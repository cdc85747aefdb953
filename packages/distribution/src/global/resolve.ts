/**
 * Name clashes (OTP's resolve methods). When two partitions that each registered a
 * name meet, one resolve function decides: it returns the pid that keeps the name,
 * or `'none'` to drop it, and it deals with the other process itself.
 *
 * A function cannot cross the wire, so a registration records *where* its method
 * lives: the name of a built-in (the same on every node), or the node that
 * registered with a custom function (which keeps it in a local table and runs it on
 * request). The resolving node asks that node; a resolver that throws, answers
 * something else, or cannot be reached unregisters the name everywhere (as OTP does
 * with a bad resolve result), and the error is logged.
 */
import { formatTerm, getLogger, isPid, Pid, type Node } from '@grove/core';

/**
 * Decides a name clash: `pid1` and `pid2` both hold `name` (pid1 from the other
 * partition, pid2 from the resolving node's). Returns the pid that keeps the name,
 * or `'none'`; may be async. It runs on the node that registered it, which it gets
 * as `node` (to exit or message the loser).
 */
export type ResolveFn = (name: unknown, pid1: Pid, pid2: Pid, node: Node) => Pid | 'none' | Promise<Pid | 'none'>;

/** The exit reason {@link randomExitName} gives the process that loses the name. */
export interface GlobalNameConflict {
  readonly globalNameConflict: unknown;
}

/** What {@link randomNotifyName} and {@link notifyAllName} send to losers. */
export interface GlobalNameConflictMessage {
  readonly type: 'global_name_conflict';
  readonly name: unknown;
  /** The other pid ({@link notifyAllName} only). */
  readonly other?: Pid;
}

const log = getLogger('dist');

/** Pid order, the same on every node (node name, then id, serial, creation). */
export function comparePids(a: Pid, b: Pid): number {
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  return a.id - b.id || a.serial - b.serial || a.creation - b.creation;
}

function minMax(a: Pid, b: Pid): [Pid, Pid] {
  return comparePids(a, b) <= 0 ? [a, b] : [b, a];
}

/**
 * The default (OTP `global:random_exit_name/3`): keeps one pid — the smaller, so every
 * node picks the same — and exits the other with `{ globalNameConflict: name }`.
 */
export const randomExitName: ResolveFn = (name, pid1, pid2, node) => {
  const [keep, lose] = minMax(pid1, pid2);
  log.info(`global: name conflict on ${String(nameText(name))}: keeping ${keep}, exiting ${lose}`);
  const reason: GlobalNameConflict = { globalNameConflict: name };
  node.exit(lose, reason);
  return keep;
};

/**
 * OTP `global:random_notify_name/3`: keeps one pid (the smaller) and sends the other
 * `{ type: 'global_name_conflict', name }`.
 */
export const randomNotifyName: ResolveFn = (name, pid1, pid2, node) => {
  const [keep, lose] = minMax(pid1, pid2);
  const msg: GlobalNameConflictMessage = { type: 'global_name_conflict', name };
  node.send(lose, msg);
  return keep;
};

/**
 * OTP `global:notify_all_name/3`: unregisters the name and sends both pids
 * `{ type: 'global_name_conflict', name, other }`.
 */
export const notifyAllName: ResolveFn = (name, pid1, pid2, node) => {
  const m1: GlobalNameConflictMessage = { type: 'global_name_conflict', name, other: pid2 };
  const m2: GlobalNameConflictMessage = { type: 'global_name_conflict', name, other: pid1 };
  node.send(pid1, m1);
  node.send(pid2, m2);
  return 'none';
};

/** Built-ins travel by name; a custom function is named by the node that holds it. */
const BUILTINS = new Map<string, ResolveFn>([
  ['random_exit_name', randomExitName],
  ['random_notify_name', randomNotifyName],
  ['notify_all_name', notifyAllName],
]);

/** The method a registration records: a built-in's name, or `null` for a custom function. */
export function builtinName(fn: ResolveFn): string | null {
  for (const [name, f] of BUILTINS) if (f === fn) return name;
  return null;
}

/** The built-in recorded as `method`, if it is one. */
export function builtinNamed(method: string): ResolveFn | undefined {
  return BUILTINS.get(method);
}

/**
 * Runs `fn` and checks its answer: one of the two pids, or `'none'`. Anything else
 * (a throw, a rejection, another value) is logged and becomes `'none'`.
 */
export async function runResolve(fn: ResolveFn, name: unknown, pid1: Pid, pid2: Pid, node: Node): Promise<Pid | 'none'> {
  let answer: unknown;
  try {
    answer = await fn(name, pid1, pid2, node);
  } catch (e) {
    log.error(`global: the resolve function for ${nameText(name)} threw: ${e instanceof Error ? e.message : String(e)}; the name is unregistered`);
    return 'none';
  }
  if (answer === 'none') return 'none';
  if (isPid(answer) && (answer.equals(pid1) || answer.equals(pid2))) return answer;
  log.error(`global: the resolve function for ${nameText(name)} returned ${formatTerm(answer)}, not one of ${pid1}, ${pid2} or 'none'; the name is unregistered`);
  return 'none';
}

function nameText(name: unknown): string {
  try {
    return typeof name === 'string' ? name : JSON.stringify(name, (_k, v: unknown) => (v instanceof Pid ? v.toString() : typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    return String(name);
  }
}
