/**
 * @grove/cli — the `grove` command: `grove shell` (a REPL that is a node),
 * `grove run` (an application or a main as a node), `grove ping` and `grove names`.
 * Programs use it through the `grove` binary; `main` and `parseArgs` are exported
 * for embedding and tests.
 *
 * @packageDocumentation
 */
export { main, version, type MainIo } from './main';
export { parseArgs, COMMANDS, type Command, type NodeFlags } from './args';
export { helpText } from './help';
export { UsageError, RunModuleError, ShellExitError, ShellInterruptError, type CommandName } from './errors';
export { runShell, type ShellIo } from './shell/shell';
export { runModule, findTarget, type RunTarget, type RunIo } from './run/run';
export { runPing, runNames, pingerName } from './net_adm';
