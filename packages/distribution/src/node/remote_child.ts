/**
 * Supervisor children on other nodes. A child spec's `start` spawn_links the
 * registered spawnable on the named node (SPAWN_REQUEST with the link flag, so the
 * link exists before the child can run or die; a GenServer is answered after its
 * `init`), and resolves with the remote pid. From then on the supervisor's links,
 * monitors and exit signals reach the child through the router, so restarts,
 * shutdowns (`shutdown`, then `kill` after the timeout) and `noconnection` (the
 * child's node was lost: an abnormal exit, so a permanent child is restarted,
 * which fails while the node stays unreachable and escalates as OTP would) work
 * as for a local child.
 */
import { BadArgError, type ChildSpec, type ProcessContext, type RestartType, type Shutdown, type ChildType, type Pid } from '@grove/core';
import { spawnLinkRemote } from './dist_node';
import { SpawnError } from '../errors';

/** A child that runs on another node. */
export interface RemoteChildSpec {
  /** Unique among the supervisor's children. */
  id: string;
  /** The node the child runs on (`bob@127.0.0.1`). */
  node: string;
  /** The name the child's node registered the spawnable under (`registerSpawnable`). */
  spawnable: string;
  /** Arguments: spread into a process body; `[initArg]` for a GenServer class. */
  args?: readonly unknown[];
  restart?: RestartType;
  shutdown?: Shutdown;
  type?: ChildType;
  significant?: boolean;
}

/**
 * A supervisor child spec whose child runs on `spec.node`.
 *
 * @example
 * bob.registerSpawnable('cache', Cache);          // on bob
 * startSupervisor(alice.node, { children: [remoteChild({ id: 'cache', node: 'bob@127.0.0.1', spawnable: 'cache' })] });
 */
export function remoteChild(spec: RemoteChildSpec): ChildSpec {
  if (typeof spec !== 'object' || spec === null) throw new BadArgError('remoteChild: expected a spec object', spec);
  const { node, spawnable } = spec;
  if (typeof spawnable !== 'string' || spawnable.length === 0) throw new BadArgError(`remoteChild ${JSON.stringify(spec.id)}: spawnable must be a non-empty string`, spawnable);
  const args = spec.args ?? [];
  if (!Array.isArray(args)) throw new BadArgError(`remoteChild ${JSON.stringify(spec.id)}: args must be an array`, args);
  const out: ChildSpec = {
    id: spec.id,
    node,
    start: (parent: ProcessContext): Promise<Pid | 'ignore'> =>
      spawnLinkRemote(parent, node, spawnable, args).catch((e: unknown) => {
        if (e instanceof SpawnError && e.reason === 'ignore') return 'ignore';
        throw e;
      }),
  };
  if (spec.restart !== undefined) out.restart = spec.restart;
  if (spec.shutdown !== undefined) out.shutdown = spec.shutdown;
  if (spec.type !== undefined) out.type = spec.type;
  if (spec.significant !== undefined) out.significant = spec.significant;
  return out;
}
