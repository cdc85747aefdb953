/**
 * `grove run FILE [args]`: start a node and run a module on it (what `erl -s` and a
 * release's boot do for an Erlang application).
 *
 * What FILE exports decides:
 * - `main(node, args)`: called with the Node and the words after FILE. When its
 *   promise resolves to a number, grove stops the node and exits with that code.
 *   Otherwise the node stays up while Node.js has work: a distributed node (it
 *   listens) until Ctrl-C or SIGTERM; a local one until nothing is left to do, as
 *   `node app.js` would. A throw or rejection stops the node and exits 1.
 * - else one Application class (the default export, or the only one exported): it is
 *   started as a permanent application with `args` as its start args, and runs until
 *   Ctrl-C or SIGTERM. If it dies, the node stops and grove exits 1 (OTP halts the
 *   node when a permanent application exits).
 *
 * Ctrl-C and SIGTERM stop the running applications in reverse start order (OTP's
 * `init:stop`), then the node, then exit 0. A second signal exits at once (130).
 */
import { Application, formatTerm, onNodeStop, startApplication, stopApplications, type ApplicationClass, type Node } from '@grove/core';
import type { NodeFlags } from '../args';
import { RunModuleError } from '../errors';
import * as path from 'node:path';
import { startWorkers, type WorkerNodes } from '@grove/distribution';
import { loadModule, type ModuleExports } from './module_loader';
import { startNode, type StartedNode } from '../node_start';

/** What a module gives `grove run`. */
export type RunTarget =
  | { readonly kind: 'main'; readonly main: (node: Node, args: string[]) => unknown }
  | { readonly kind: 'application'; readonly app: ApplicationClass };

/** Finds `main` or an Application class in a module's exports. */
export function findTarget(file: string, exports: ModuleExports): RunTarget {
  const mod = exports as Record<string, unknown>;
  const main = mod['main'] ?? (mod['default'] as Record<string, unknown> | undefined)?.['main'];
  if (typeof main === 'function') return { kind: 'main', main: main as (node: Node, args: string[]) => unknown };
  if (main !== undefined) throw new RunModuleError(file, `its export main is not a function (${typeof main})`);
  if (isApplicationClass(mod['default'])) return { kind: 'application', app: mod['default'] };
  const apps = Object.entries(mod).filter(([, v]) => isApplicationClass(v)) as [string, ApplicationClass][];
  if (apps.length === 1) return { kind: 'application', app: apps[0]![1] };
  if (apps.length > 1) {
    throw new RunModuleError(file, `it exports several Application classes (${apps.map(([k]) => k).join(', ')}); export the one to run as default`);
  }
  throw new RunModuleError(file, 'it exports neither main(node, args) nor an Application class');
}

function isApplicationClass(v: unknown): v is ApplicationClass {
  return typeof v === 'function' && v.prototype instanceof Application;
}

/** Output streams of `grove run` (for its own messages; the program writes where it likes). */
export interface RunIo {
  readonly error: NodeJS.WritableStream;
}

/** How `grove run` runs a module, beyond the node's flags. */
export interface RunOptions {
  /**
   * Worker-thread nodes to start first (`--workers N`): `<alive>_1@host`, ... each loads
   * FILE too and calls its `worker(node, info)` export when it has one.
   */
  readonly workers?: number;
}

/** Runs `file`; resolves with the exit code once grove should exit. */
export async function runModule(flags: NodeFlags, file: string, args: readonly string[], io: RunIo = { error: process.stderr }, options: RunOptions = {}): Promise<number> {
  const exports = await loadModule(file);
  const target = findTarget(file, exports);
  const started = await startNode(flags, 'run');
  let workers: WorkerNodes | undefined;
  if (options.workers !== undefined) {
    try {
      workers = await startWorkers(started.dist!, {
        count: options.workers,
        ...(typeof exports['worker'] === 'function' ? { main: path.resolve(file), entry: 'worker', loader: require.resolve('./module_loader') } : {}),
      });
    } catch (e) {
      await started.stop();
      throw e;
    }
  }
  const stop = async (): Promise<void> => {
    await workers?.stop();
    await started.stop();
  };
  return new Promise<number>((resolve) => new Runner({ ...started, stop }, io, resolve).start(target, [...args]));
}

class Runner {
  private stopping = false;
  private readonly signalled = (): void => {
    if (this.stopping) {
      this.io.error.write('grove run: stopping at once\n');
      process.exit(130);
    }
    void this.finish(0);
  };

  constructor(
    private readonly started: StartedNode,
    private readonly io: RunIo,
    private readonly done: (code: number) => void,
  ) {}

  start(target: RunTarget, args: string[]): void {
    process.on('SIGINT', this.signalled);
    process.on('SIGTERM', this.signalled);
    const node = this.started.node;
    if (target.kind === 'application') {
      onNodeStop(node, ({ application, reason }) => {
        this.io.error.write(`grove run: application ${application} exited (${formatTerm(reason)}); stopping the node\n`);
        void this.finish(1);
      });
      startApplication(node, target.app, { type: 'permanent', args }).then(
        () => this.keepAlive(),
        (e: unknown) => this.fail(`application ${target.app.name} did not start`, e),
      );
      return;
    }
    let result: unknown;
    try {
      result = target.main(node, args);
    } catch (e) {
      this.fail('main threw', e);
      return;
    }
    Promise.resolve(result).then(
      (code) => {
        if (typeof code === 'number') void this.finish(code);
        // Otherwise: stay up while Node.js has work; `beforeExit` means a local node ran out of it.
        else process.once('beforeExit', () => void this.finish(0));
      },
      (e: unknown) => this.fail('main failed', e),
    );
  }

  /** An application runs until a signal, even on a node with no socket open. */
  private keepAlive(): void {
    if (this.stopping) return;
    this.timer = setInterval(() => {}, 1 << 30);
  }

  private timer: ReturnType<typeof setInterval> | null = null;

  private fail(what: string, e: unknown): void {
    // main failing because a signal is stopping the node under it is no news.
    if (this.stopping) return;
    this.io.error.write(`grove run: ${what}: ${e instanceof Error ? (e.stack ?? e.message) : formatTerm(e)}\n`);
    void this.finish(1);
  }

  private async finish(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    try {
      await stopApplications(this.started.node);
    } catch (e) {
      this.io.error.write(`grove run: stopping the applications failed: ${e instanceof Error ? e.message : formatTerm(e)}\n`);
      code = code === 0 ? 1 : code;
    }
    await this.started.stop();
    process.off('SIGINT', this.signalled);
    process.off('SIGTERM', this.signalled);
    this.done(code);
  }
}
