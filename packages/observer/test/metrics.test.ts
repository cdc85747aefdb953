/**
 * The metrics endpoint: scraped over HTTP and read with a Prometheus text-format
 * parser, as a Prometheus server would read it.
 */
import * as http from 'node:http';
import { Call, GenServer, startSupervisor, whichChildren, type Pid } from '@grove/core';
import { metricsText, startMetrics, type MetricsServer } from '@grove/observer';
import { Box, node, stopNodes } from './helpers';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';

class Clock extends GenServer<{ call: { time(): number } }> {
  @Call('time')
  time(): number {
    return Date.now();
  }
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopNodes();
});

function get(url: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

function value(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

describe('metrics in Prometheus text format', () => {
  it('serves processes, run queue, mailbox percentiles, restarts, crashes, memory and connections at /metrics', async () => {
    const [a, b] = [await node('a'), await node('b')];
    expect(await a.connect(b.name)).toBe(true);
    // Traffic both ways on the connection: a call to b and its reply.
    expect(await a.ping(b.name)).toBe('pong');
    const metrics = await startMetrics(a);
    servers.push(metrics);
    expect(metrics.url).toBe(`http://127.0.0.1:${metrics.port}/metrics`);
    const sup = await startSupervisor(a.node, { flags: { intensity: 5 }, children: [Box.childSpec(undefined, { id: 'sink' })] }, { name: 'sinks' });
    const [child] = await whichChildren(a.node, sup);
    a.node.exit(child!.pid as Pid, 'boom');
    // A process that does not run its mailbox: 9 messages wait in it.
    const stuck = a.node.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'never');
    });
    for (let i = 0; i < 9; i++) a.node.send(stuck, i);
    await whichChildren(a.node, sup);

    const res = await get(metrics.url);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusTextFormat(res.body);
    expect(Object.fromEntries(families.map((f) => [f.name, f.type]))).toMatchObject({
      grove_processes: 'GAUGE',
      grove_run_queue_length: 'GAUGE',
      grove_mailbox_length: 'GAUGE',
      grove_crashes_total: 'COUNTER',
      grove_supervisor_restarts_total: 'COUNTER',
      grove_memory_bytes: 'GAUGE',
      grove_connection_messages_total: 'COUNTER',
    });
    expect(value(families, 'grove_processes')).toBe(a.node.processCount);
    expect(value(families, 'grove_run_queue_length')).toBeGreaterThanOrEqual(0);
    expect(value(families, 'grove_mailbox_length', { quantile: '1' })).toBe(9);
    expect(value(families, 'grove_mailbox_length', { quantile: '0.5' })).toBe(0);
    expect(value(families, 'grove_crashes_total')).toBe(1);
    expect(value(families, 'grove_supervisor_restarts_total', { supervisor: 'sinks' })).toBe(1);
    expect(value(families, 'grove_supervisor_restarts_total', { supervisor: 'kernel_sup' })).toBe(0);
    expect(value(families, 'grove_memory_bytes', { kind: 'rss' })).toBeGreaterThan(0);
    expect(value(families, 'grove_connection_messages_total', { peer: b.name, direction: 'out' })).toBeGreaterThan(0);
    expect(value(families, 'grove_connection_messages_total', { peer: b.name, direction: 'in' })).toBeGreaterThan(0);
  });

  it('keeps a call latency histogram per GenServer class, opted in', async () => {
    const a = await node('a');
    const metrics = await startMetrics(a, { callLatency: ['Clock'] });
    servers.push(metrics);
    const clock = await Clock.start(a.node);
    for (let i = 0; i < 4; i++) await clock.call.time();
    const text = (await get(metrics.url)).body;
    const h = parsePrometheusTextFormat(text).find((f) => f.name === 'grove_call_duration_seconds')!;
    expect(h.type).toBe('HISTOGRAM');
    // The parser folds a histogram's series into one bucket map (it keeps no labels for
    // them): with one class that is the class's.
    const buckets = h.metrics[0]!.buckets!;
    expect(Number(buckets['+Inf'])).toBe(4);
    const counts = Object.values(buckets).map(Number);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    const lines = text.split('\n');
    expect(lines).toContain('grove_call_duration_seconds_count{class="Clock"} 4');
    expect(lines).toContain('grove_call_duration_seconds_bucket{class="Clock",le="+Inf"} 4');
    // Without the option, no histogram.
    const plain = await startMetrics(a);
    servers.push(plain);
    expect(parsePrometheusTextFormat((await get(plain.url)).body).some((f) => f.name === 'grove_call_duration_seconds')).toBe(false);
  });

  it('answers 404 elsewhere, escapes label values, and stops counting when closed', async () => {
    const a = await node('a');
    const metrics = await startMetrics(a.node, { port: 0 });
    servers.push(metrics);
    const other = await get(metrics.url.replace('/metrics', '/other'));
    expect(other.status).toBe(404);
    await startSupervisor(a.node, { children: [] }, { name: 'odd"name\\x' });
    const families = parsePrometheusTextFormat(await metricsText(a));
    expect(value(families, 'grove_supervisor_restarts_total', { supervisor: 'odd"name\\x' })).toBe(0);
    await metrics.close();
    servers.length = 0;
    await expect(get(metrics.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});
