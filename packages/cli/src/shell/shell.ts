/**
 * `grove shell`: a REPL that is itself a node (erl's shell, iex).
 *
 * Built on Node's `repl` module, which brings top-level `await`, multi-line input,
 * history and completion on a terminal. Grove adds:
 * - evaluation inside the shell process (process.ts), one line after another;
 * - a promise that an expression returns is awaited, so `ping(n)` prints `'pong'`;
 * - erl's prompt `(alice@127.0.0.1)1>`, whose counter moves on with each command
 *   evaluated (not on an empty line, not on a line that continues);
 * - piped stdin (no TTY) fed one line at a time (line_feeder.ts), until it closes;
 * - Ctrl-C on a terminal while a line runs interrupts that line (process.ts), so a
 *   `receive()` that waits forever cannot hang the shell; the shell process stays,
 *   with its mailbox, links and names. At an idle prompt Ctrl-C does what Node's REPL
 *   does (clears the line; twice exits).
 *
 * The REPL evaluates in the main context (`useGlobal`), not a fresh `vm` context:
 * objects typed at the prompt must be plain objects of this realm, or the term
 * checks would refuse them as unsendable. The helpers are therefore globals of the
 * CLI's process, and `global` is a proxy that serves the global registry's functions
 * and falls back to Node's global object for everything else.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import * as repl from 'node:repl';
import { formatTerm, GroveError } from '@grove/core';
import type { NodeFlags } from '../args';
import { LineFeeder } from './line_feeder';
import { startNode } from '../node_start';
import { makeHelpers } from './helpers';
import { ShellProcess } from './process';
import { makeServices, startDefaultScope } from './services';

/** Streams a shell reads and writes (stdin/stdout by default). */
export interface ShellIo {
  readonly input: Readable & { isTTY?: boolean };
  readonly output: Writable & { isTTY?: boolean };
  readonly error: Writable;
}

type EvalCallback = (err: Error | null, result?: unknown) => void;
type EvalFn = (this: repl.REPLServer, cmd: string, context: object, file: string, cb: EvalCallback) => void;

/** Runs a shell until its input closes (or SIGTERM); resolves with the exit code. */
export async function runShell(flags: NodeFlags, io: ShellIo = { input: process.stdin, output: process.stdout, error: process.stderr }): Promise<number> {
  const started = await startNode(flags, 'shell');
  const { node, dist } = started;
  const print = (line: string): void => void io.output.write(line + '\n');
  const shell = new ShellProcess(node, (old, reason, next) => print(`*** the shell process ${old} exited (${formatTerm(reason)}); the new shell process is ${next}`));
  const services = makeServices(shell);
  const problem = await startDefaultScope(shell);
  if (problem !== undefined) io.error.write(`grove shell: ${problem}\n`);

  const tty = io.input.isTTY === true && io.output.isTTY === true;
  const prompt = (n: number): string => (dist === undefined ? `${n}> ` : `(${node.name})${n}> `);
  if (tty) print(`Grove shell on ${node.name} (help() lists the helpers, Ctrl-D quits)\n`);
  const input = tty ? io.input : new PassThrough();
  const r = repl.start({ prompt: prompt(1), input, output: io.output, terminal: tty, useGlobal: true });
  installHelpers(r, makeHelpers({ node, dist, shell, services, print }), services.global);

  let count = 1;
  const step = (err: unknown): void => {
    if (err instanceof repl.Recoverable) return;
    r.setPrompt(prompt(++count));
  };
  const evaluate = evaluator(r, step);
  (r as unknown as { eval: EvalFn }).eval = function (cmd, context, file, cb) {
    if (cmd.trim() === '') return cb(null); // one argument: the REPL prints nothing
    // A promise the line returns is awaited: resolving evaluate's promise with it adopts it.
    shell
      .run(function evaluateJob() {
        return evaluate(cmd, context, file);
      })
      .then(
        (value) => {
          step(null);
          cb(null, value);
        },
        (err: unknown) => {
          if (err === REPORTED) return;
          step(err);
          cb(err instanceof Error ? err : new Error(formatTerm(err)));
        },
      );
  };

  if (!tty) {
    const feeder = new LineFeeder(io.input, input as PassThrough);
    const display = r.displayPrompt.bind(r);
    r.displayPrompt = (preserveCursor?: boolean): void => {
      display(preserveCursor);
      feeder.ready();
    };
  }
  const closed = new Promise<void>((resolve) => r.on('exit', resolve));
  // Ctrl-C on a terminal while a line is still running (a receive() that waits):
  // interrupt the line, as erl's JCL interrupt does; at an idle prompt, the REPL's own.
  if (tty) {
    const replOwn = r.listeners('SIGINT') as Array<() => void>;
    r.removeAllListeners('SIGINT');
    r.on('SIGINT', () => {
      if (!shell.interrupt()) for (const fn of replOwn) fn.call(r);
    });
  }
  const onTerm = (): void => r.close();
  process.on('SIGTERM', onTerm);
  if (!tty) process.on('SIGINT', onTerm);
  try {
    await closed;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onTerm);
    shell.close();
    await started.stop();
  }
  return 0;
}

/** The rejection of an evaluation whose error the REPL already printed. */
const REPORTED: unique symbol = Symbol('reported');

/**
 * The REPL's own evaluation (which brings top-level await) as a promise. It does not
 * call back when the code throws: it hands the error to the REPL's domain, which
 * prints it and shows the prompt. A listener put first on that domain settles the
 * promise then (after stepping the counter, so the prompt shown is the next one).
 */
function evaluator(r: repl.REPLServer, step: (err: unknown) => void): (cmd: string, context: object, file: string) => Promise<unknown> {
  const evaluate = r.eval as unknown as EvalFn;
  const domain = (r as unknown as { _domain?: NodeJS.EventEmitter })._domain;
  let pending: ((err: unknown) => void) | null = null;
  domain?.prependListener('error', (err: unknown) => {
    // Grove's errors say what happened; their frames inside the runtime only add noise.
    if (err instanceof GroveError) err.stack = `${err.name}: ${err.message}`;
    const fail = pending;
    if (fail === null) return;
    pending = null;
    step(err);
    fail(REPORTED);
  });
  // Named functions: the REPL cuts an error's stack at the last anonymous frame, which
  // must be the typed code's, or the frames of this wrapper would show.
  return function evaluateLine(cmd, context, file) {
    return new Promise<unknown>(function evaluating(resolve, reject) {
      pending = reject;
      evaluate.call(r, cmd, context, file, function evaluated(err, result) {
        pending = null;
        if (err !== null && err !== undefined) reject(err);
        else resolve(result);
      });
    });
  };
}

/** Puts the helpers in the REPL's (global) scope; `global` keeps working as Node's global object for other code. */
function installHelpers(r: repl.REPLServer, helpers: Record<string, unknown>, registry: object): void {
  const context = r.context as Record<string, unknown>;
  for (const [name, value] of Object.entries(helpers)) {
    if (name !== 'global') context[name] = value;
  }
  context['global'] = new Proxy(globalThis, {
    get(target, key, receiver) {
      if (typeof key === 'string' && key in registry) return (registry as Record<string, unknown>)[key];
      return Reflect.get(target, key, receiver);
    },
  });
}
