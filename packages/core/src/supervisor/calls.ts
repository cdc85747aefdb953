/**
 * The supervisor API as the supervisor process answers it (OTP `handle_call` of
 * `supervisor.erl`): start, terminate, restart and delete children, list and count
 * them (stopping is answered by every supervisor alike, in supervisor_process.ts).
 * Each answer is `{ ok }` or `{ error }` (supervisor_protocol.ts).
 */
import { checkChildSpec, type CheckedChildSpec } from './child_spec';
import type { ChildSpecError } from '../errors';
import type { GenCall } from '../gen';
import { Pid } from '../runtime/pid';
import { Child, type SupervisorEngine } from './static_engine';
import { badSpec, startFailure, takeHandoff, type ChildInfo, type SupervisorRequest } from './protocol';
import * as report from './report';

/** @internal answers one call to the static supervisor `sup`. */
export function handleCall(sup: SupervisorEngine, call: GenCall): void | Promise<unknown> {
  const req = call.request as SupervisorRequest;
  switch (req?.op) {
    case 'which_children':
      return sup.answer(call, { ok: sup.children.map(info) });
    case 'count_children': {
      let active = 0;
      let supervisors = 0;
      for (const c of sup.children) {
        if (c.pid !== null) active++;
        if (c.type === 'supervisor') supervisors++;
      }
      const n = sup.children.length;
      return sup.answer(call, { ok: { specs: n, active, supervisors, workers: n - supervisors } });
    }
    case 'start_child':
      return startChild(sup, call, req.handoff !== undefined ? takeHandoff(req.handoff) : req.args);
    case 'terminate_child':
      return terminateChild(sup, call, req.child);
    case 'restart_child':
      return restartChild(sup, call, req.id);
    case 'delete_child':
      return deleteChild(sup, call, req.id);
    default:
      sup.unexpectedCall(call);
  }
}

function startChild(sup: SupervisorEngine, call: GenCall, spec: unknown): void | Promise<unknown> {
  let checked: CheckedChildSpec;
  try {
    checked = checkChildSpec(spec, sup.flags.autoShutdown);
  } catch (e) {
    return sup.answer(call, { error: badSpec(e as ChildSpecError) });
  }
  const existing = sup.byId.get(checked.id);
  if (existing !== undefined) {
    const pid = existing.pid;
    return sup.answer(call, { error: pid === null ? { code: 'already_present' } : { code: 'already_started', pid } });
  }
  const child = new Child(checked);
  return sup.invokeStart(child).then(
    (v) => {
      if (v !== 'ignore' || checked.restart !== 'temporary') sup.add(child);
      if (v !== 'ignore') sup.started(child, v);
      sup.answer(call, { ok: v });
    },
    (e: unknown) => {
      report.reportStartError(sup, child, e);
      sup.answer(call, { error: startFailure(e) });
    },
  );
}

function terminateChild(sup: SupervisorEngine, call: GenCall, which: string | Pid): void | Promise<unknown> {
  const child = which instanceof Pid ? sup.byPid.get(which.key) : sup.byId.get(which);
  if (child === undefined) return sup.answer(call, { error: { code: 'not_found' } });
  return sup.stopChild(child).then(() => {
    if (child.restart === 'temporary') sup.remove(child);
    sup.answer(call, { ok: true });
  });
}

function restartChild(sup: SupervisorEngine, call: GenCall, id: string): void | Promise<unknown> {
  const child = sup.byId.get(id);
  if (child === undefined) return sup.answer(call, { error: { code: 'not_found' } });
  if (child.pid !== null) return sup.answer(call, { error: { code: 'running', pid: child.pid } });
  if (child.restarting) return sup.answer(call, { error: { code: 'restarting' } });
  return sup.invokeStart(child).then(
    (v) => {
      if (v !== 'ignore') sup.started(child, v);
      sup.answer(call, { ok: v });
    },
    (e: unknown) => {
      report.reportStartError(sup, child, e);
      sup.answer(call, { error: startFailure(e) });
    },
  );
}

function deleteChild(sup: SupervisorEngine, call: GenCall, id: string): void {
  const child = sup.byId.get(id);
  if (child === undefined) return sup.answer(call, { error: { code: 'not_found' } });
  if (child.pid !== null) return sup.answer(call, { error: { code: 'running', pid: child.pid } });
  if (child.restarting) return sup.answer(call, { error: { code: 'restarting' } });
  sup.remove(child);
  sup.answer(call, { ok: true });
}

function info(c: Child): ChildInfo {
  return { id: c.id, pid: c.pid ?? (c.restarting ? 'restarting' : undefined), type: c.type, restart: c.restart };
}
