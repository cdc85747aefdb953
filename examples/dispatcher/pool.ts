/**
 * The supervisors, all on the boss node:
 *
 *   boss root (one_for_all)
 *   ├── Pools: a SimpleOneForOneSupervisor, one NodePool per worker node (temporary children)
 *   │   ├── NodePool for w1 (one_for_one) ── Worker w1/1, Worker w1/2   ← on w1
 *   │   └── NodePool for w2 ...                                          ← on w2
 *   └── Dispatcher
 *
 * A NodePool's children run on another node (`remoteChild`): the supervisor is
 * linked to them across the network, so a worker that crashes is restarted on its
 * node, as a local one would be. When the whole node dies, every worker exits with
 * `noconnection`, each restart fails (the node is not there), and the NodePool gives
 * up after `intensity` restarts and exits. It is a temporary child of Pools, so the
 * failure stops there: the other nodes' pools, and the dispatcher, never notice.
 */
import { SimpleOneForOneSupervisor, Supervisor, supervisor, type ChildSpec, type ChildTemplate } from '@grove/core';
import { remoteChild } from '@grove/distribution';
import { short, WORKER_SPAWNABLE } from './job';
import type { WorkerArgs } from './worker';

/** Which node a pool serves, and where its workers report. */
export interface PoolArgs {
  node: string;
  boss: string;
  workers: number;
}

/** The workers of one node. */
@supervisor({ strategy: 'one_for_one', intensity: 3, periodMs: 5000 })
export class NodePool extends Supervisor<PoolArgs> {
  children({ node, boss, workers }: PoolArgs): ChildSpec[] {
    return Array.from({ length: workers }, (_, i) => {
      const args: WorkerArgs = { boss, id: `${short(node)}/${i + 1}` };
      return remoteChild({ id: `worker${i + 1}`, node, spawnable: WORKER_SPAWNABLE, args: [args], shutdown: 1000 });
    });
  }
}

/** One NodePool per worker node, started as nodes come up. */
@supervisor({ intensity: 10, periodMs: 5000 })
export class Pools extends SimpleOneForOneSupervisor<void, PoolArgs> {
  child(): ChildTemplate<PoolArgs> {
    return { start: (parent, args) => NodePool.startLink(parent, args), restart: 'temporary', type: 'supervisor' };
  }
}
