/**
 * Starting the node a command runs: local (`nonode@nohost`) without a name, else a
 * distributed node registered with the port mapper. `startDistributed` resolves the
 * cookie: `--cookie`, then `GROVE_COOKIE`, then the cookie file (dist's cookie.ts).
 */
import { isIP } from 'node:net';
import { Node } from '@grove/core';
import { epmdPort, hostOf, startDistributed, type DistNode, type DistOptions } from '@grove/distribution';
import type { NodeFlags } from './args';
import { UsageError } from './errors';

/** A node started by a command, and how to stop it. */
export interface StartedNode {
  readonly node: Node;
  /** The distributed side, when the node has a name. */
  readonly dist: DistNode | undefined;
  /** Closes connections, unregisters from the port mapper and ends every process. */
  stop(): Promise<void>;
}

/** Checks GROVE_EPMD_PORT (and ERL_EPMD_PORT) up front, so a typo is a clear message before anything starts. */
export function checkEpmdPort(env: NodeJS.ProcessEnv = process.env): number {
  try {
    return epmdPort(undefined, env);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Starts the node `flags` describe.
 *
 * @throws CookieError when no usable cookie is found; the dist layer's errors when
 *   the node cannot listen or register (a name already taken, say).
 */
export async function startNode(flags: NodeFlags): Promise<StartedNode> {
  if (flags.name === undefined) {
    const node = new Node();
    return {
      node,
      dist: undefined,
      stop: async () => node.halt(),
    };
  }
  checkEpmdPort();
  const options: DistOptions = { name: flags.name, cookie: flags.cookie, hidden: flags.hidden };
  // A name on an IP address says where the node is reached: listen there.
  const host = hostOf(flags.name);
  if (isIP(host) !== 0) options.host = host;
  const dist = await startDistributed(options);
  return { node: dist.node, dist, stop: () => dist.stop() };
}
