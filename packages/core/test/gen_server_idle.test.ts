/**
 * GenServer's idle timeout (`timeoutAfter`, OTP's `{reply, R, S, Timeout}`) and
 * `hibernate`.
 */
import { BadArgError, Call, callServer, Cast, castServer, GenServer, Info, ManualClock, stopServer, sys, type Pid } from '@grove/core';
import { node, useNode, waitFor } from './helpers';

class Idle extends GenServer<{ call: 'ping' | 'count' | 'bad'; cast: 'quiet' | 'hush' }> {
  timeouts = 0;
  seen: unknown[] = [];
  override init(ms?: number) {
    return ms === undefined ? undefined : this.timeoutAfter(ms);
  }
  @Call() ping(ms: number) {
    return this.timeoutAfter(ms, 'pong');
  }
  @Call() count(): number {
    return this.timeouts;
  }
  @Call() bad() {
    return this.timeoutAfter(-1, 'never');
  }
  @Cast() quiet(ms: number) {
    return this.timeoutAfter(ms);
  }
  @Cast() hush() {
    return this.hibernate();
  }
  @Info('timeout') onTimeout(): void {
    this.timeouts++;
  }
  override handleInfo(msg: unknown): undefined {
    this.seen.push(msg);
    return undefined;
  }
}

describe('GenServer idle timeout (timeoutAfter)', () => {
  let clock: ManualClock;
  useNode(() => ({ clock: (clock = new ManualClock()) }));

  it("sends handleInfo('timeout') when no message comes within the time", async () => {
    const pid = (await Idle.start(node)) as Pid;
    expect(await callServer(node, pid, ['ping', 100])).toBe('pong');
    clock.advance(99);
    expect(await callServer(node, pid, 'count')).toBe(0); // this call cancels the timeout
    clock.advance(1000);
    expect(await callServer(node, pid, 'count')).toBe(0);
    expect(await callServer(node, pid, ['ping', 100])).toBe('pong');
    clock.advance(100);
    expect(await callServer(node, pid, 'count')).toBe(1);
    castServer(node, pid, ['quiet', 5]);
    expect(await callServer(node, pid, ['ping', 5])).toBe('pong'); // the cast's timeout is cancelled by this call; this one's is armed
    clock.advance(5);
    expect(await callServer(node, pid, 'count')).toBe(2);
    await stopServer(node, pid);
  });

  it('arms from init, and system requests leave it armed', async () => {
    const pid = (await Idle.start(node, 50)) as Pid;
    expect(await sys.getState(node, pid)).toMatchObject({ timeouts: 0 });
    clock.advance(50);
    expect(await callServer(node, pid, 'count')).toBe(1);
    await stopServer(node, pid);
  });

  it('refuses a bad time in the server, as a crash of the call', async () => {
    const pid = (await Idle.start(node)) as Pid;
    await expect(callServer(node, pid, 'bad')).rejects.toThrow();
    expect(node.isAlive(pid)).toBe(false);
  });

  it('never passes its own stale ticks to handleInfo', async () => {
    const pid = (await Idle.start(node)) as Pid;
    for (let i = 0; i < 5; i++) castServer(node, pid, ['quiet', 10]);
    await sys.getState(node, pid); // handled after the casts; a system request leaves the last timeout armed
    clock.advance(10);
    expect(await callServer(node, pid, 'count')).toBe(1);
    expect((await sys.getState<{ seen: unknown[] }>(node, pid)).seen).toEqual([]);
    await stopServer(node, pid);
  });
});

describe('GenServer hibernate', () => {
  useNode();

  it('drops an empty mailbox grown by a burst, and wakes on the next message', async () => {
    const pid = (await Idle.start(node)) as Pid;
    await sys.suspend(node, pid);
    for (let i = 0; i < 2000; i++) node.send(pid, i);
    await sys.resume(node, pid);
    expect((await sys.getState<{ seen: unknown[] }>(node, pid)).seen.length).toBe(2000);
    const grown = node.processInfo(pid)!.memory;
    castServer(node, pid, 'hush');
    await waitFor(() => node.processInfo(pid)!.memory < grown - 2000 * 8, 'the mailbox to go');
    expect(await callServer(node, pid, 'count')).toBe(0);
    await stopServer(node, pid);
  });

  it('refuses a timeoutAfter that is not a number at the boundary', () => {
    expect(() => (Idle.prototype as unknown as { timeoutAfter(ms: unknown): unknown }).timeoutAfter('soon')).toThrow(BadArgError);
  });
});
