/**
 * One node's figures in Prometheus' text exposition format (version 0.0.4), served at
 * `/metrics` by {@link startMetrics} or rendered by {@link metricsText}.
 *
 * Everything is read when scraped, from what the node keeps anyway (its process
 * table, its supervisors' restart counts, its connections' counters): with no scrape
 * nothing runs, and no hot path (send, dispatch, receive) does any work for metrics.
 *
 * Crashes are counted from the moment metrics start (a process that exits with a
 * reason other than normal, shutdown or {shutdown, _}); a distributed node's
 * connections are read from its introspection service (`grove_introspect`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isCleanExit, restartCounts, timeCalls, type Node } from '@grove/core';
import { DistNode, distOf, introspect, type ConnectionStats } from '@grove/distribution';

/** Options of {@link startMetrics}. */
export interface MetricsOptions {
  /** The port to listen on; default 0 (any free port: read it from the result). */
  readonly port?: number;
  /** The address to listen on; default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** How long a scrape waits for one supervisor's restart counts; default 1000 ms. */
  readonly supervisorTimeoutMs?: number;
  /**
   * Opt-in: a histogram of the time GenServers of these classes (names, or `'all'`)
   * spend on each call, `grove_call_duration_seconds{class}`. Servers started after
   * the metrics are timed; each timed call costs two clock reads and a bucket update.
   */
  readonly callLatency?: 'all' | readonly string[];
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  /** Stops serving (and counting crashes). */
  close(): Promise<void>;
}

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Crash counters, one per node whose metrics run (several endpoints share one). */
const crashCounters = new WeakMap<Node, { count: number; users: number; off: () => void }>();

function countCrashes(node: Node): () => void {
  let c = crashCounters.get(node);
  if (c === undefined) {
    const counter = { count: 0, users: 0, off: () => undefined as unknown };
    counter.off = node.onExit((_pid, reason) => {
      if (!isCleanExit(reason)) counter.count++;
    });
    crashCounters.set(node, (c = counter as { count: number; users: number; off: () => void }));
  }
  const counter = c;
  counter.users++;
  return () => {
    if (--counter.users === 0) {
      counter.off();
      crashCounters.delete(node);
    }
  };
}

/**
 * Serves `node`'s metrics at `http://host:port/metrics` (loopback by default); any
 * other path is a 404. Resolves once listening.
 */
export async function startMetrics(from: Node | DistNode, options: MetricsOptions = {}): Promise<MetricsServer> {
  const node = from instanceof DistNode ? from.node : from;
  const latency = options.callLatency === undefined ? null : new CallLatency();
  const stopTiming = latency === null ? () => undefined : timeCalls(node, options.callLatency!, latency.record);
  const countingStop = countCrashes(node);
  const stopCounting = (): void => {
    countingStop();
    stopTiming();
  };
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    metricsText(node, options).then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(latency === null ? text : text + latency.render()),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (e) {
    stopCounting();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        stopCounting();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One metric family: its help, its type, and its samples (labels, value). */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly (readonly [labels: Record<string, string>, value: number])[];
}

/** `node`'s metrics in the text format, read now. */
export async function metricsText(from: Node | DistNode, options: Pick<MetricsOptions, 'supervisorTimeoutMs'> = {}): Promise<string> {
  const node = from instanceof DistNode ? from.node : from;
  const mailboxes: number[] = [];
  const supervisors: { label: string; pid: import('@grove/core').Pid }[] = [];
  for (const pid of node.processes()) {
    const i = node.processInfo(pid);
    if (i === undefined) continue;
    mailboxes.push(i.mailboxLength);
    if (i.behaviour === 'supervisor') supervisors.push({ label: i.name ?? pid.toString(), pid });
  }
  mailboxes.sort((a, b) => a - b);
  const restarts = await Promise.all(
    supervisors.map(async (s) => {
      try {
        return [{ supervisor: s.label }, (await restartCounts(node, s.pid, options.supervisorTimeoutMs ?? 1000)).total] as const;
      } catch {
        return null; // gone, or too slow to answer: left out of this scrape
      }
    }),
  );
  const memory = process.memoryUsage();
  const families: Family[] = [
    { name: 'grove_processes', help: 'Processes on the node.', type: 'gauge', samples: [[{}, mailboxes.length]] },
    { name: 'grove_run_queue_length', help: 'Processes waiting for their turn to run.', type: 'gauge', samples: [[{}, node.scheduler.runQueueLength]] },
    {
      name: 'grove_mailbox_length',
      help: 'Mailbox lengths over the processes: percentiles (quantile 1 is the longest).',
      type: 'gauge',
      samples: [0.5, 0.9, 0.99, 1].map((q) => [{ quantile: String(q) }, percentile(mailboxes, q)] as const),
    },
    { name: 'grove_crashes_total', help: 'Processes that exited abnormally since the metrics started.', type: 'counter', samples: [[{}, crashCounters.get(node)?.count ?? 0]] },
    { name: 'grove_supervisor_restarts_total', help: 'Restarts each supervisor made since it started.', type: 'counter', samples: restarts.filter((r) => r !== null) },
    {
      name: 'grove_memory_bytes',
      help: 'Memory of the OS process (shared by the nodes it runs).',
      type: 'gauge',
      samples: [
        [{ kind: 'rss' }, memory.rss],
        [{ kind: 'heap_used' }, memory.heapUsed],
        [{ kind: 'heap_total' }, memory.heapTotal],
        [{ kind: 'external' }, memory.external],
      ],
    },
    ...connectionFamilies(distOf(node) !== undefined ? (await introspect(node, node.name, 'node')).connections : []),
  ];
  return families.map(render).join('');
}

function connectionFamilies(connections: readonly ConnectionStats[]): Family[] {
  const messages: [Record<string, string>, number][] = [];
  const bytes: [Record<string, string>, number][] = [];
  for (const c of connections) {
    messages.push([{ peer: c.peer, direction: 'in' }, c.messagesIn], [{ peer: c.peer, direction: 'out' }, c.messagesOut]);
    if (c.bytesIn !== undefined) bytes.push([{ peer: c.peer, direction: 'in' }, c.bytesIn]);
    if (c.bytesOut !== undefined) bytes.push([{ peer: c.peer, direction: 'out' }, c.bytesOut]);
  }
  const out: Family[] = [{ name: 'grove_connection_messages_total', help: 'Control messages over each connection (ticks included), per direction.', type: 'counter', samples: messages }];
  if (bytes.length > 0) out.push({ name: 'grove_connection_bytes_total', help: 'Bytes over each connection, per direction.', type: 'counter', samples: bytes });
  return out;
}

/** The `q` percentile of sorted `xs` (nearest rank); 0 for none. */
function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  return xs[Math.max(0, Math.ceil(q * xs.length) - 1)]!;
}

function render(f: Family): string {
  let s = `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
  for (const [labels, value] of f.samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    s += `${f.name}${l.length > 0 ? `{${l.join(',')}}` : ''} ${value}\n`;
  }
  return s;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Upper bounds of the call latency buckets, in seconds (100 µs to 10 s). */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The call latency histograms, one per class, filled as calls are timed. */
class CallLatency {
  private readonly byClass = new Map<string, { counts: number[]; sum: number; count: number }>();

  readonly record = (className: string, ms: number): void => {
    let h = this.byClass.get(className);
    if (h === undefined) this.byClass.set(className, (h = { counts: new Array<number>(LATENCY_BUCKETS.length).fill(0), sum: 0, count: 0 }));
    const s = ms / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && s > LATENCY_BUCKETS[i]!) i++;
    if (i < LATENCY_BUCKETS.length) h.counts[i]!++;
    h.sum += s;
    h.count++;
  };

  render(): string {
    const name = 'grove_call_duration_seconds';
    let out = `# HELP ${name} Time GenServers spent on a call, from the handler's start to its outcome, per class.\n# TYPE ${name} histogram\n`;
    for (const [cls, h] of this.byClass) {
      const c = escapeLabel(cls);
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += h.counts[i]!;
        out += `${name}_bucket{class="${c}",le="${le}"} ${cumulative}\n`;
      });
      out += `${name}_bucket{class="${c}",le="+Inf"} ${h.count}\n${name}_sum{class="${c}"} ${h.sum}\n${name}_count{class="${c}"} ${h.count}\n`;
    }
    return out;
  }
}
