/**
 * `grove observer`: a hidden node that serves a live web page of the cluster
 * (@grove/observer's `start`): nodes, processes, supervision trees, global names and
 * process groups, read from each node's introspection service. It prints the page's
 * address and runs until Ctrl-C or SIGTERM.
 */
import type * as Observer from '@grove/observer';
import { startNode } from './node_start';
import type { NodeFlags } from './args';

/** What `grove observer` was asked for. */
export interface ObserverCommand {
  readonly command: 'observer';
  /** The observer's own node (hidden; its --connect nodes are the observer's). */
  readonly node: NodeFlags;
  /** The page's port (`--port`), address (`--listen`) and token (`--token`). */
  readonly port?: number;
  readonly listen?: string;
  readonly token?: string;
  readonly allowWrite: boolean;
}

/** Where observer writes. */
export interface ObserverIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Runs the observer until Ctrl-C or SIGTERM; 0 then. */
export async function runObserver(cmd: ObserverCommand, io: ObserverIo): Promise<number> {
  // @grove/observer is an optional peer of the CLI: loaded only for this command.
  let start: typeof Observer.start;
  try {
    ({ start } = require('@grove/observer') as typeof Observer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    io.stderr.write('grove observer: @grove/observer is not installed; install it beside @grove/cli (npm install @grove/observer)\n');
    return 1;
  }
  const { connect, ...flags } = cmd.node;
  const started = await startNode({ ...flags, hidden: true });
  try {
    const observer = await start(started.dist!, {
      allowWrite: cmd.allowWrite,
      connect: connect ?? [],
      ...(cmd.port !== undefined ? { port: cmd.port } : {}),
      ...(cmd.listen !== undefined ? { host: cmd.listen } : {}),
      ...(cmd.token !== undefined ? { token: cmd.token } : {}),
    });
    // Listening before the address is printed: whoever reads it may send Ctrl-C at once.
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    for (const peer of connect ?? []) {
      if (!started.dist!.nodes('connected').includes(peer)) io.stderr.write(`grove observer: cannot connect to ${peer} (not running, another cookie, or not allowed); going on without it\n`);
    }
    io.stdout.write(`grove observer: ${observer.url} (node ${started.node.name}, ${cmd.allowWrite ? 'kill and send allowed' : 'read-only'}; Ctrl-C to stop)\n`);
    await stopped;
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await observer.close();
    return 0;
  } finally {
    await started.stop();
  }
}
