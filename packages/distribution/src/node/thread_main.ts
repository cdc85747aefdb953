/**
 * What a worker thread started by {@link startWorkers} runs: links the thread to the
 * main thread's broker, starts the thread's Grove node, connects it to the node that
 * started it, runs the user's `main` module, then tells the main thread it is ready
 * (or why it failed). The node runs until the thread is terminated.
 *
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { connectToBroker } from '../transport/thread_links';
import { startDistributed, type DistNode } from './dist_node';
import type { ThreadBoot, WorkerInfo } from './workers';

type StartFn = (node: DistNode, info: WorkerInfo) => unknown;

/** The user's module: through `loader`'s `loadModule` when given, else CommonJS by require, an ES module by import. */
async function load(file: string, loader: string | undefined): Promise<Record<string, unknown>> {
  if (loader !== undefined) {
    const { loadModule } = require(loader) as { loadModule: (file: string) => Promise<Record<string, unknown>> };
    return loadModule(file);
  }
  try {
    return require(file) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    // An ES module: import() as the runtime does it (kept out of the CommonJS transform).
    const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;
    return importEsm(pathToFileURL(file).href);
  }
}

async function main(boot: ThreadBoot): Promise<void> {
  connectToBroker(boot.control);
  const node = await startDistributed({
    name: boot.name,
    cookie: boot.cookie,
    ...(boot.epmdPort !== undefined ? { epmdPort: boot.epmdPort } : {}),
    ...(boot.listen !== undefined ? { host: boot.listen } : {}),
  });
  if (!(await node.connect(boot.parent))) throw new Error(`${boot.name} cannot reach ${boot.parent}`);
  if (boot.main !== undefined) {
    const mod = await load(boot.main, boot.loader);
    const entry = boot.entry ?? 'start';
    const def = mod.default as Record<string, unknown> | StartFn | undefined;
    const start = (mod[entry] ?? (typeof def === 'function' && entry === 'start' ? def : (def as Record<string, unknown> | undefined)?.[entry])) as StartFn | undefined;
    if (typeof start !== 'function') throw new Error(`${boot.main} exports no ${entry}(node, info) function`);
    await start(node, { index: boot.index, count: boot.count, parent: boot.parent, data: boot.data });
  }
}

main(workerData as ThreadBoot).then(
  () => parentPort!.postMessage({ type: 'ready' }),
  (err: unknown) => {
    parentPort!.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
  },
);
