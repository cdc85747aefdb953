/**
 * What the observer knows of the cluster, refreshed every interval: each connected
 * node's summary (from its introspection service), message rates per connection and
 * in all computed from two summaries in a row, a short history of them for the
 * charts, and the nodes seen going down (the observer's own node monitor, and what
 * each node reported).
 *
 * The observer's node is hidden: it connects to the nodes it was given, then to the
 * visible peers they report, so that it sees the whole cluster without joining it.
 * Its own polling traffic is left out of the rates.
 */
import { formatTerm, isPid, type Pid } from '@grove/core';
import { introspect, isNodeMessage, monitorNodes, type DistNode, type NodeSummary } from '@grove/distribution';

/** Messages and bytes per second over one connection, or a node's connections together. */
export interface Rates {
  readonly in: number;
  readonly out: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** One point of a node's history. */
export interface HistoryPoint {
  /** Seconds since the epoch. */
  readonly t: number;
  readonly processes: number;
  readonly runQueue: number;
  readonly heapUsed: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** A node as the observer shows it. */
export interface WatchedNode {
  readonly summary: NodeSummary;
  readonly rates: Rates;
  readonly connectionRates: Record<string, Rates>;
  readonly history: HistoryPoint[];
}

/** A node going down, as the observer (or a node) saw it. */
export interface DownEntry {
  readonly node: string;
  readonly reason: string;
  readonly at: number;
  /** Who saw it: the observer, or the node that reported it. */
  readonly seenBy: string;
}

/** Points kept per node: ten minutes at one a second. */
const HISTORY = 600;
const KEPT_DOWN = 100;

export class ClusterWatch {
  readonly nodes = new Map<string, WatchedNode>();
  readonly down: DownEntry[] = [];
  private readonly last = new Map<string, { at: number; counts: Map<string, Rates> }>();
  private monitor: Pid | null = null;
  private busy = false;

  constructor(
    readonly dist: DistNode,
    readonly intervalMs: number,
  ) {}

  /** Starts the node monitor. */
  start(): void {
    this.monitor = this.dist.node.spawn(async (ctx) => {
      monitorNodes(ctx, true, { nodeType: 'all' });
      for (;;) {
        const m = await ctx.receive(isNodeMessage);
        if (m.type !== 'nodedown') continue;
        this.nodes.delete(m.node);
        this.last.delete(m.node);
        this.noteDown({ node: m.node, reason: m.reason, at: Date.now(), seenBy: this.dist.name });
      }
    });
  }

  stop(): void {
    if (this.monitor !== null) this.dist.node.exit(this.monitor, 'kill');
    this.monitor = null;
  }

  /** Reads every connected node once; connects to the visible peers they report. False when a tick was still running. */
  async tick(): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      const peers = this.dist.nodes('connected');
      const answers = await Promise.all(peers.map((p) => introspect(this.dist, p, 'node', { timeoutMs: Math.max(this.intervalMs * 2, 2000) }).catch(() => undefined)));
      const now = Date.now();
      const reported = new Set<string>();
      for (let i = 0; i < peers.length; i++) {
        const s = answers[i];
        if (s === undefined || !this.dist.nodes('connected').includes(peers[i]!)) continue;
        this.update(s, now);
        for (const c of s.connections) if (!c.hidden) reported.add(c.peer);
        for (const d of s.nodesDown) this.noteDown({ node: d.node, reason: d.reason, at: d.at, seenBy: s.name });
      }
      const known = new Set(this.dist.nodes('connected'));
      await Promise.all([...reported].filter((p) => p !== this.dist.name && !known.has(p)).map((p) => this.dist.connect(p)));
      return true;
    } finally {
      this.busy = false;
    }
  }

  private update(s: NodeSummary, now: number): void {
    const counts = new Map<string, Rates>();
    for (const c of s.connections) {
      if (c.peer !== this.dist.name) counts.set(c.peer, { in: c.messagesIn, out: c.messagesOut, bytesIn: c.bytesIn ?? 0, bytesOut: c.bytesOut ?? 0 });
    }
    const prev = this.last.get(s.name);
    const connectionRates: Record<string, Rates> = {};
    let rin = 0;
    let rout = 0;
    let bin = 0;
    let bout = 0;
    if (prev !== undefined && now > prev.at) {
      const dt = (now - prev.at) / 1000;
      for (const [peer, c] of counts) {
        const p = prev.counts.get(peer);
        if (p === undefined || c.in < p.in || c.out < p.out) continue; // a new connection: no rate yet
        const r = { in: (c.in - p.in) / dt, out: (c.out - p.out) / dt, bytesIn: Math.max(0, c.bytesIn - p.bytesIn) / dt, bytesOut: Math.max(0, c.bytesOut - p.bytesOut) / dt };
        connectionRates[peer] = r;
        rin += r.in;
        rout += r.out;
        bin += r.bytesIn;
        bout += r.bytesOut;
      }
    }
    this.last.set(s.name, { at: now, counts });
    const history = this.nodes.get(s.name)?.history ?? [];
    history.push({ t: now / 1000, processes: s.processCount, runQueue: s.runQueue, heapUsed: s.memory.heapUsed, messagesIn: rin, messagesOut: rout, bytesIn: bin, bytesOut: bout });
    if (history.length > HISTORY) history.shift();
    this.nodes.set(s.name, { summary: s, rates: { in: rin, out: rout, bytesIn: bin, bytesOut: bout }, connectionRates, history });
  }

  private noteDown(d: DownEntry): void {
    // A node's report of a nodedown the observer already has (same node, within a second) is the same event.
    if (this.down.some((x) => x.node === d.node && Math.abs(x.at - d.at) < 1000)) return;
    this.down.push(d);
    this.down.sort((a, b) => a.at - b.at);
    if (this.down.length > KEPT_DOWN) this.down.shift();
  }
}

/** A value the page can take as JSON: pids as their text, other terms described. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (isPid(v)) return String(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [typeof k === 'string' ? k : formatTerm(k), x]));
    if (v instanceof Set) return [...v];
    if (typeof v === 'function' || typeof v === 'symbol') return formatTerm(v);
    return v;
  });
}
