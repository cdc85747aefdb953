/**
 * Grove's logging: crash reports, supervisor reports and progress reports, each a
 * message and an object of fields (the pid and name it is about), through a small
 * interface of Grove's own, so that no logging library's types reach the published
 * `.d.ts` files.
 *
 * - Levels per subsystem: `setLogLevel('warn')` sets the default,
 *   `setLogLevel('supervisor', 'debug')` one subsystem's (the name given to
 *   {@link getLogger}: `supervisor`, `gen_server`, `process`, `application`, `sys`,
 *   `dist`, ...). The default comes from `setLogLevel`, else `GROVE_LOG_LEVEL`
 *   (`warn`, or `warn,supervisor=debug`), else `info`; under jest (`JEST_WORKER_ID`
 *   set) `silent`, so test output stays clean.
 * - One sink writes every record that passes its subsystem's level: tslog by default
 *   (`GROVE_LOG_FORMAT=json` for JSON lines), {@link consoleSink}, or a function of the
 *   user's own (an adapter to pino: see the README) given to {@link setLogSink}.
 * - Pids and refs in a record are written as their text (`#PID<node.id.serial>`),
 *   never as raw objects.
 */
// tslog's typings are ES-module ones; its `require` entry is CommonJS: types from the one, the value from the other.
import type * as TsLog from 'tslog' with { 'resolution-mode': 'import' };
import { Pid } from './runtime/pid';
import { Ref } from './runtime/ref';

/** Log levels, quietest last. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The levels a record can have (every level but `silent`). */
export type LogRecordLevel = Exclude<LogLevel, 'silent'>;

/** One log line, as a sink gets it. */
export interface LogRecord {
  /** When it was logged. */
  readonly time: Date;
  readonly level: LogRecordLevel;
  /** The logger's name: `supervisor`, `gen_server`, `process`, `application`, `dist`, ... */
  readonly subsystem: string;
  /** The first argument (as text when it was not a string). */
  readonly message: string;
  /** The fields of a report (`{ pid, reason, ... }`): the argument after the message when it is a plain object. */
  readonly fields: Readonly<Record<string, unknown>> | undefined;
  /** Any further arguments. */
  readonly extra: readonly unknown[];
}

/** Where log records go: one function, called for each record that passes its subsystem's level. */
export type LogSink = (record: LogRecord) => void;

/** A named logger, as {@link getLogger} gives it. Each method takes a message, then (usually) an object of fields. */
export interface Logger {
  /** The subsystem it logs for. */
  readonly name: string;
  trace(message: unknown, ...args: unknown[]): void;
  debug(message: unknown, ...args: unknown[]): void;
  info(message: unknown, ...args: unknown[]): void;
  warn(message: unknown, ...args: unknown[]): void;
  error(message: unknown, ...args: unknown[]): void;
  fatal(message: unknown, ...args: unknown[]): void;
  /** True when a record at `level` would be written (lets a caller skip building it). */
  enabled(level: LogRecordLevel): boolean;
}

const LEVELS: Record<LogLevel, number> = { trace: 1, debug: 2, info: 3, warn: 4, error: 5, fatal: 6, silent: 7 };

function isLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(LEVELS, value);
}

/** The default level and the per-subsystem ones. */
let defaultLevel: LogLevel = 'info';
const overrides = new Map<string, LogLevel>();

/** `GROVE_LOG_LEVEL`: `warn`, or `warn,supervisor=debug,dist=error`; parts that make no sense are ignored. */
function readEnvironment(): void {
  defaultLevel = process.env['JEST_WORKER_ID'] !== undefined ? 'silent' : 'info';
  const env = process.env['GROVE_LOG_LEVEL'];
  if (env === undefined) return;
  for (const part of env.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (isLevel(part.trim())) defaultLevel = part.trim() as LogLevel;
    } else {
      const name = part.slice(0, eq).trim();
      const lvl = part.slice(eq + 1).trim();
      if (name !== '' && isLevel(lvl)) overrides.set(name, lvl);
    }
  }
}
readEnvironment();

class NamedLogger implements Logger {
  /** The number of this subsystem's level: a record passes when its level's number is at least this. */
  threshold: number;

  constructor(readonly name: string) {
    this.threshold = LEVELS[overrides.get(name) ?? defaultLevel];
  }

  enabled(level: LogRecordLevel): boolean {
    return LEVELS[level] >= this.threshold;
  }

  trace(message: unknown, ...args: unknown[]): void {
    if (this.threshold <= 1) write(this.name, 'trace', message, args);
  }
  debug(message: unknown, ...args: unknown[]): void {
    if (this.threshold <= 2) write(this.name, 'debug', message, args);
  }
  info(message: unknown, ...args: unknown[]): void {
    if (this.threshold <= 3) write(this.name, 'info', message, args);
  }
  warn(message: unknown, ...args: unknown[]): void {
    if (this.threshold <= 4) write(this.name, 'warn', message, args);
  }
  error(message: unknown, ...args: unknown[]): void {
    if (this.threshold <= 5) write(this.name, 'error', message, args);
  }
  fatal(message: unknown, ...args: unknown[]): void {
    if (this.threshold <= 6) write(this.name, 'fatal', message, args);
  }
}

const loggers = new Map<string, NamedLogger>();
/** The lowest threshold of all: `logEnabled` runs on hot paths (a restart asks three times). */
let lowestThreshold = LEVELS[defaultLevel];

function recompute(): void {
  let lowest = LEVELS[defaultLevel];
  for (const lvl of overrides.values()) lowest = Math.min(lowest, LEVELS[lvl]);
  for (const logger of loggers.values()) logger.threshold = LEVELS[overrides.get(logger.name) ?? defaultLevel];
  lowestThreshold = lowest;
}
recompute();

/** The logger of a subsystem (e.g. `supervisor`, `dist`); the same object for the same name. */
export function getLogger(name: string): Logger {
  let logger = loggers.get(name);
  if (logger === undefined) {
    logger = new NamedLogger(name);
    loggers.set(name, logger);
  }
  return logger;
}

/**
 * Sets the default level (`setLogLevel('warn')`), or one subsystem's
 * (`setLogLevel('supervisor', 'debug')`; `null` for the level makes the subsystem
 * follow the default again).
 *
 * @throws TypeError for an unknown level or an empty subsystem name.
 */
export function setLogLevel(level: LogLevel): void;
export function setLogLevel(subsystem: string, level: LogLevel | null): void;
export function setLogLevel(first: string, second?: LogLevel | null): void {
  if (second === undefined) {
    if (!isLevel(first)) throw new TypeError(`unknown log level ${JSON.stringify(first)}`);
    defaultLevel = first;
  } else {
    if (typeof first !== 'string' || first === '') throw new TypeError(`a subsystem name must be a non-empty string, got ${JSON.stringify(first)}`);
    if (second === null) overrides.delete(first);
    else if (!isLevel(second)) throw new TypeError(`unknown log level ${JSON.stringify(second)}`);
    else overrides.set(first, second);
  }
  recompute();
}

/** The default level, or a subsystem's (its own, else the default). */
export function getLogLevel(subsystem?: string): LogLevel {
  return (subsystem !== undefined ? overrides.get(subsystem) : undefined) ?? defaultLevel;
}

/** @internal True when a record at `at` would be written by some subsystem (callers still log through their logger, which checks its own level). */
export function logEnabled(at: LogLevel): boolean {
  return LEVELS[at] >= lowestThreshold;
}

// ---- records and sinks ----

/** A pid or ref as its text; anything else as it is. */
function printable(value: unknown): unknown {
  return value instanceof Pid || value instanceof Ref ? value.toString() : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Builds the record (pids and refs as text, at the top level and one level into the fields) and hands it to the sink. */
function write(subsystem: string, level: LogRecordLevel, message: unknown, args: unknown[]): void {
  let fields: Record<string, unknown> | undefined;
  let rest = args;
  if (args.length > 0 && isPlainObject(args[0])) {
    fields = {};
    for (const key of Object.keys(args[0])) fields[key] = printable(args[0][key]);
    rest = args.slice(1);
  }
  const record: LogRecord = {
    time: new Date(),
    level,
    subsystem,
    message: typeof message === 'string' ? message : String(printable(message)),
    fields,
    extra: rest.map(printable),
  };
  try {
    sink(record);
  } catch {
    // A sink that throws must not take down the process that logged.
  }
}

type TsLogger = TsLog.Logger<TsLog.ILogObj>;
let tslogRoot: TsLogger | undefined;
const tslogChildren = new Map<string, TsLogger>();

/** The default sink: tslog, pretty (colours on a terminal only) or JSON lines with `GROVE_LOG_FORMAT=json`. */
export const tslogSink: LogSink = (record) => {
  let child = tslogChildren.get(record.subsystem);
  if (child === undefined) {
    const { Logger } = require('tslog') as typeof TsLog;
    tslogRoot ??= new Logger<TsLog.ILogObj>({
      name: 'grove',
      minLevel: 0,
      type: process.env['GROVE_LOG_FORMAT'] === 'json' ? 'json' : 'pretty',
      prettyLogTemplate: '{{hh}}:{{MM}}:{{ss}}.{{ms}} {{logLevelName}} [{{name}}] ',
      hideLogPositionForProduction: true,
      // Colours only on a terminal: piped output (CI logs, the CLI under test) stays plain text.
      stylePrettyLogs: process.stdout.isTTY === true,
    });
    child = tslogRoot.getSubLogger({ name: record.subsystem });
    tslogChildren.set(record.subsystem, child);
  }
  const args: unknown[] = [record.message];
  if (record.fields !== undefined) args.push(record.fields);
  args.push(...record.extra);
  child[record.level](...args);
};

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * A sink to `console` (no dependency): `12:00:00.000 WARN [grove:supervisor] message { fields }`,
 * errors and warnings through `console.error`, the rest through `console.log`.
 */
export const consoleSink: LogSink = (record) => {
  const t = record.time;
  const head = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)} ${record.level.toUpperCase()} [grove:${record.subsystem}] ${record.message}`;
  const args: unknown[] = [head];
  if (record.fields !== undefined) args.push(record.fields);
  args.push(...record.extra);
  if (LEVELS[record.level] >= LEVELS.warn) console.error(...args);
  else console.log(...args);
};

let sink: LogSink = tslogSink;

/**
 * Replaces the sink every Grove logger writes to (`null`: back to the default,
 * {@link tslogSink}). Levels still decide what reaches it.
 *
 * @throws TypeError when `next` is neither a function nor null.
 */
export function setLogSink(next: LogSink | null): void {
  if (next !== null && typeof next !== 'function') throw new TypeError('a log sink must be a function (record) => void, or null for the default');
  sink = next ?? tslogSink;
}
