/**
 * @grove/cli — the `grove` command: `grove shell` (a REPL that is a node),
 * `grove run` (an application or a main as a node), `grove ping`, `grove names` and
 * `grove certs` (a CA and node certificates for TLS distribution).
 * Programs use it through the `grove` binary; `main` and `parseArgs` are exported
 * for embedding and tests.
 *
 * @packageDocumentation
 */
export { main, version, type MainIo } from './main';
export { parseArgs, COMMANDS, DEFAULT_CERTS_DIR, DEFAULT_CERT_DAYS, type Command, type NodeFlags, type TlsFiles } from './args';
export { helpText } from './help';
export { UsageError, RunModuleError, ShellExitError, ShellInterruptError, CertsError, type CommandName } from './errors';
export { runCerts, CA_DAYS, type CertsRequest, type CertsIo } from './certs/certs';
export { runShell, type ShellIo } from './shell/shell';
export { runModule, findTarget, type RunTarget, type RunIo, type RunOptions } from './run/run';
export { runPing, runNames, pingerName } from './net_adm';
export { runTop, formatTop, type TopCommand, type TopIo } from './top';
export { runObserver, type ObserverCommand, type ObserverIo } from './observer';
export { runNew, type NewRequest, type NewIo } from './new/new';
export { NewProjectError } from './errors';
export type { ModuleExports } from './run/module_loader';
export type { PingIo, NamesIo } from './net_adm';
