/**
 * The introspection service every distributed node runs (`grove_introspect`, under
 * kernel_sup after rex): what `grove observer`, `grove top` and metrics read of a
 * node, asked for by a call from any node of the cluster, so that nothing has to be
 * installed on the nodes observed. OTP's observer reaches the same figures through
 * rpc to `observer_backend`; here the answers come from one read-only system process.
 *
 * Read-only: a request only reads (the node's process table, its supervisors through
 * `whichChildren`/`restartCounts`, a process's state through `sys.getState`, and on
 * demand the last messages a server takes, through `sys.log`: see {@link TraceRequest},
 * bounded in count and time). Killing
 * or messaging a process is the observer node's own `exit`/`send`, not this service's.
 *
 * Each request is answered by a worker process of its own, so a supervisor or server
 * that is slow to answer (each has {@link INTROSPECT_CALL_TIMEOUT_MS}) never holds up the
 * next request. A malformed request is refused (a BadRequestError at the caller).
 *
 * The service keeps, from its start: the nodes seen going down (with the reason), and
 * the processes that exited abnormally (a count and the last few, with the reason as
 * text). These live outside the process, per node, so a restart keeps them.
 *
 * Per-connection figures: control messages in and out (ticks included), and bytes in
 * and out as the connection's socket counts them (frames, ticks and all).
 */
import {
  formatTerm,
  GenServer,
  Info,
  introspectionSources,
  isCleanExit,
  isPid,
  Pid,
  reply,
  restartCounts,
  sys,
  whichApplications,
  whichChildren,
  type From,
  type Node,
  type ProcessContext,
  type ProcessInfo,
  type SysEvent,
  type TimeoutMs,
  call,
} from '@grove/core';
import { globalServerOf } from '../global/name_server';
import { canReply, refuse } from './bad_request';
import type { Connection } from './connection';
import { callerOf, distOf, type DistCaller } from './dist_node';
import { isNodeMessage, kernelOf, type NodeDownMessage, type NodeUpMessage } from './net_kernel';

/** The name of the introspection service on every distributed node. */
export const INTROSPECT = 'grove_introspect';

/** How long the service waits for one supervisor or server it asks (which_children, getState). */
export const INTROSPECT_CALL_TIMEOUT_MS = 2000;

/** Nodes seen going down, and crashes, kept per node (the last ones). */
const KEPT_NODEDOWNS = 50;
const KEPT_CRASHES = 20;
/** Ended traces kept (their events), the oldest dropped first. */
const KEPT_TRACES = 20;

/** A sort order for {@link ProcessesRequest}. */
export type ProcessSort = 'mailbox' | 'memory' | 'messages';

/** What one can ask the service: a request's `what`. */
export type IntrospectRequest =
  | { readonly type: 'introspect'; readonly what: 'node' }
  | ProcessesRequest
  | { readonly type: 'introspect'; readonly what: 'process'; readonly pid: Pid }
  | { readonly type: 'introspect'; readonly what: 'applications' }
  | { readonly type: 'introspect'; readonly what: 'global' }
  | { readonly type: 'introspect'; readonly what: 'sources' }
  | TraceRequest;

/** The most events a trace keeps, and the longest it runs. */
export const TRACE_MAX_EVENTS = 100;
export const TRACE_MAX_MS = 30_000;

/**
 * Tracing a server on demand (the observer's "last messages"): `start` has the server
 * keep its last `limit` events (default 20, at most {@link TRACE_MAX_EVENTS}) through
 * `sys.log`, for `durationMs` (default and at most {@link TRACE_MAX_MS}), after which the
 * service switches the log off and keeps what it held; `get` reads the events (while
 * tracing, or what the last trace kept); `stop` ends it now. Only servers (behaviours
 * that answer `sys`) can be traced: a plain process has no `sys` to ask.
 */
export interface TraceRequest {
  readonly type: 'introspect';
  readonly what: 'trace';
  readonly pid: Pid;
  readonly op: 'start' | 'get' | 'stop';
  readonly limit?: number;
  readonly durationMs?: number;
}

/** One event of a trace, its term as text (a message may hold what cannot cross nodes). */
export interface TraceEvent {
  /** `in`: a message taken (`kind` call, cast or info, `from` a call's caller); `out`: a reply sent (`to`); `state`: a new state. */
  readonly type: 'in' | 'out' | 'state';
  readonly kind?: 'call' | 'cast' | 'info';
  readonly from?: Pid;
  readonly to?: Pid;
  /** The message, reply or state, as text. */
  readonly term: string;
}

/** A trace's state: whether it runs (and until when), and the events kept, oldest first. */
export interface TraceAnswer {
  readonly pid: Pid;
  readonly tracing: boolean;
  /** When the trace ends (ms since the epoch), while it runs. */
  readonly until: number | undefined;
  readonly limit: number;
  readonly events: readonly TraceEvent[];
}

/** The process table, optionally sorted (largest first) and cut to `limit` rows. */
export interface ProcessesRequest {
  readonly type: 'introspect';
  readonly what: 'processes';
  readonly sort?: ProcessSort;
  readonly limit?: number;
}

/** One connection's figures (see the header: bytes come with the frame layer's statistics). */
export interface ConnectionStats {
  readonly peer: string;
  readonly hidden: boolean;
  /** Control messages received (ticks included). */
  readonly messagesIn: number;
  /** Control messages sent (ticks included). */
  readonly messagesOut: number;
  /** Bytes received and sent (the socket's counts); undefined while the connection has no channel. */
  readonly bytesIn: number | undefined;
  readonly bytesOut: number | undefined;
}

/** A node going down, as the service saw it. */
export interface NodeDownEntry {
  readonly node: string;
  readonly reason: string;
  /** Wall-clock time (ms since the epoch). */
  readonly at: number;
}

/** A process that exited abnormally. */
export interface CrashEntry {
  readonly pid: Pid;
  /** The exit reason, as text. */
  readonly reason: string;
  readonly at: number;
}

/** A node at a glance. */
export interface NodeSummary {
  readonly name: string;
  /** When the node started distribution (ms since the epoch), and since then. */
  readonly startedAt: number;
  readonly uptimeMs: number;
  readonly processCount: number;
  /** Processes waiting to run (OTP's run queue). */
  readonly runQueue: number;
  /** Of the OS process (several nodes in one OS process share these). */
  readonly memory: { readonly heapUsed: number; readonly heapTotal: number; readonly rss: number; readonly external: number };
  readonly connections: readonly ConnectionStats[];
  readonly nodesDown: readonly NodeDownEntry[];
  /** Abnormal exits since the service started, and the last ones. */
  readonly crashes: number;
  readonly lastCrashes: readonly CrashEntry[];
}

/** One row of the process table. */
export interface ProcessRow {
  readonly pid: Pid;
  readonly name: string | undefined;
  readonly behaviour: string | undefined;
  readonly status: ProcessInfo['status'];
  readonly mailboxLength: number;
  readonly memory: number;
  readonly messagesHandled: number;
  readonly links: number;
  readonly monitors: number;
}

/** One process in detail: its info, and for a behaviour its class and state as text. */
export interface ProcessDetail extends ProcessInfo {
  /** The class (`sys.getStatus`'s module), for a behaviour that answered. */
  readonly module: string | undefined;
  /** The state as text (`sys.getState`), or why there is none. */
  readonly state: string | undefined;
}

/** A node of a supervision tree. */
export interface TreeNode {
  readonly id: string | undefined;
  readonly pid: Pid | 'restarting' | undefined;
  readonly name: string | undefined;
  readonly type: 'worker' | 'supervisor';
  /** Times its supervisor restarted it. */
  readonly restarts: number;
  /** For a supervisor: all its restarts, its children (undefined when it did not answer). */
  readonly supervisorRestarts?: number;
  readonly children?: readonly TreeNode[];
  /** Why a supervisor's children are missing. */
  readonly error?: string;
}

/**
 * An application with its supervision tree (`kernel` is the node's kernel_sup); a
 * supervisor under no application (started by a program's main) is one too, with
 * type `supervisor` and its registered name (else its pid) as name.
 */
export interface ApplicationTree {
  readonly name: string;
  /** The application's restart type, or `supervisor`. */
  readonly type: string;
  readonly tree: TreeNode;
}

/** What each kind of request answers. */
export interface IntrospectAnswers {
  node: NodeSummary;
  processes: ProcessRow[];
  process: ProcessDetail | undefined;
  applications: ApplicationTree[];
  global: { readonly name: unknown; readonly pid: Pid }[];
  sources: Record<string, unknown>;
  /** Undefined for a process that is not (or no longer) there and was never traced. */
  trace: TraceAnswer | undefined;
}

// ---- what is kept per node ----

interface Kept {
  readonly startedAt: number;
  readonly nodesDown: NodeDownEntry[];
  readonly lastCrashes: CrashEntry[];
  crashes: number;
  /** Traces by pid: running (a timer ends them) or ended (the events they kept). */
  readonly traces: Map<string, Trace>;
}

interface Trace {
  until: number | undefined;
  limit: number;
  timer: NodeJS.Timeout | undefined;
  /** What the trace kept once it ended. */
  events: readonly TraceEvent[];
}

const kept = new WeakMap<Node, Kept>();

function keptOf(node: Node): Kept {
  let r = kept.get(node);
  if (r === undefined) {
    const rec: Kept = { startedAt: Date.now(), nodesDown: [], lastCrashes: [], crashes: 0, traces: new Map() };
    kept.set(node, (r = rec));
    node.onExit((pid, reason) => {
      if (isCleanExit(reason)) return;
      rec.crashes++;
      keep(rec.lastCrashes, { pid, reason: formatTerm(reason), at: Date.now() }, KEPT_CRASHES);
    });
  }
  return r;
}

function keep<T>(list: T[], x: T, max: number): void {
  list.push(x);
  if (list.length > max) list.shift();
}

/** The introspection service of one node. @internal */
export class IntrospectServer extends GenServer {
  private kept!: Kept;

  override init(): void {
    this.kept = keptOf(this.ctx.node);
    // The kernel: this runs under kernel_sup before startDistributed has made the DistNode.
    kernelOf(this.ctx.node)?.monitorNodes(this.ctx.self, true, { nodeType: 'all' });
  }

  override handleCall(request: unknown, from: From): unknown {
    const node = this.ctx.node;
    if (!canReply(from)) return refuse(INTROSPECT, node.name, from, `a call of ${formatTerm(request)}`);
    const bad = malformed(request);
    if (bad !== null) return refuse(INTROSPECT, node.name, from, bad);
    const req = request as IntrospectRequest;
    node.spawn(
      async (ctx) => {
        let answer: unknown;
        try {
          answer = await answerOf(ctx, req);
        } catch (e) {
          answer = refuse(INTROSPECT, node.name, from, `${req.what}: ${formatTerm(e)}`);
        }
        reply(node, from, answer);
      },
      { label: `${INTROSPECT} ${req.what}` },
    );
    return this.noReply();
  }

  @Info(isNodeMessage)
  nodeEvent(msg: NodeUpMessage | NodeDownMessage): void {
    if (msg.type === 'nodedown') keep(this.kept.nodesDown, { node: msg.node, reason: msg.reason, at: Date.now() }, KEPT_NODEDOWNS);
  }
}

const WHATS = new Set(['node', 'processes', 'process', 'applications', 'global', 'sources', 'trace']);
const TRACE_OPS = new Set(['start', 'get', 'stop']);
const SORTS = new Set(['mailbox', 'memory', 'messages']);

/** Why `req` is not a request the service takes, or null. */
function malformed(req: unknown): string | null {
  if (typeof req !== 'object' || req === null) return `not a request: ${formatTerm(req)}`;
  const r = req as { type?: unknown; what?: unknown; pid?: unknown; sort?: unknown; limit?: unknown; op?: unknown; durationMs?: unknown };
  if (r.type !== 'introspect' || typeof r.what !== 'string' || !WHATS.has(r.what)) return `not an introspection request: ${formatTerm(req)}`;
  if ((r.what === 'process' || r.what === 'trace') && !isPid(r.pid)) return `${r.what}: expected a pid, got ${formatTerm(r.pid)}`;
  if (r.what === 'trace') {
    if (!TRACE_OPS.has(r.op as string)) return `trace: op must be start, get or stop, got ${formatTerm(r.op)}`;
    if (r.limit !== undefined && !(Number.isInteger(r.limit) && (r.limit as number) > 0 && (r.limit as number) <= TRACE_MAX_EVENTS)) return `trace: limit must be an integer from 1 to ${TRACE_MAX_EVENTS}, got ${formatTerm(r.limit)}`;
    if (r.durationMs !== undefined && !(Number.isInteger(r.durationMs) && (r.durationMs as number) > 0 && (r.durationMs as number) <= TRACE_MAX_MS)) return `trace: durationMs must be an integer from 1 to ${TRACE_MAX_MS}, got ${formatTerm(r.durationMs)}`;
  }
  if (r.what === 'processes') {
    if (r.sort !== undefined && !SORTS.has(r.sort as string)) return `processes: sort must be mailbox, memory or messages, got ${formatTerm(r.sort)}`;
    if (r.limit !== undefined && !(Number.isInteger(r.limit) && (r.limit as number) >= 0)) return `processes: limit must be an integer >= 0, got ${formatTerm(r.limit)}`;
  }
  return null;
}

async function answerOf(ctx: ProcessContext, req: IntrospectRequest): Promise<unknown> {
  const node = ctx.node;
  switch (req.what) {
    case 'node':
      return nodeSummary(node);
    case 'processes':
      return processRows(node, req.sort, req.limit);
    case 'process':
      return processDetail(ctx, req.pid);
    case 'applications':
      return applicationTrees(ctx);
    case 'global':
      return globalNames(node);
    case 'trace':
      return trace(ctx, req);
    case 'sources': {
      const out: Record<string, unknown> = {};
      for (const [key, source] of introspectionSources(node)) out[key] = source();
      return out;
    }
  }
}

/** What a connection counts now. The frame layer's statistics add bytes (see the header). @internal */
export function connectionStats(c: Connection): ConnectionStats {
  const stats = c.channel?.stats();
  return { peer: c.peer, hidden: c.hidden, messagesIn: c.inCount, messagesOut: c.outCount, bytesIn: stats?.bytesIn, bytesOut: stats?.bytesOut };
}

function nodeSummary(node: Node): NodeSummary {
  const rec = keptOf(node);
  const m = process.memoryUsage();
  const dist = distOf(node);
  const connections: ConnectionStats[] = [];
  if (dist !== undefined) for (const c of dist.router.connections.values()) if (c.state === 'up') connections.push(connectionStats(c));
  return {
    name: node.name,
    startedAt: rec.startedAt,
    uptimeMs: Date.now() - rec.startedAt,
    processCount: node.processCount,
    runQueue: node.scheduler.runQueueLength,
    memory: { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external },
    connections,
    nodesDown: [...rec.nodesDown],
    crashes: rec.crashes,
    lastCrashes: [...rec.lastCrashes],
  };
}

function rowOf(i: ProcessInfo): ProcessRow {
  return {
    pid: i.pid,
    name: i.name,
    behaviour: i.behaviour,
    status: i.status,
    mailboxLength: i.mailboxLength,
    memory: i.memory,
    messagesHandled: i.messagesHandled,
    links: i.links.length,
    monitors: i.monitors.length,
  };
}

const SORT_KEYS: Record<ProcessSort, (r: ProcessRow) => number> = {
  mailbox: (r) => r.mailboxLength,
  memory: (r) => r.memory,
  messages: (r) => r.messagesHandled,
};

/** The process table of `node`, largest first by `sort`, at most `limit` rows. @internal */
export function processRows(node: Node, sort?: ProcessSort, limit?: number): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const pid of node.processes()) {
    const i = node.processInfo(pid);
    if (i !== undefined) rows.push(rowOf(i));
  }
  if (sort !== undefined) {
    const key = SORT_KEYS[sort];
    rows.sort((a, b) => key(b) - key(a));
  }
  return limit === undefined ? rows : rows.slice(0, limit);
}

const STATEFUL = new Set(['gen_server', 'supervisor', 'gen_statem', 'agent']);

async function processDetail(ctx: ProcessContext, pid: Pid): Promise<ProcessDetail | undefined> {
  const info = ctx.node.processInfo(pid);
  if (info === undefined) return undefined;
  if (info.behaviour === undefined || !STATEFUL.has(info.behaviour) || pid.equals(ctx.self)) return { ...info, module: undefined, state: undefined };
  let module: string | undefined;
  let state: string | undefined;
  try {
    module = (await sys.getStatus(ctx, pid, INTROSPECT_CALL_TIMEOUT_MS)).module;
    state = formatTerm(await sys.getState(ctx, pid, INTROSPECT_CALL_TIMEOUT_MS));
  } catch (e) {
    state = `(not available: ${formatTerm(e)})`;
  }
  return { ...info, module, state };
}

function traceEvent(e: SysEvent): TraceEvent {
  switch (e.type) {
    case 'in':
      return e.from !== undefined ? { type: 'in', kind: e.kind, from: e.from, term: formatTerm(e.msg) } : { type: 'in', kind: e.kind, term: formatTerm(e.msg) };
    case 'out':
      return { type: 'out', to: e.to, term: formatTerm(e.reply) };
    case 'state':
      return { type: 'state', term: formatTerm(e.state) };
  }
}

/** Switches the log of `pid` off and keeps what it held in `t`; the server may be gone (nothing then). */
async function endTrace(ctx: ProcessContext, pid: Pid, t: Trace): Promise<void> {
  if (t.timer !== undefined) clearTimeout(t.timer);
  t.timer = undefined;
  t.until = undefined;
  try {
    const held = await sys.log(ctx, pid, false, INTROSPECT_CALL_TIMEOUT_MS);
    if (Array.isArray(held)) t.events = held.map(traceEvent);
  } catch {
    // The server went away: the events it held went with it; the last ones read stay.
  }
}

async function trace(ctx: ProcessContext, req: TraceRequest): Promise<TraceAnswer | undefined> {
  const node = ctx.node;
  const traces = keptOf(node).traces;
  const key = req.pid.toString();
  let t = traces.get(key);
  const info = node.processInfo(req.pid);
  if (req.op === 'start') {
    if (info === undefined) return undefined;
    if (info.behaviour === undefined || !STATEFUL.has(info.behaviour) || req.pid.equals(ctx.self)) {
      throw new Error(`${req.pid.toString()} is ${info.behaviour === undefined ? 'not a behaviour' : `a ${info.behaviour}`}: only servers that answer sys can be traced`);
    }
    const limit = req.limit ?? 20;
    await sys.log(ctx, req.pid, limit, INTROSPECT_CALL_TIMEOUT_MS);
    if (t?.timer !== undefined) clearTimeout(t.timer);
    const durationMs = req.durationMs ?? TRACE_MAX_MS;
    const rec: Trace = { until: Date.now() + durationMs, limit, timer: undefined, events: [] };
    rec.timer = setTimeout(() => {
      if (rec.timer === undefined) return;
      rec.timer = undefined;
      try {
        node.spawn((c) => endTrace(c, req.pid, rec), { label: `${INTROSPECT} trace end` });
      } catch {
        // The node has stopped: its servers, and their logs, with it.
      }
    }, durationMs);
    rec.timer.unref();
    traces.set(key, (t = rec));
    for (const [k, old] of traces) if (traces.size > KEPT_TRACES && old.timer === undefined) traces.delete(k);
    return { pid: req.pid, tracing: true, until: rec.until, limit, events: [] };
  }
  if (t === undefined) return info === undefined ? undefined : { pid: req.pid, tracing: false, until: undefined, limit: 0, events: [] };
  if (t.timer !== undefined) {
    if (req.op === 'stop' || info === undefined) await endTrace(ctx, req.pid, t);
    else {
      try {
        t.events = (await sys.getLog(ctx, req.pid, INTROSPECT_CALL_TIMEOUT_MS)).map(traceEvent);
      } catch {
        await endTrace(ctx, req.pid, t);
      }
    }
  }
  return { pid: req.pid, tracing: t.timer !== undefined, until: t.until, limit: t.limit, events: t.events };
}

async function applicationTrees(ctx: ProcessContext): Promise<ApplicationTree[]> {
  const node = ctx.node;
  const roots: { name: string; type: string; root: Pid | undefined }[] = [{ name: 'kernel', type: 'permanent', root: node.whereis('kernel_sup') }];
  for (const a of whichApplications(node)) roots.push({ name: a.name, type: a.type, root: a.root });
  const out: ApplicationTree[] = [];
  const seen = new Set<string>();
  for (const r of roots) {
    if (r.root === undefined) continue;
    const tree = node.processInfo(r.root)?.behaviour === 'supervisor' ? await supervisorTree(ctx, r.root, undefined, 0) : leaf(ctx, r.root);
    collect(tree, seen);
    out.push({ name: r.name, type: r.type, tree });
  }
  // Supervisors under no application (a main that starts its own tree): each top one, as type `supervisor`.
  const loose: ApplicationTree[] = [];
  for (const pid of node.processes()) {
    const info = node.processInfo(pid);
    if (info?.behaviour !== 'supervisor' || seen.has(pid.toString())) continue;
    const tree = await supervisorTree(ctx, pid, undefined, 0);
    loose.push({ name: info.name ?? pid.toString(), type: 'supervisor', tree });
  }
  const inner = new Set<string>();
  for (const t of loose) for (const c of t.tree.children ?? []) collect(c, inner);
  return out.concat(loose.filter((t) => !inner.has(String(t.tree.pid))));
}

function leaf(ctx: ProcessContext, pid: Pid): TreeNode {
  return { id: undefined, pid, name: ctx.node.processInfo(pid)?.name, type: 'worker', restarts: 0 };
}

/** Adds the pids of `t` and all under it to `into`. */
function collect(t: TreeNode, into: Set<string>): void {
  if (t.pid instanceof Pid) into.add(t.pid.toString());
  for (const c of t.children ?? []) collect(c, into);
}

/** A supervisor and everything under it (its children on other nodes too: they are asked by call). */
async function supervisorTree(ctx: ProcessContext, sup: Pid, id: string | undefined, restarts: number): Promise<TreeNode> {
  const name = ctx.node.isLocal(sup) ? ctx.node.processInfo(sup)?.name : undefined;
  let children;
  let counts;
  try {
    [children, counts] = await Promise.all([whichChildren(ctx, sup, INTROSPECT_CALL_TIMEOUT_MS), restartCounts(ctx, sup, INTROSPECT_CALL_TIMEOUT_MS)]);
  } catch (e) {
    return { id, pid: sup, name, type: 'supervisor', restarts, error: formatTerm(e) };
  }
  const byKey = new Map<string, number>();
  for (const c of counts.children) byKey.set(c.pid !== undefined ? c.pid.toString() : `id:${c.id}`, c.restarts);
  const nodes: TreeNode[] = [];
  for (const c of children) {
    const n = (c.pid instanceof Pid ? byKey.get(c.pid.toString()) : undefined) ?? byKey.get(`id:${c.id}`) ?? 0;
    if (c.type === 'supervisor' && c.pid instanceof Pid) nodes.push(await supervisorTree(ctx, c.pid, c.id, n));
    else nodes.push({ id: c.id, pid: c.pid, name: c.pid instanceof Pid && ctx.node.isLocal(c.pid) ? ctx.node.processInfo(c.pid)?.name : undefined, type: c.type, restarts: n });
  }
  return { id, pid: sup, name, type: 'supervisor', restarts, supervisorRestarts: counts.total, children: nodes };
}

function globalNames(node: Node): { name: unknown; pid: Pid }[] {
  const server = globalServerOf(node);
  if (server === undefined) return [];
  const out: { name: unknown; pid: Pid }[] = [];
  for (const name of server.registeredNames()) {
    const pid = server.whereis(name);
    if (pid !== undefined) out.push({ name, pid });
  }
  return out;
}

// ---- the client ----

/** What {@link introspect} can ask for. */
export type IntrospectWhat = keyof IntrospectAnswers;

/** Options of {@link introspect}: `pid` for `process`; `sort` and `limit` for `processes`; `pid`, `op`, `limit` and `durationMs` for `trace`. */
export interface IntrospectOptions {
  readonly pid?: Pid;
  readonly sort?: ProcessSort;
  readonly limit?: number;
  readonly op?: TraceRequest['op'];
  readonly durationMs?: number;
  /** Default 10 s. */
  readonly timeoutMs?: TimeoutMs;
}

/**
 * Asks the introspection service of node `peer` (this node's own included) for `what`:
 * the node at a glance, its process table, one process, its applications' supervision
 * trees, its global names, or what other packages add (`sources`: pg's scopes). Fails
 * as a call does; a malformed request with a BadRequestError.
 */
export function introspect<W extends IntrospectWhat>(from: DistCaller, peer: string, what: W, options: IntrospectOptions = {}): Promise<IntrospectAnswers[W]> {
  const ctx = callerOf(from, 'introspect');
  const { timeoutMs = 10_000, ...fields } = options;
  return call(ctx, [INTROSPECT, peer], { type: 'introspect', what, ...fields }, timeoutMs) as Promise<IntrospectAnswers[W]>;
}
