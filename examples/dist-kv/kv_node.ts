/**
 * One member of the key-value cluster, as an Application: `grove run` starts it
 * (with the words after the file as its start args: every member's node name) and
 * stops it on Ctrl-C or SIGTERM, as a release would.
 *
 *   npx grove run --name kv1@127.0.0.1 --cookie kv examples/dist-kv/dist/kv_node.js \
 *     kv1@127.0.0.1 kv2@127.0.0.1 kv3@127.0.0.1
 */
import { Application, startLinkSupervisor, type Pid, type ProcessContext } from '@grove/core';
import { Kv } from './kv';

export default class KvApp extends Application<string[]> {
  start(ctx: ProcessContext, cluster: string[]): Promise<Pid> {
    if (!cluster.includes(ctx.node.name)) throw new Error(`list every member, this node (${ctx.node.name}) included; got: ${cluster.join(' ')}`);
    // The store under a supervisor: if it crashes it restarts (empty, and catching up
    // only with new writes: this example does no anti-entropy).
    return startLinkSupervisor(ctx, { children: [Kv.childSpec(cluster, { name: 'kv' })] });
  }
}
