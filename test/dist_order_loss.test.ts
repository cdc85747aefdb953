/**
 * Ordering and loss between two nodes whose link is cut and healed during a run
 * (OTP's guarantee): a sender streams numbered messages to a process on another
 * node while monitoring it; the link runs through @grove/testing's Relay, which
 * cuts it several times (or resets it at random). What arrives is strictly
 * increasing, and every message that did not arrive was sent under a monitor that
 * then said `noconnection`: no silent loss, no reordering, no duplicate.
 */
import { isDownMessage, type Pid, type ProcessContext } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { useCluster, waitFor, type Relay } from '@grove/testing';

const cluster = useCluster();

/** The messages sent under one monitor of the receiver. */
interface Epoch {
  first: number;
  /** One past the last number sent. */
  end: number;
  down: unknown;
}

interface Run {
  received: number[];
  epochs: Epoch[];
  stop(): Promise<number>;
}

/**
 * Starts a receiver on `b` that records what it gets, and a sender on `a` that sends
 * 0, 1, 2... in bursts of 20, yielding between bursts. Each epoch begins with a
 * monitor of the receiver and ends with its DOWN; after a DOWN the sender waits 5 ms
 * and monitors again (while the link is cut, that DOWN comes at once).
 */
function stream(a: DistNode, b: DistNode): Run {
  const received: number[] = [];
  const epochs: Epoch[] = [];
  const receiver: Pid = b.node.spawnLoop((m) => void received.push(m as number), { label: 'receiver' });
  let stopping = false;
  let stopped!: (n: number) => void;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  a.node.spawn(async (ctx: ProcessContext) => {
    let n = 0;
    while (!stopping) {
      const ref = ctx.monitor(receiver);
      const epoch: Epoch = { first: n, end: n, down: null };
      epochs.push(epoch);
      while (!stopping) {
        for (let i = 0; i < 20; i++) ctx.send(receiver, n++);
        epoch.end = n;
        const down = await ctx.receive((m) => isDownMessage(m, ref), 1);
        if (isDownMessage(down)) {
          epoch.down = down.reason;
          await ctx.receive(() => false, 5);
          break;
        }
      }
    }
    stopped(n);
  }, { label: 'sender' });
  return {
    received,
    epochs,
    stop: () => {
      stopping = true;
      return done;
    },
  };
}

/** Checks the guarantee and returns the figures. */
function check(run: Run, sent: number): { sent: number; received: number; lost: number; epochs: number; downs: number } {
  const { received, epochs } = run;
  for (let i = 1; i < received.length; i++) {
    if (!(received[i]! > received[i - 1]!)) throw new Error(`out of order at ${i}: ${received[i - 1]} then ${received[i]}`);
  }
  const got = new Set(received);
  let lost = 0;
  for (const e of epochs) {
    for (let k = e.first; k < e.end; k++) {
      if (got.has(k)) continue;
      lost++;
      if (e.down !== 'noconnection') throw new Error(`message ${k} was lost, but its epoch [${e.first}, ${e.end}) ended with ${String(e.down)}, not a noconnection DOWN`);
    }
  }
  expect(received.length + lost).toBe(sent);
  return { sent, received: received.length, lost, epochs: epochs.length, downs: epochs.filter((e) => e.down !== null).length };
}

/** Waits for `n` more messages than now to arrive. */
async function progress(run: Run, n: number): Promise<void> {
  const target = run.received.length + n;
  await waitFor(() => run.received.length >= target, `${n} more messages to arrive`);
}

/** Stops the sender once the link is whole and the last epoch is delivered in full. */
async function finish(run: Run): Promise<number> {
  await progress(run, 200);
  const sent = await run.stop();
  const last = run.epochs.at(-1)!;
  if (last.down === null) await waitFor(() => run.received.at(-1) === sent - 1, 'the last epoch to arrive in full');
  return sent;
}

async function cutAndHeal(relay: Relay, run: Run): Promise<void> {
  const downs = run.epochs.filter((e) => e.down !== null).length;
  relay.cut();
  await waitFor(() => run.epochs.filter((e) => e.down !== null).length > downs, 'the sender to see the link drop');
  relay.heal();
}

describe('ordering and loss across a link that is cut and healed', () => {
  it('delivers in order, and loses messages only under a monitor that said noconnection (5 cuts)', async () => {
    const { a, b, relay } = await cluster().relayed('sender', 'receiver');
    const run = stream(a, b);
    for (let i = 0; i < 5; i++) {
      await progress(run, 500);
      await cutAndHeal(relay, run);
    }
    const figures = check(run, await finish(run));
    console.info(`order/loss, 5 cuts: ${JSON.stringify({ ...figures, cuts: relay.cuts, connections: relay.accepted })}`);
    expect(figures.downs).toBeGreaterThanOrEqual(5);
    expect(relay.accepted).toBeGreaterThanOrEqual(6);
  });

  it('keeps the guarantee on a link that resets at random (seeded)', async () => {
    const c = cluster();
    const { a, b, relay } = await c.relayed('sender', 'receiver');
    const run = stream(a, b);
    await progress(run, 500);
    relay.drop(0.01);
    await waitFor(() => relay.cuts >= 5, '5 random resets', 15_000);
    relay.heal();
    const figures = check(run, await finish(run));
    console.info(`order/loss, random resets: ${JSON.stringify({ ...figures, cuts: relay.cuts, connections: relay.accepted })}`);
    expect(figures.downs).toBeGreaterThanOrEqual(1);
  });
});
