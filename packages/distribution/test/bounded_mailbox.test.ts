/**
 * Bounded mailboxes (core's spawn option `mailbox`) under messages and calls from
 * another node, over TCP: the same policy applies, and a refused call fails at the
 * remote caller with MailboxFullError.
 */
import { Call, callServer, GenServer, MailboxFullError, type Pid, type ProcessContext } from '@grove/core';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

afterEach(stopTcpNodes);

/** Holds the server in its `block` call until `release` runs. */
class Gate extends GenServer<{ call: 'block' | 'ping' }> {
  static release: (() => void) | null = null;
  @Call() block(): Promise<string> {
    return new Promise((resolve) => {
      Gate.release = () => resolve('released');
    });
  }
  @Call() ping(): string {
    return 'pong';
  }
}

describe('a bounded mailbox and other nodes', () => {
  it("refuses a remote call with MailboxFullError under 'reject'", async () => {
    const a = await tcpNode('mbox_a');
    const b = await tcpNode('mbox_b');
    expect(await a.connect(b.name)).toBe(true);
    const gate = await Gate.start(b.node, undefined, { name: 'gate', mailbox: { max: 1, overflow: 'reject' } });
    const blocked = callServer(b.node, gate, 'block');
    await waitFor(() => Gate.release !== null, 'the gate blocks');
    const queued = callServer(a.node, ['gate', b.name], 'ping');
    await waitFor(() => b.node.processInfo(gate)?.mailboxLength === 1, 'the remote call is queued');
    const refused = await callServer(a.node, ['gate', b.name], 'ping').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MailboxFullError);
    expect(refused).toMatchObject({ code: 'mailbox_full', max: 1 });
    expect((refused as MailboxFullError).server.equals(gate)).toBe(true);
    Gate.release!();
    Gate.release = null;
    expect(await blocked).toBe('released');
    expect(await queued).toBe('pong');
  });

  it("drops remote messages past the bound under 'drop_newest' and counts them", async () => {
    const a = await tcpNode('mbox_a');
    const b = await tcpNode('mbox_b');
    const got: unknown[] = [];
    const sink = b.node.spawn(
      async (ctx: ProcessContext) => {
        await ctx.receive((m) => m === 'go');
        while (ctx.mailboxLength > 0) got.push(await ctx.receive());
      },
      { mailbox: { max: 2, overflow: 'drop_newest' } },
    );
    await waitFor(() => b.node.processInfo(sink)?.status === 'waiting', 'the sink waits');
    await a.node.run(async (ctx) => {
      for (const m of [1, 2, 3, 4]) ctx.send(sink as Pid, m);
    });
    await waitFor(() => b.node.processInfo(sink)?.droppedMessages === 2, 'two drops');
    b.node.send(sink, 'go');
    await waitFor(() => !b.node.isAlive(sink), 'the sink ends');
    expect(got).toEqual([1, 2]);
  });
});
