/**
 * The `grove` command: parse, dispatch, and turn errors into a message and an exit
 * code — 0 success, 1 failure (pang, a node that cannot start, a program that
 * failed), 2 a usage error.
 */
import { GroveError, setLogLevel, type LogLevel } from '@grove/core';
import { parseArgs } from './args';
import { UsageError } from './errors';
import { helpHint, helpText } from './help';
import { runNames, runPing } from './net_adm';
import { runModule } from './run/run';
import { runShell } from './shell/shell';
import { runCerts } from './certs/certs';
import { runTop } from './top';
import { runObserver } from './observer';
import { runNew } from './new/new';

/** Where `grove` writes. */
export interface MainIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * The log level when GROVE_LOG_LEVEL does not say: warnings and errors, as OTP's
 * logger shows by default (progress reports such as "application started" are info,
 * and hidden); for ping only errors, so that its output stays `pong` or `pang`.
 */
const DEFAULT_LOG_LEVEL: Partial<Record<string, LogLevel>> = { ping: 'error' };

/** The package's version, for `grove --version`. */
export function version(): string {
  return (require('../package.json') as { version: string }).version;
}

/**
 * Runs `grove` with `argv` (`process.argv.slice(2)`); resolves with the exit code.
 * Never rejects: every error is reported on stderr.
 */
export async function main(argv: readonly string[], io: MainIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    if (process.env['GROVE_LOG_LEVEL'] === undefined) setLogLevel(DEFAULT_LOG_LEVEL[cmd.command] ?? 'warn');
    switch (cmd.command) {
      case 'help':
        io.stdout.write(helpText(cmd.topic) + '\n');
        return 0;
      case 'version':
        io.stdout.write(`grove ${version()}\n`);
        return 0;
      case 'shell':
        return await runShell(cmd.node);
      case 'run':
        return await runModule(cmd.node, cmd.file, cmd.args, { error: io.stderr }, cmd.workers !== undefined ? { workers: cmd.workers } : {});
      case 'ping':
        return await runPing(cmd.target, cmd.cookie, io);
      case 'names':
        return await runNames(io);
      case 'certs':
        return await runCerts(cmd, io);
      case 'top':
        return await runTop(cmd, io);
      case 'observer':
        return await runObserver(cmd, io);
      case 'new':
        return await runNew(cmd, version(), io);
    }
  } catch (e) {
    return report(e, argv[0], io);
  }
}

function report(e: unknown, command: string | undefined, io: MainIo): number {
  if (e instanceof UsageError) {
    const where = e.command !== undefined ? `grove ${e.command}` : 'grove';
    io.stderr.write(`${where}: ${e.message}\n${helpHint(e.command)}\n`);
    return 2;
  }
  const where = command !== undefined && /^[a-z]+$/.test(command) ? `grove ${command}` : 'grove';
  // Grove's own errors say what happened; a stack would only hide it. Anything else is a bug: show it whole.
  const text = e instanceof GroveError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  io.stderr.write(`${where}: ${text}\n`);
  return 1;
}
