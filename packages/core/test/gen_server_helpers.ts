/**
 * Shared bits for the GenServer tests: a log capture, a waitFor, and a DOWN waiter.
 */
import { getLogger, isDownMessage, setLogLevel, type DownMessage, type Pid, type ProcessContext } from '@grove/core';

/** Polls `cond` on every event-loop turn until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`waitFor: timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Monitors `pid` and resolves with its exit reason. */
export async function downReason(ctx: ProcessContext, pid: Pid): Promise<unknown> {
  const ref = ctx.monitor(pid);
  const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
  return down.reason;
}

export interface LogRecord {
  logger: string;
  level: string;
  message: string;
  data: Record<string, unknown>;
}

interface TsLogSettings {
  type: string;
  attachedTransports: ((o: Record<string, unknown>) => void)[];
}

/**
 * Captures what the named loggers write at `warn` and above (nothing reaches the
 * console). Call `restore()` in afterEach.
 */
export function captureLogs(names: string[] = ['gen_server', 'process']): { records: LogRecord[]; restore: () => void } {
  const records: LogRecord[] = [];
  const undo: (() => void)[] = [];
  for (const name of names) {
    const settings = getLogger(name).settings as unknown as TsLogSettings;
    const type = settings.type;
    const transport = (o: Record<string, unknown>): void => {
      const meta = o['_meta'] as { logLevelName: string };
      records.push({ logger: name, level: meta.logLevelName, message: String(o['0']), data: (o['1'] ?? {}) as Record<string, unknown> });
    };
    settings.type = 'hidden';
    settings.attachedTransports.push(transport);
    undo.push(() => {
      settings.type = type;
      settings.attachedTransports.splice(settings.attachedTransports.indexOf(transport), 1);
    });
  }
  setLogLevel('warn');
  return {
    records,
    restore: () => {
      setLogLevel('silent');
      for (const u of undo) u();
    },
  };
}
