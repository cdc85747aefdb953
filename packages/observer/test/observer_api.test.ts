/**
 * The observer's HTTP side without a browser: the event stream's content, the guard
 * rails (loopback unless a token, the token checked, the Host header checked, writes
 * only with allowWrite and the X-Grove-Observer header) and bad requests.
 */
import * as http from 'node:http';
import { sys } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { ObserverOptionsError, start, type Observer } from '@grove/observer';
import { Box, node, stopNodes } from './helpers';

const observers: Observer[] = [];
afterEach(async () => {
  await Promise.all(observers.splice(0).map((o) => o.close()));
  await stopNodes();
});

interface Reply {
  status: number;
  body: string;
}

function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The first event of the stream at `url`. */
function firstEvent(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        const end = buf.indexOf('\n\n');
        if (end < 0) return;
        req.destroy();
        resolve(JSON.parse(buf.slice('data: '.length, end)) as Record<string, unknown>);
      });
    });
    req.on('error', reject);
  });
}

async function observed(allowWrite: boolean): Promise<{ a: DistNode; o: Observer; base: string }> {
  const a = await node('a');
  const obs = await node('obs', true);
  const o = await start(obs, { connect: [a.name], intervalMs: 100, allowWrite });
  observers.push(o);
  return { a, o, base: o.url.replace(/\/$/, '') };
}

describe('the observer over HTTP', () => {
  it('streams the cluster and a view of a node', async () => {
    const { a, base } = await observed(false);
    const ref = await Box.start(a.node, undefined, { name: 'box' });
    const e = await firstEvent(`${base}/events?view=processes&node=${encodeURIComponent(a.name)}`);
    expect(e['allowWrite']).toBe(false);
    expect((e['nodes'] as { summary: { name: string } }[]).map((n) => n.summary.name)).toEqual([a.name]);
    expect((e['data'] as { name?: string; pid: string }[]).find((r) => r.name === 'box')?.pid).toBe(String(ref.pid));
    expect((await request(`${base}/events?view=everything`)).status).toBe(400);
    expect((await request(`${base}/nothing`)).status).toBe(404);
    expect((await request(`${base}/`)).body).toContain('<title>Grove observer</title>');
    expect((await request(`${base}/vendor/uPlot.iife.min.js`)).status).toBe(200);
  });

  it('refuses to kill or send unless allowed, and then only with its header', async () => {
    const ro = await observed(false);
    const victim = await Box.start(ro.a.node);
    const kill = { method: 'POST', headers: { 'x-grove-observer': '1', 'content-type': 'application/json' }, body: JSON.stringify({ node: ro.a.name, pid: String(victim.pid) }) };
    expect(await request(`${ro.base}/api/kill`, kill)).toMatchObject({ status: 403, body: expect.stringContaining('read-only') });
    expect(ro.a.node.isAlive(victim.pid)).toBe(true);

    const rw = await observed(true);
    const target = await Box.start(rw.a.node);
    const body = JSON.stringify({ node: rw.a.name, pid: String(target.pid) });
    expect((await request(`${rw.base}/api/kill`, { method: 'POST', body })).status).toBe(403);
    expect((await request(`${rw.base}/api/kill`, { ...kill, body: '{not json' })).status).toBe(400);
    expect((await request(`${rw.base}/api/kill`, { ...kill, body: JSON.stringify({ node: rw.a.name, pid: '#PID<nobody.1.0>' }) })).status).toBe(404);
    expect((await request(`${rw.base}/api/send`, { ...kill, body: JSON.stringify({ node: rw.a.name, pid: String(target.pid), message: 'x' }) })).status).toBe(200);
    expect(await request(`${rw.base}/api/kill`, { ...kill, body })).toMatchObject({ status: 200 });
    const until = Date.now() + 5000;
    while (rw.a.node.isAlive(target.pid) && Date.now() < until) await new Promise((r) => setImmediate(r));
    expect(rw.a.node.isAlive(target.pid)).toBe(false);
  });

  it('traces a server on demand, read-only, and shows its last messages', async () => {
    const { a, base } = await observed(false);
    const ref = await Box.start(a.node);
    const q = `node=${encodeURIComponent(a.name)}&pid=${encodeURIComponent(String(ref.pid))}`;
    const post = (body: unknown, headers: Record<string, string> = { 'x-grove-observer': '1' }): Promise<Reply> =>
      request(`${base}/api/trace`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect(JSON.parse((await request(`${base}/api/trace?${q}`)).body)).toMatchObject({ tracing: false, events: [] });
    const target = { node: a.name, pid: String(ref.pid) };
    expect((await post({ ...target, op: 'start' }, {})).status).toBe(403); // the header, as for writes
    const started = await post({ ...target, op: 'start' });
    expect(started.status).toBe(200);
    expect(JSON.parse(started.body)).toMatchObject({ tracing: true, limit: 20 });
    for (let i = 0; i < 25; i++) ref.cast.put();
    await sys.getState(a.node, ref.pid); // behind the casts
    const got = JSON.parse((await request(`${base}/api/trace?${q}`)).body) as { tracing: boolean; events: { type: string; kind?: string; term: string }[] };
    expect(got.tracing).toBe(true);
    expect(got.events).toHaveLength(20);
    expect(got.events[0]).toEqual({ type: 'in', kind: 'cast', term: expect.stringContaining('put') });
    const stopped = JSON.parse((await post({ ...target, op: 'stop' })).body) as typeof got;
    expect(stopped.tracing).toBe(false);
    expect(stopped.events).toEqual(got.events);
    // Bad requests: a plain process, no such process, a bad op, not JSON.
    const plain = a.node.spawn((ctx) => ctx.receive(() => false));
    expect(await post({ node: a.name, pid: String(plain), op: 'start' })).toMatchObject({ status: 409, body: expect.stringContaining('only servers') });
    a.node.exit(plain, 'kill');
    expect((await post({ node: a.name, pid: '#PID<nobody.1.0>', op: 'start' })).status).toBe(404);
    expect((await post({ ...target, op: 'forever' })).status).toBe(400);
    expect((await request(`${base}/api/trace`, { method: 'POST', headers: { 'x-grove-observer': '1' }, body: '{nope' })).status).toBe(400);
    expect((await request(`${base}/api/trace`, { method: 'POST', headers: { 'x-grove-observer': '1' }, body: '3' })).status).toBe(400);
  });

  it('answers only to its own Host, needs a token off loopback, and checks it', async () => {
    const { base } = await observed(false);
    expect((await request(`${base}/`, { headers: { host: 'evil.example:80' } })).status).toBe(421);
    const obs = await node('obs', true);
    await expect(start(obs, { host: '0.0.0.0' })).rejects.toThrow(ObserverOptionsError);
    await expect(start(obs, { host: '0.0.0.0', token: 'short' })).rejects.toThrow(/token of at least 16 characters/);
    const o = await start(obs, { host: '0.0.0.0', token: 'a-token-of-twenty-chars' });
    observers.push(o);
    expect(o.url).toBe(`http://127.0.0.1:${o.port}/?token=a-token-of-twenty-chars`);
    expect((await request(`http://127.0.0.1:${o.port}/`)).status).toBe(401);
    expect((await request(`http://127.0.0.1:${o.port}/?token=wrong`)).status).toBe(401);
    expect((await request(o.url)).status).toBe(200);
    expect((await request(`http://127.0.0.1:${o.port}/`, { headers: { authorization: 'Bearer a-token-of-twenty-chars' } })).status).toBe(200);
  });
});
