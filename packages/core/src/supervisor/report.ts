/**
 * Supervisor reports (OTP's supervisor and progress reports), structured, through the
 * `supervisor` logger: child started (debug), child terminated with its reason
 * (error, as OTP's `child_terminated`), restarting (info), start and shutdown errors,
 * and the supervisor giving up (error). Each checks the level first, so a silenced
 * logger costs one comparison on the restart path.
 */
import { describe } from '../errors';
import { getLogger, logEnabled } from '../logger';
import type { Pid } from '../runtime/pid';

const log = getLogger('supervisor');

/** Who is reporting and about which child. @internal */
export interface ReportChild {
  readonly id: string;
  readonly restart: string;
  readonly type: string;
}

/** A child was started (or restarted). @internal */
export function reportStarted(sup: object, child: ReportChild, pid: Pid): void {
  if (!logEnabled('debug')) return;
  log.debug('child started', { supervisor: String(sup), child: child.id, pid: pid.toString(), restart: child.restart, type: child.type });
}

/** A child terminated by itself. @internal */
export function reportTerminated(sup: object, child: ReportChild, pid: Pid, reason: unknown): void {
  if (!logEnabled('error')) return;
  log.error('child terminated', { supervisor: String(sup), child: child.id, pid: pid.toString(), reason: describe(reason), restart: child.restart });
}

/** The strategy restarts a child (and perhaps its siblings). @internal */
export function reportRestarting(sup: object, strategy: string, child: ReportChild): void {
  if (!logEnabled('info')) return;
  log.info('restarting', { supervisor: String(sup), child: child.id, strategy });
}

/** A child failed to start (at supervisor start, on a restart, or by startChild). @internal */
export function reportStartError(sup: object, child: ReportChild, reason: unknown): void {
  if (!logEnabled('error')) return;
  log.error('child start failed', { supervisor: String(sup), child: child.id, reason: describe(reason) });
}

/** A child, told to stop, ended with another reason than the one asked for. @internal */
export function reportShutdownError(sup: object, child: ReportChild, pid: Pid, reason: unknown): void {
  if (!logEnabled('error')) return;
  log.error('child shutdown error', { supervisor: String(sup), child: child.id, pid: pid.toString(), reason: describe(reason) });
}

/** The supervisor gives up: too many restarts, or a significant child ended. @internal */
export function reportGivingUp(sup: object, cause: string, child: ReportChild): void {
  if (!logEnabled('error')) return;
  const what = cause === 'auto_shutdown' ? 'significant child terminated, shutting down' : 'reached max restart intensity, shutting down';
  log.error(what, { supervisor: String(sup), child: child.id, cause });
}
