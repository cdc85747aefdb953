/**
 * A pool of GenServers spread over nodes (typically the worker-thread nodes of
 * {@link startWorkers}): one or more servers of one class per node, and a pick of one
 * of them per request, round-robin or by a key's hash (so that one key always reaches
 * the same server, e.g. a cache shard).
 */
import { formatTerm, GenServer, stopServer, termKey, type ProcessContext, type ServerRef, type TermKeyPolicy } from '@grove/core';
import { DistNodeError } from '../errors';
import { spawnRemote, type RemoteStartArgs } from './dist_node';

/** How a pool picks a server for a request. */
export type PoolPick = 'round_robin' | 'hash';

/** Options of {@link ServerPool.start}. */
export interface ServerPoolOptions {
  /** The nodes to start servers on (each must have `registerSpawnable(Cls)`). */
  nodes: readonly string[];
  /** Servers per node. Default 1. */
  perNode?: number;
  /** `round_robin` (default) for `pick()`; `hash` makes `pick(key)` stable per key. */
  pick?: PoolPick;
}

const KEYS: TermKeyPolicy = {
  noun: 'a pool key',
  plain: true,
  error: (at, detail, value) => new DistNodeError(`ServerPool.pickFor: ${formatTerm(value)} cannot be a key (${at}: ${detail})`),
};

/**
 * GenServers of one class on several nodes, started with `spawnRemote` (not linked, not
 * restarted: for servers that come back when their node does, run `remoteChild` specs
 * under a supervisor instead).
 *
 * @example
 * // on each worker node: dist.registerSpawnable(Hasher)
 * const pool = await ServerPool.start(ctx, Hasher, undefined, { nodes: workers.nodes });
 * const digest = await pool.pick().call.hash(data);           // round-robin
 * const shard = pool.pickFor(userId);                          // always the same server for userId
 */
export class ServerPool<S extends GenServer<any>> {
  private next = 0;

  private constructor(
    /** The servers, node by node. */
    readonly members: readonly ServerRef<S>[],
    /** How `pick()` chooses (see {@link ServerPoolOptions.pick}). */
    readonly mode: PoolPick,
  ) {}

  /** Starts `perNode` servers of `cls` with init's argument `arg` on every node. */
  static async start<S extends GenServer<any>>(
    from: ProcessContext,
    cls: new () => S,
    arg: RemoteStartArgs<S>[0],
    options: ServerPoolOptions,
  ): Promise<ServerPool<S>> {
    if (typeof options !== 'object' || options === null || !Array.isArray(options.nodes) || options.nodes.length === 0) {
      throw new DistNodeError(`ServerPool.start: options.nodes must list at least one node, got ${formatTerm(options?.nodes)}`);
    }
    const perNode = options.perNode ?? 1;
    if (!Number.isInteger(perNode) || perNode < 1) throw new DistNodeError(`ServerPool.start: perNode must be a positive integer, got ${formatTerm(perNode)}`);
    const starts = options.nodes.flatMap((node) =>
      Array.from({ length: perNode }, () => spawnRemote(from, node, cls, ...([arg] as RemoteStartArgs<S>))),
    );
    const settled = await Promise.allSettled(starts);
    const members = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      // All or nothing: stop the servers that did start.
      await Promise.all(members.map((m) => stopServer(from, m.pid).catch(() => undefined)));
      throw new DistNodeError(`ServerPool.start: a ${cls.name} did not start: ${(failed.reason as Error)?.message ?? formatTerm(failed.reason)}`, { cause: failed.reason });
    }
    return new ServerPool(members, options.pick ?? 'round_robin');
  }

  /** How many servers. */
  get size(): number {
    return this.members.length;
  }

  /** The next server: round-robin; with `pick: 'hash'` and a key, {@link pickFor}(key). */
  pick(key?: unknown): ServerRef<S> {
    if (this.mode === 'hash' && key !== undefined) return this.pickFor(key);
    const m = this.members[this.next]!;
    this.next = (this.next + 1) % this.members.length;
    return m;
  }

  /** The server for `key`: the same one for equal keys (any term), as long as the pool is the same. */
  pickFor(key: unknown): ServerRef<S> {
    return this.members[hash(termKey(key, KEYS)) % this.members.length]!;
  }

  /** Stops every server (`stopServer`, reason `normal`). */
  async stop(from: ProcessContext): Promise<void> {
    await Promise.all(this.members.map((m) => stopServer(from, m.pid).catch(() => undefined)));
  }
}

/** FNV-1a over UTF-16 code units: stable across nodes and runs. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
