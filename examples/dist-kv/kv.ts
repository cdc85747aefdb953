/**
 * A replicated key-value store: one `Kv` GenServer, registered as `kv`, on every
 * node of the cluster, each holding a full copy of the table.
 *
 * - `put`: the node that takes the write casts it to every connected node (OTP's
 *   `gen_server:abcast`) and answers at once. Fast, and eventually consistent: a
 *   read elsewhere may not see the write yet, and a write to a node that is down is
 *   simply lost there.
 * - `get`: reads this node's copy only. No network, never blocks on other nodes.
 * - `putMajority`: the variant. The node calls `store` on every member and answers
 *   once a majority (2 of 3) acknowledged, or says `no_quorum` when that became
 *   impossible. A write that got `ok` survives any minority of nodes failing.
 */
import { callServer, Call, Cast, GenServer, type NoReply, type ProcessContext } from '@grove/core';
import { abcast, distOf } from '@grove/distribution';

/** What `putMajority` answers: the outcome, and which nodes acknowledged the write. */
export interface MajorityReply {
  result: 'ok' | 'no_quorum';
  acked: string[];
}

/** How long a member has to acknowledge a majority write. */
const ACK_TIMEOUT_MS = 2000;

export class Kv extends GenServer<{ call: 'put' | 'storeAck' | 'get' | 'peers' | 'putMajority'; cast: 'store' }> {
  private readonly table = new Map<string, string>();
  /** Every member of the cluster, this node included: the majority is counted against it. */
  private cluster: string[] = [];

  override init(cluster: string[]) {
    this.cluster = cluster;
    // Connecting may take a while: do it after init, so start() returns at once.
    return this.continueWith('connect');
  }

  override async handleContinue(): Promise<void> {
    const dist = distOf(this.ctx.node)!;
    // Members not up yet connect to us when they start; the mesh does the rest.
    for (const peer of this.cluster) if (peer !== this.ctx.node.name) await dist.connect(peer);
    console.log(`kv ready on ${this.ctx.node.name}; connected to: ${dist.nodes().join(', ') || 'nobody yet'}`);
  }

  /** Writes everywhere, answers before anyone stored it. */
  @Call() put(key: string, value: string): 'ok' {
    const everywhere = [this.ctx.node.name, ...distOf(this.ctx.node)!.nodes()];
    abcast(this.ctx, everywhere, 'kv', ['store', key, value]);
    return 'ok';
  }

  /** A replica's write (cast by `put`). */
  @Cast() store(key: string, value: string): void {
    this.table.set(key, value);
  }

  /** A replica's write that the writer waits for (called by `putMajority`). */
  @Call() storeAck(key: string, value: string): 'stored' {
    this.table.set(key, value);
    return 'stored';
  }

  /** Reads this node's copy. */
  @Call() get(key: string): string | null {
    return this.table.get(key) ?? null;
  }

  /** The nodes this one is connected to. */
  @Call() peers(): string[] {
    return distOf(this.ctx.node)!.nodes();
  }

  /** Writes to every member, answers once a majority acknowledged. */
  @Call() putMajority(key: string, value: string): MajorityReply | NoReply {
    const from = this.from;
    // Waiting here would block this server, and it must answer its own storeAck:
    // a helper process collects the acks and replies to the caller for us.
    this.ctx.spawn(async (helper) => this.reply(from, await collectAcks(helper, this.cluster, key, value)));
    return this.noReply();
  }
}

/** Calls `storeAck` on every member; resolves as soon as a majority answered, or cannot. */
function collectAcks(ctx: ProcessContext, cluster: string[], key: string, value: string): Promise<MajorityReply> {
  const quorum = Math.floor(cluster.length / 2) + 1;
  const acked: string[] = [];
  let failed = 0;
  return new Promise((resolve) => {
    for (const node of cluster) {
      callServer(ctx, ['kv', node], ['storeAck', key, value], ACK_TIMEOUT_MS).then(
        () => {
          acked.push(node);
          if (acked.length === quorum) resolve({ result: 'ok', acked: [...acked] });
        },
        // Down, unreachable or too slow: a missing ack. (`noconnection` comes at once.)
        () => {
          failed++;
          if (cluster.length - failed === quorum - 1) resolve({ result: 'no_quorum', acked: [...acked] });
        },
      );
    }
  });
}
