/**
 * A cluster harness: named nodes on 127.0.0.1 port 0 with a port mapper of their
 * own (never the machine's 4369), in this OS process or in child OS processes,
 * linked directly or through a fault-injecting {@link Relay}, and all of it stopped
 * by one `stop()` (or after each test by {@link useCluster}).
 */
import * as path from 'node:path';
import { globalOf, startDistributed, type DistNode, type DistOptions } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';
import { ChildNode, type ChildNodeOptions } from './child_node';
import { trackNode } from './nodes';
import { Relay } from './relay';
import { waitFor } from './wait';

export interface ClusterOptions {
  /** The cookie of every node. Default `grove-test-<os pid>`. */
  cookie?: string;
  /** Options for every node this cluster starts (a node's own options come on top). */
  nodeOptions?: Partial<DistOptions>;
}

/** Two nodes whose one link runs through a {@link Relay}. */
export interface RelayedPair {
  a: DistNode;
  b: DistNode;
  relay: Relay;
}

let seq = 0;

export class Cluster {
  private readonly epmds = new Set<EpmdServer>();
  private readonly dist = new Set<DistNode>();
  private readonly children = new Set<ChildNode>();
  private readonly relays = new Set<Relay>();

  private constructor(
    /** The port mapper of the nodes started without one of their own. */
    readonly epmd: EpmdServer,
    readonly cookie: string,
    private readonly options: ClusterOptions,
  ) {
    this.epmds.add(epmd);
  }

  /** A cluster with a port mapper of its own on an ephemeral port; no nodes yet. */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const epmd = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
    return new Cluster(epmd, options.cookie ?? `grove-test-${process.pid}`, options);
  }

  /** A fresh node name: `<prefix><n>_<os pid>@127.0.0.1`. */
  nodeName(prefix = 'n'): string {
    return `${prefix}${++seq}_${process.pid}@127.0.0.1`;
  }

  /** Another port mapper, stopped with the cluster (for nodes that must not find each other directly). */
  async portMapper(): Promise<EpmdServer> {
    const e = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
    this.epmds.add(e);
    return e;
  }

  /** Starts a node in this OS process (on {@link epmd} unless `options.epmdPort` says otherwise). */
  async node(prefix = 'n', options: Partial<DistOptions> = {}): Promise<DistNode> {
    const d = await startDistributed({ name: this.nodeName(prefix), cookie: this.cookie, epmdPort: this.epmd.port, ...this.options.nodeOptions, ...options });
    this.dist.add(d);
    trackNode(d.node);
    return d;
  }

  /** Starts `n` nodes and connects them into a full mesh (global names synced). */
  async nodes(n: number, prefix = 'n', options: Partial<DistOptions> = {}): Promise<DistNode[]> {
    const all: DistNode[] = [];
    for (let i = 0; i < n; i++) all.push(await this.node(prefix, options));
    await this.mesh(all);
    return all;
  }

  /** Connects the first node to the others and waits for a full mesh and synced global tables. */
  async mesh(all: readonly DistNode[]): Promise<void> {
    for (const d of all.slice(1)) {
      if (!(await all[0]!.connect(d.name))) throw new Error(`Cluster.mesh: ${all[0]!.name} could not connect to ${d.name}`);
    }
    await waitFor(() => all.every((d) => d.nodes().length >= all.length - 1), 'a full mesh');
    await Promise.all(all.map((d) => globalOf(d).sync()));
  }

  /**
   * Runs `script` (which calls `serveChild`) as a node in a child OS process, on
   * {@link epmd} unless `options.epmdPort` says otherwise; resolves once it is ready.
   */
  async child(script: string, options: Partial<ChildNodeOptions> & { prefix?: string } = {}): Promise<ChildNode> {
    const { prefix, ...rest } = options;
    const c = await ChildNode.start({ name: this.nodeName(prefix ?? path.basename(script, path.extname(script))), cookie: this.cookie, epmdPort: this.epmd.port, ...rest, script });
    this.children.add(c);
    return c;
  }

  /**
   * Two nodes in this OS process, each with a port mapper of its own, whose link runs
   * through a {@link Relay} (connect them with `a.connect(b.name)`, or by sending).
   */
  async relayed(prefixA = 'a', prefixB = 'b', options: Partial<DistOptions> = {}): Promise<RelayedPair> {
    const [ea, eb] = [await this.portMapper(), await this.portMapper()];
    const a = await this.node(prefixA, { ...options, epmdPort: ea.port });
    const b = await this.node(prefixB, { ...options, epmdPort: eb.port });
    const relay = await this.relay({ name: a.name, epmdPort: ea.port }, { name: b.name, epmdPort: eb.port });
    return { a, b, relay };
  }

  /** A relay between two nodes already registered with port mappers of their own; closed with the cluster. */
  async relay(a: { name: string; epmdPort: number }, b: { name: string; epmdPort: number }, seed?: number): Promise<Relay> {
    const r = await Relay.start({ a, b, ...(seed !== undefined ? { seed } : {}) });
    this.relays.add(r);
    return r;
  }

  /** Kills the children (by pid), closes the relays, stops the nodes, then the port mappers. */
  async stop(): Promise<void> {
    await endAll(this.children, (c) => c.stop());
    await endAll(this.relays, (r) => r.close());
    await endAll(this.dist, (d) => d.stop());
    await endAll(this.epmds, (e) => e.stop());
  }
}

/** Empties `set` and ends each of its items at once. */
async function endAll<T>(set: Set<T>, end: (item: T) => Promise<void>): Promise<void> {
  const items = [...set];
  set.clear();
  await Promise.all(items.map(end));
}

/**
 * Jest: a fresh {@link Cluster} for each test of the enclosing block, stopped after
 * it. Returns a getter (call it inside tests, not at load time).
 */
export function useCluster(options: ClusterOptions = {}): () => Cluster {
  let current: Cluster | undefined;
  beforeEach(async () => {
    current = await Cluster.start(options);
  });
  afterEach(async () => {
    const c = current;
    current = undefined;
    await c?.stop();
  });
  return () => {
    if (current === undefined) throw new Error('useCluster: the cluster exists only inside a test');
    return current;
  };
}
