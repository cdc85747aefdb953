/**
 * What each worker-thread node runs (startWorkers' `main`): it lets other nodes start
 * Hashers on it, and registers `crasher`, which on 'crash' throws outside any process:
 * an uncaught error that ends the whole thread (a bug in native code or an
 * out-of-memory would too).
 */
import type { DistNode, WorkerInfo } from '@grove/distribution';
import { Hasher } from './hasher';

export function start(node: DistNode, info: WorkerInfo): void {
  node.registerSpawnable(Hasher);
  node.node.spawnLoop((msg) => {
    if (msg === 'crash') setImmediate(() => {
      throw new Error(`${node.name}: a bug outside any process`);
    });
  }, { name: 'crasher' });
  console.log(`  worker ${info.index} of ${info.count} up: ${node.name}`);
}
