/**
 * The observer's web server (`observer.start`, which `grove observer` runs): a page
 * of the cluster, kept live with server-sent events.
 *
 * - `GET /` the page; `/static/*` its script and style; `/vendor/*` uPlot (charts).
 * - `GET /events?node=N&view=V` an event stream: every interval, the cluster (each
 *   node's summary, rates, newest history point; the nodes seen going down) and the
 *   data of view V (`processes`, `applications`, `global`, `pg`) of node N. The first
 *   event carries each node's whole history, for the charts.
 * - `GET /api/process?node=N&pid=P` one process in detail.
 * - `GET /api/trace?node=N&pid=P` a server's trace (its last messages); `POST /api/trace`
 *   (JSON `{node, pid, op}`, op `start` or `stop`) starts one (the last 20 events, for
 *   30 s) or ends it. Observation, so allowed read-only, but a POST with the header below.
 * - `POST /api/kill` and `POST /api/send` (JSON `{node, pid, reason}` / `{node, pid,
 *   message}`) only with `allowWrite`; else 403.
 *
 * Security: served on 127.0.0.1 unless `host` says otherwise, and then only with a
 * `token`, which every request must carry (`?token=` or `Authorization: Bearer`).
 * The `Host` header must name this server (no DNS rebinding), and the POSTs (the write
 * requests, and starting a trace) must carry the header `X-Grove-Observer: 1`, which a page of another origin cannot
 * send without a preflight this server never grants.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { formatTerm, type Pid } from '@grove/core';
import { introspect, type DistNode, type IntrospectWhat } from '@grove/distribution';
import { ClusterWatch, toJson } from './cluster_watch';
import { ObserverOptionsError } from './errors';

/** Options of {@link start}. */
export interface ObserverOptions {
  /** The port of the page; default 0 (any free port: read it from the result). */
  readonly port?: number;
  /** The address to listen on; default 127.0.0.1. Any other needs a `token`. */
  readonly host?: string;
  /** The token every request must carry; required off loopback. */
  readonly token?: string;
  /** Allows the page to kill processes and send them messages (behind a confirmation). */
  readonly allowWrite?: boolean;
  /** Nodes to connect to at start (the observer also connects to the peers they report). */
  readonly connect?: readonly string[];
  /** How often the page is refreshed; default 1000 ms. */
  readonly intervalMs?: number;
}

/** A running observer. */
export interface Observer {
  /** The page's address (with the token, when there is one). */
  readonly url: string;
  readonly port: number;
  /** Stops the page and the polling; the node stays up. */
  close(): Promise<void>;
}

/** What a trace the page starts keeps: the last events (its time is the service's most, 30 s). */
const TRACE_EVENTS = 20;

interface PostBody {
  readonly node?: unknown;
  readonly pid?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
  readonly op?: unknown;
}

/** The views a page can ask for besides the cluster. */
const VIEWS: Record<string, IntrospectWhat> = { processes: 'processes', applications: 'applications', global: 'global', pg: 'sources' };

const STATIC_DIR = path.join(__dirname, '..', 'static');
const VENDOR: Record<string, string> = {
  'uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
};
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

interface Client {
  readonly res: http.ServerResponse;
  readonly node: string | undefined;
  readonly view: string | undefined;
  first: boolean;
}

/**
 * Serves the observer page of the cluster `dist` is part of (start `dist` hidden, as
 * `grove observer` does, so that the observer joins no one's `nodes()`). Resolves
 * once listening.
 */
export async function start(dist: DistNode, options: ObserverOptions = {}): Promise<Observer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && (options.token === undefined || options.token.length < 16)) {
    throw new ObserverOptionsError('host', `listening on ${host} (not loopback) needs a token of at least 16 characters`);
  }
  const intervalMs = options.intervalMs ?? 1000;
  const watch = new ClusterWatch(dist, intervalMs);
  watch.start();
  for (const peer of options.connect ?? []) await dist.connect(peer);
  const clients = new Set<Client>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { error: formatTerm(e) }));
  });
  let port = 0;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://observer');
    if (!hostAllowed(req.headers.host, host, port)) return send(res, 421, { error: 'this server does not answer to that Host' });
    if (options.token !== undefined && !tokenGiven(req, url, options.token)) return send(res, 401, { error: 'a token is needed: open the URL the observer printed' });
    const p = url.pathname;
    if (req.method === 'GET' && p === '/') return file(res, path.join(STATIC_DIR, 'index.html'));
    if (req.method === 'GET' && p.startsWith('/static/') && /^[a-z_]+\.(js|css)$/.test(p.slice(8))) return file(res, path.join(STATIC_DIR, p.slice(8)));
    if (req.method === 'GET' && p.startsWith('/vendor/') && VENDOR[p.slice(8)] !== undefined) return file(res, VENDOR[p.slice(8)]!);
    if (req.method === 'GET' && p === '/events') return subscribe(req, res, url);
    if (req.method === 'GET' && p === '/api/process') return processDetail(res, url.searchParams.get('node'), url.searchParams.get('pid'));
    if (req.method === 'GET' && p === '/api/trace') return trace(res, url.searchParams.get('node'), url.searchParams.get('pid'), 'get');
    if (req.method === 'POST' && p === '/api/trace') return tracePost(req, res);
    if (req.method === 'POST' && (p === '/api/kill' || p === '/api/send')) return write(req, res, p === '/api/kill' ? 'kill' : 'send');
    send(res, 404, { error: `no such page: ${p}` });
  }

  function subscribe(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const view = url.searchParams.get('view') ?? undefined;
    if (view !== undefined && view !== 'nodes' && VIEWS[view] === undefined) return send(res, 400, { error: `no such view: ${view}` });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const c: Client = { res, node: url.searchParams.get('node') ?? undefined, view, first: true };
    clients.add(c);
    req.on('close', () => clients.delete(c));
    void push([c]);
  }

  /** Sends each client the cluster and its view's data. */
  async function push(to: Iterable<Client>): Promise<void> {
    const views = new Map<string, Promise<unknown>>();
    const viewOf = (c: Client): Promise<unknown> => {
      if (c.node === undefined || c.view === undefined || VIEWS[c.view] === undefined) return Promise.resolve(null);
      const key = `${c.node}\n${c.view}`;
      let v = views.get(key);
      if (v === undefined) {
        v = introspect(dist, c.node, VIEWS[c.view]!, { timeoutMs: Math.max(intervalMs * 2, 2000) }).catch((e: unknown) => ({ error: formatTerm(e) }));
        views.set(key, v);
      }
      return v;
    };
    for (const c of [...to]) {
      const data = await viewOf(c);
      const nodes = [...watch.nodes.values()].map((n) => ({ ...n, history: c.first ? n.history : n.history.slice(-1) }));
      c.res.write(`data: ${toJson({ observer: dist.name, allowWrite: options.allowWrite === true, full: c.first, nodes, down: watch.down, view: c.view, node: c.node, data })}\n\n`);
      c.first = false;
    }
  }

  async function findPid(node: string | null, pid: string | null): Promise<Pid | undefined> {
    if (node === null || pid === null || !dist.nodes('connected').includes(node)) return undefined;
    return (await introspect(dist, node, 'processes')).find((r) => String(r.pid) === pid)?.pid;
  }

  async function processDetail(res: http.ServerResponse, node: string | null, pid: string | null): Promise<void> {
    const p = await findPid(node, pid);
    const detail = p === undefined ? undefined : await introspect(dist, node!, 'process', { pid: p });
    if (detail === undefined) return send(res, 404, { error: `no process ${pid ?? '(none given)'} on ${node ?? '(no node given)'}` });
    send(res, 200, detail);
  }

  async function trace(res: http.ServerResponse, node: string | null, pid: string | null, op: 'start' | 'get' | 'stop'): Promise<void> {
    const p = await findPid(node, pid);
    let answer;
    try {
      answer = p === undefined ? undefined : await introspect(dist, node!, 'trace', { pid: p, op, limit: TRACE_EVENTS });
    } catch (e) {
      return send(res, 409, { error: e instanceof Error ? e.message : formatTerm(e) });
    }
    if (answer === undefined) return send(res, 404, { error: `no process ${pid ?? '(none given)'} on ${node ?? '(no node given)'}` });
    send(res, 200, answer);
  }

  async function tracePost(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await postBody(req, res);
    if (body === undefined) return;
    if (body.op !== 'start' && body.op !== 'stop') return send(res, 400, { error: `op must be start or stop, got ${formatTerm(body.op)}` });
    return trace(res, typeof body.node === 'string' ? body.node : null, typeof body.pid === 'string' ? body.pid : null, body.op);
  }

  /** The JSON body of a POST that carries the observer's header; undefined once refused. */
  async function postBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<PostBody | undefined> {
    if (req.headers['x-grove-observer'] !== '1') return void send(res, 403, { error: 'the X-Grove-Observer: 1 header is needed' });
    try {
      const body = JSON.parse(await readBody(req)) as unknown;
      if (typeof body === 'object' && body !== null) return body as PostBody;
      return void send(res, 400, { error: `the body is not a JSON object: ${formatTerm(body)}` });
    } catch (e) {
      return void send(res, 400, { error: `the body is not JSON: ${formatTerm(e)}` });
    }
  }

  async function write(req: http.IncomingMessage, res: http.ServerResponse, op: 'kill' | 'send'): Promise<void> {
    if (options.allowWrite !== true) return send(res, 403, { error: 'read-only: start the observer with --allow-write to kill or send' });
    const body = await postBody(req, res);
    if (body === undefined) return;
    const pid = typeof body.node === 'string' && typeof body.pid === 'string' ? await findPid(body.node, body.pid) : undefined;
    if (pid === undefined) return send(res, 404, { error: `no process ${formatTerm(body.pid)} on ${formatTerm(body.node)}` });
    if (op === 'kill') dist.node.exit(pid, typeof body.reason === 'string' && body.reason !== '' ? body.reason : 'kill');
    else dist.node.send(pid, body.message);
    send(res, 200, { ok: true });
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (e) {
    watch.stop();
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  await watch.tick();
  const timer = setInterval(() => {
    void watch.tick().then((ran) => (ran ? push(clients) : undefined));
  }, intervalMs);
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/${options.token !== undefined ? `?token=${encodeURIComponent(options.token)}` : ''}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        watch.stop();
        for (const c of clients) c.res.end();
        clients.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The Host header names this server: its address, localhost, or (off loopback) any name. */
function hostAllowed(header: string | undefined, host: string, port: number): boolean {
  if (header === undefined) return false;
  if (!isLoopback(host)) return true; // a token guards it
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`].includes(header);
}

function tokenGiven(req: http.IncomingMessage, url: URL, token: string): boolean {
  return url.searchParams.get('token') === token || req.headers.authorization === `Bearer ${token}`;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(toJson(body));
}

function file(res: http.ServerResponse, f: string): void {
  fs.readFile(f, (err, data) => {
    if (err !== null) return send(res, 404, { error: `missing file ${path.basename(f)}` });
    res.writeHead(200, { 'content-type': TYPES[path.extname(f)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(data);
  });
}

const MAX_BODY = 64 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
      if (body.length > MAX_BODY) {
        reject(new Error(`larger than ${MAX_BODY} bytes`));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
