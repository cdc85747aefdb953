/**
 * `grove top NODE` as a user runs it, in its own OS process: a hidden node that
 * watches a node of this process through its introspection service, refreshes a
 * number of times and exits; a node that is not there is exit 1 with a message.
 */
import { Cast, GenServer } from '@grove/core';
import { cleanup, COOKIE, privateEpmd, tcpNode } from './support/nodes';
import { groveEnv, groveRun, killChildren, requireBuild } from './fixtures/cli_harness';

class Inbox extends GenServer<{ cast: 'put' }> {
  @Cast('put')
  put(): void {}
}

afterEach(async () => {
  await killChildren();
  await cleanup();
});

describe('grove top', () => {
  beforeAll(requireBuild);

  it('prints the node and its busiest processes, refreshed --count times, sorted by --sort', async () => {
    const epmd = await privateEpmd();
    const alice = await tcpNode('alice', epmd);
    const busy = await Inbox.start(alice.node, undefined, { name: 'busy_inbox' });
    for (let i = 0; i < 50; i++) busy.cast.put();
    const env = groveEnv({ GROVE_EPMD_PORT: String(epmd.port) });
    const r = await groveRun(['top', alice.name, '--cookie', COOKIE, '--count', '2', '--interval', '0.1', '--sort', 'messages', '--lines', '5'], [], env);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const screens = r.stdout.split('\n\n');
    expect(screens).toHaveLength(2);
    for (const screen of screens) {
      const lines = screen.split('\n');
      expect(lines[1]).toContain(`${alice.name}   uptime`);
      expect(lines[1]).toContain('sorted by messages');
      expect(screen).toMatch(/processes \d+ {3}run queue \d+ {3}crashes 0/);
      expect(screen).toMatch(/Pid +Name or behaviour +Status +MsgQ +Memory +Handled/);
      // The inbox handled its 50 casts: no other process of a fresh node handled as many.
      const first = lines.findIndex((l) => l.startsWith('Pid')) + 1;
      expect(lines[first]).toMatch(/busy_inbox +waiting +0 +[\d.]+ k?B +50$/);
      expect(lines.slice(first).filter((l) => l.startsWith('#PID<')).length).toBe(5);
    }
    // The watcher was hidden: alice never listed it.
    expect(alice.nodes()).toEqual([]);
  });

  it('exits 1 with a message when NODE cannot be reached', async () => {
    const epmd = await privateEpmd();
    const env = groveEnv({ GROVE_EPMD_PORT: String(epmd.port) });
    const r = await groveRun(['top', 'nobody@127.0.0.1', '--cookie', COOKIE, '--count', '1'], [], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('grove top: cannot connect to nobody@127.0.0.1 (not running, another cookie, or not allowed)\n');
  });
});
