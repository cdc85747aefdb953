/**
 * GenServers registered under the same local name on many nodes (OTP
 * `gen_server:multi_call` and `gen_server:abcast`): one request to each, the
 * replies collected by node.
 *
 * Requests are what the server's handlers take: a message name, or `[name, ...args]`
 * (the wire form of typed clients: `multiCall(ctx, 'kv', ['get', 'k'])`).
 * A node whose server is not there, is unreachable, dies, has no handler for the
 * request, or does not answer within the timeout is a bad node.
 */
import { BadArgError, callServer, castServer, formatTerm, type ProcessContext, type TimeoutMs } from '@grove/core';
import { callerOf, knownNodes, type DistCaller } from '../node/dist_node';
import { isNodeName } from '../node/node_name';

/** Who calls: a process context, a node, or a distributed node. */
export type MultiCaller = DistCaller;

/** What {@link multiCall} resolves with (OTP `{Replies, BadNodes}`). */
export interface MultiCallResult<R> {
  /** `[node, reply]` for every node that answered, in the order of the nodes. */
  readonly replies: Array<[node: string, reply: R]>;
  /** Nodes that gave no reply. */
  readonly badNodes: string[];
}

/** The explicit nodes, or this node and the visible ones. */
function targets(caller: ProcessContext, nodes: unknown, what: string): string[] {
  if (nodes === undefined) return knownNodes(caller.node);
  if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string' && isNodeName(n))) {
    throw new BadArgError(`${what}: nodes must be an array of node names, got ${formatTerm(nodes)}`, nodes);
  }
  return [...(nodes as string[])];
}

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new BadArgError(`${what}: name must be a registered name (a non-empty string), got ${formatTerm(name)}`, name);
}

/** Calls the server registered as `name` on this node and every visible node. */
export function multiCall<R = unknown>(from: MultiCaller, name: string, request: unknown): Promise<MultiCallResult<R>>;
/** Calls the server registered as `name` on each of `nodes` (OTP `multi_call/4`; default timeout infinity). */
export function multiCall<R = unknown>(from: MultiCaller, nodes: readonly string[], name: string, request: unknown, timeoutMs?: TimeoutMs): Promise<MultiCallResult<R>>;
export async function multiCall<R>(from: MultiCaller, ...rest: unknown[]): Promise<MultiCallResult<R>> {
  const explicit = Array.isArray(rest[0]);
  const [nodes, name, request, timeoutMs] = explicit ? rest : [undefined, ...rest];
  const caller = callerOf(from, 'multiCall');
  const list = targets(caller, nodes, 'multiCall');
  checkName(name, 'multiCall');
  const t = (timeoutMs ?? 'infinity') as TimeoutMs;
  if (t !== 'infinity' && !(typeof t === 'number' && t >= 0 && t < Infinity)) throw new BadArgError(`multiCall: timeoutMs must be a finite number >= 0 or 'infinity', got ${formatTerm(t)}`, t);
  const settled = await Promise.all(
    list.map((node) =>
      callServer(caller, [name, node], request, t).then(
        (reply) => ({ node, ok: true as const, reply: reply as R }),
        () => ({ node, ok: false as const }),
      ),
    ),
  );
  const replies: Array<[string, R]> = [];
  const badNodes: string[] = [];
  for (const s of settled) {
    if (s.ok) replies.push([s.node, s.reply]);
    else badNodes.push(s.node);
  }
  return { replies, badNodes };
}

/** Casts to the server registered as `name` on this node and every visible node. */
export function abcast(from: MultiCaller, name: string, request: unknown): 'abcast';
/** Casts to the server registered as `name` on each of `nodes` (OTP `abcast/3`): fire and forget. */
export function abcast(from: MultiCaller, nodes: readonly string[], name: string, request: unknown): 'abcast';
export function abcast(from: MultiCaller, ...rest: unknown[]): 'abcast' {
  const explicit = Array.isArray(rest[0]);
  const [nodes, name, request] = explicit ? rest : [undefined, ...rest];
  const caller = callerOf(from, 'abcast');
  const list = targets(caller, nodes, 'abcast');
  checkName(name, 'abcast');
  for (const node of list) castServer(caller, [name, node], request);
  return 'abcast';
}
