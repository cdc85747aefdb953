/**
 * The cluster former: a GenServer that polls its strategies, connects this node to
 * every node they list and, when a node leaves every list, disconnects it (libcluster's
 * `Cluster.Strategy` processes, with the polling of `DNSPoll`). Run it under a
 * supervisor: `ClusterFormation.childSpec(options)`.
 */
import { Call, GenServer, Info, formatTerm, getLogger, type Ref } from '@grove/core';
import { distOf, type DistNode } from '@grove/distribution';
import { ClusterConfigError } from './errors';
import type { Strategy } from './strategy';

const log = getLogger('cluster');

/** Options of {@link ClusterFormation}. */
export interface ClusterFormationOptions {
  /** Where node names come from; the cluster is the union of what they list. */
  strategies: Strategy | readonly Strategy[];
  /** Time between polls. Default 5000 ms (libcluster's). */
  pollMs?: number;
  /**
   * Disconnect a node that every strategy has stopped listing (a pod gone from the
   * headless service). Default true. Nodes connected some other way (a `send`, a
   * `connect`) that no strategy ever listed are left alone.
   */
  disconnect?: boolean;
  /** Connect as a hidden node (`hiddenConnect`). Default false. */
  hidden?: boolean;
  /** Connections set up at once, at most. Default 16. */
  maxConcurrentConnects?: number;
}

/** What {@link ClusterFormation}'s `members` and `poll` answer. */
export interface ClusterMembers {
  /** Every node the strategies list (their last good answers), without this node. */
  readonly listed: readonly string[];
  /** Those of them this node is connected to. */
  readonly connected: readonly string[];
  /** Strategies whose last poll failed, with why (their previous list is kept). */
  readonly failing: ReadonlyArray<{ readonly strategy: string; readonly error: string }>;
}

/**
 * Connects this distributed node to the nodes its strategies list, and keeps doing so
 * as the lists change. The first poll runs as soon as it starts.
 *
 * @example
 * await ClusterFormation.start(node, { strategies: dnsA({ query: 'app.default.svc.cluster.local', basename: 'app' }) }, { name: 'cluster' });
 * // under a supervisor:
 * ClusterFormation.childSpec({ strategies: [staticNodes(['app@10.0.0.1']), localEpmd()] })
 */
export class ClusterFormation extends GenServer<{ call: 'members' | 'poll' }> {
  private dist!: DistNode;
  private strategies: readonly Strategy[] = [];
  private pollMs = 5000;
  private disconnectGone = true;
  private hidden = false;
  private maxConcurrent = 16;
  private readonly lists = new Map<Strategy, readonly string[]>();
  private readonly errors = new Map<Strategy, string>();
  private listed = new Set<string>();
  private timer: Ref | undefined;

  override init(options: ClusterFormationOptions) {
    if (typeof options !== 'object' || options === null) throw new ClusterConfigError(`Cluster: expected options, got ${formatTerm(options)}`);
    const dist = distOf(this.ctx.node);
    if (dist === undefined) throw new ClusterConfigError(`Cluster: node ${this.ctx.node.name} is not distributed (start it with startDistributed)`);
    const strategies = Array.isArray(options.strategies) ? options.strategies : [options.strategies];
    if (strategies.length === 0 || strategies.some((s) => typeof s?.discover !== 'function')) {
      throw new ClusterConfigError(`Cluster: strategies must be one or more strategies (staticNodes, dnsA, ...), got ${formatTerm(options.strategies)}`);
    }
    this.dist = dist;
    this.strategies = strategies as readonly Strategy[];
    this.pollMs = positive(options.pollMs, 5000, 'pollMs');
    this.maxConcurrent = positive(options.maxConcurrentConnects, 16, 'maxConcurrentConnects');
    this.disconnectGone = options.disconnect !== false;
    this.hidden = options.hidden === true;
    return this.continueWith('poll');
  }

  override async handleContinue(): Promise<void> {
    await this.pollNow();
  }

  /** What the strategies list and which of those nodes are connected. */
  @Call() members(): ClusterMembers {
    return this.snapshot();
  }

  /** Polls now (instead of waiting for the next poll) and answers the result. */
  @Call() async poll(): Promise<ClusterMembers> {
    await this.pollNow();
    return this.snapshot();
  }

  @Info('grove.cluster.poll') async onTimer(): Promise<void> {
    this.timer = undefined;
    await this.pollNow();
  }

  private async pollNow(): Promise<void> {
    if (this.timer !== undefined) this.ctx.cancelTimer(this.timer);
    this.timer = undefined;
    await Promise.all(this.strategies.map((s) => this.discover(s)));
    const now = new Set<string>();
    for (const list of this.lists.values()) for (const n of list) if (n !== this.dist.name) now.add(n);
    const gone = [...this.listed].filter((n) => !now.has(n));
    this.listed = now;
    if (this.disconnectGone) {
      const connected = new Set(this.dist.nodes('connected'));
      for (const n of gone) {
        if (connected.has(n)) {
          log.info(`${this.dist.name}: ${n} is no longer listed; disconnecting`);
          this.dist.disconnect(n);
        }
      }
    }
    await this.connectAll([...now]);
    this.timer = this.ctx.sendAfter(this.self, 'grove.cluster.poll', this.pollMs);
  }

  private async discover(s: Strategy): Promise<void> {
    try {
      const list = await s.discover(this.dist);
      if (!Array.isArray(list)) throw new ClusterConfigError(`answered ${formatTerm(list)}, not a list of node names`);
      this.lists.set(s, list);
      if (this.errors.delete(s)) log.info(`${this.dist.name}: ${s.describe} answers again`);
    } catch (err) {
      const why = err instanceof Error ? err.message : formatTerm(err);
      // Logged when a strategy starts failing, not at every poll.
      if (!this.errors.has(s)) log.warn(`${this.dist.name}: ${s.describe} failed (keeping its last list): ${why}`);
      this.errors.set(s, why);
    }
  }

  private async connectAll(names: string[]): Promise<void> {
    const connected = new Set(this.dist.nodes('connected'));
    const todo = names.filter((n) => !connected.has(n));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const n = todo[next++]!;
        const ok = await (this.hidden ? this.dist.hiddenConnect(n) : this.dist.connect(n)).catch(() => false);
        if (!ok) log.debug(`${this.dist.name}: cannot connect to ${n} yet`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxConcurrent, todo.length) }, worker));
  }

  private snapshot(): ClusterMembers {
    const connected = new Set(this.dist.nodes('connected'));
    const listed = [...this.listed].sort();
    return {
      listed,
      connected: listed.filter((n) => connected.has(n)),
      failing: [...this.errors].map(([s, error]) => ({ strategy: s.describe, error })),
    };
  }
}

function positive(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ClusterConfigError(`Cluster: ${what} must be a positive number, got ${formatTerm(value)}`);
  }
  return value;
}
