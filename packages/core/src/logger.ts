/**
 * Structured logging through tslog: crash reports, supervisor reports and progress
 * reports, each an object with the pid and name it is about.
 *
 * The level comes from `setLogLevel`, else `GROVE_LOG_LEVEL`, else `info`; under jest
 * (`JEST_WORKER_ID` set) the default is `silent` so test output stays clean.
 */
import { Logger, type ILogObj } from 'tslog';

/** Log levels, quietest last. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const LEVELS: Record<LogLevel, number> = { trace: 1, debug: 2, info: 3, warn: 4, error: 5, fatal: 6, silent: 7 };

function initialLevel(): LogLevel {
  const env = process.env['GROVE_LOG_LEVEL'];
  if (env !== undefined && env in LEVELS) return env as LogLevel;
  return process.env['JEST_WORKER_ID'] !== undefined ? 'silent' : 'info';
}

let level: LogLevel = initialLevel();
/** `LEVELS[level]`, kept beside it: `logEnabled` runs on hot paths (a restart asks three times). */
let levelNumber = LEVELS[level];

/** The root logger; packages make children of it with {@link getLogger}. */
export const rootLogger: Logger<ILogObj> = new Logger<ILogObj>({
  name: 'grove',
  // tslog warns about a minLevel outside 0-6 ('silent' is 7): construct in range, set the real level below.
  minLevel: Math.min(LEVELS[level], LEVELS.fatal),
  type: process.env['GROVE_LOG_FORMAT'] === 'json' ? 'json' : 'pretty',
  prettyLogTemplate: '{{hh}}:{{MM}}:{{ss}}.{{ms}} {{logLevelName}} [{{name}}] ',
  hideLogPositionForProduction: true,
  // Colours only on a terminal: piped output (CI logs, the CLI under test) stays plain text.
  stylePrettyLogs: process.stdout.isTTY === true,
});
rootLogger.settings.minLevel = LEVELS[level];

const children = new Map<string, Logger<ILogObj>>();

/** A named child of the root logger (e.g. `supervisor`, `dist`). */
export function getLogger(name: string): Logger<ILogObj> {
  let child = children.get(name);
  if (child === undefined) {
    child = rootLogger.getSubLogger({ name, minLevel: LEVELS.fatal });
    child.settings.minLevel = LEVELS[level];
    children.set(name, child);
  }
  return child;
}

/** Sets the minimum level for every Grove logger. */
export function setLogLevel(next: LogLevel): void {
  if (!(next in LEVELS)) throw new TypeError(`unknown log level ${JSON.stringify(next)}`);
  level = next;
  levelNumber = LEVELS[next];
  rootLogger.settings.minLevel = LEVELS[next];
  for (const child of children.values()) child.settings.minLevel = LEVELS[next];
}

/** The current minimum level. */
export function getLogLevel(): LogLevel {
  return level;
}

/** True when a message at `at` would be written (lets callers skip building reports). */
export function logEnabled(at: LogLevel): boolean {
  return LEVELS[at] >= levelNumber;
}
