/**
 * How a GenServer ends, in one place (OTP `gen_server:terminate` and `error_info`):
 * every user throw, every stop, every parent EXIT goes through `terminateServer`,
 * which runs `terminate(reason)`, sends a pending stop reply, writes one crash
 * report for an abnormal reason (and marks the process `reported`, so the runtime
 * writes none), then throws a `ServerExit` that the runtime turns into the
 * process's exit.
 */
import { formatTerm } from '../errors';
import { GenCall, GenCast, reply, type From } from '../gen';
import { getLogger, logEnabled } from '../logger';
import { isCleanExit, thrownReason, type ExitReason } from '../runtime/exit';
import { ProcessExit } from '../runtime/process';
import type { ViaName } from '../runtime/registry';
import { isThenable, SystemStop, type Result, type ServerState } from './engine';

const log = getLogger('gen_server');

/** Thrown to end the process once terminate ran; never caught by the engine again. */
class ServerExit extends ProcessExit {}

/** @internal the exit reason for a throw out of a callback (`ctx.exit(reason)` throws a ProcessExit; any other non-Error is `{ nocatch: value }`). */
export function reasonOf(e: unknown): ExitReason {
  return e instanceof ProcessExit ? e.reason : thrownReason(e);
}

/** @internal a callback threw (or its promise rejected): terminate with the error, unless it is our own way out. */
export function crash(st: ServerState, msg: unknown, e: unknown): Result {
  if (e instanceof ServerExit) throw e;
  return terminateServer(st, msg, reasonOf(e), null, false, undefined);
}

/** @internal runs terminate, sends the stop reply if any, reports, and ends the process. */
export function terminateServer(st: ServerState, msg: unknown, reason: ExitReason, from: From | null, hasReply: boolean, value: unknown): Result {
  const done = (why: ExitReason): never => {
    // A stopWith reply goes out whatever terminate did (OTP replies in an `after`); stopServer's
    // 'ok' only when the server ends with the reason asked for (OTP's proc_lib:stop): else its
    // caller gets no reply, and the DOWN tells it the real reason.
    if (from !== null && hasReply && (why === reason || !isStopRequest(msg))) reply(st.ctx.node, from, value);
    return exitWith(st, msg, why);
  };
  let r: unknown;
  try {
    r = st.s.terminate(reason);
  } catch (e) {
    return done(reasonOf(e));
  }
  if (isThenable(r)) {
    return Promise.resolve(r).then(
      () => done(reason),
      (e: unknown) => done(reasonOf(e)),
    );
  }
  done(reason);
}

function isStopRequest(msg: unknown): boolean {
  return msg instanceof GenCall && msg.request instanceof SystemStop;
}

function exitWith(st: ServerState, msg: unknown, reason: ExitReason): never {
  const p = st.ctx;
  if (!isCleanExit(reason)) crashReport(st, msg, reason);
  p.reported = true;
  throw new ServerExit(reason);
}

/** @internal one structured report for a GenServer that ends abnormally (OTP's error_info). */
export function crashReport(st: ServerState, msg: unknown, reason: ExitReason): void {
  if (!logEnabled('error')) return;
  const p = st.ctx;
  log.error('GenServer terminating', {
    server: nameOf(st.name) ?? p.pid.toString(),
    pid: p.pid.toString(),
    module: st.s.constructor.name,
    lastMessage: describeMessage(msg),
    state: safely(() => formatTerm(st.s.formatState())),
    reason: formatTerm(reason),
    stack: reason instanceof Error ? reason.stack : undefined,
  });
}

function nameOf(name: string | ViaName | undefined): string | undefined {
  return name === undefined ? undefined : typeof name === 'string' ? name : `{via, ${formatTerm(name.name)}}`;
}

function describeMessage(msg: unknown): string {
  if (msg instanceof GenCall) return `call ${show(msg.request)} from ${msg.from.pid}`;
  if (msg instanceof GenCast) return `cast ${show(msg.request)}`;
  return msg === undefined ? 'none (init)' : show(msg);
}

/** Requests are often `[name, ...args]`: show the brackets. */
function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(formatTerm).join(', ')}]` : formatTerm(v);
}

function safely(f: () => string): string {
  try {
    return f();
  } catch (e) {
    return `<formatState failed: ${formatTerm(e)}>`;
  }
}
