/**
 * examples/echo end to end: bob and alice as separate OS processes, through the
 * example's launcher (`npm run example:echo`) and one `grove run` at a time.
 */
import { expectInOrder, groveRun, killChildren, nodeOutput, privateEpmd, requireBuilt, startLauncher, waitForOutput, waitInOrder } from './example_helpers';

beforeAll(() => requireBuilt('echo', ['run.js', 'bob.js', 'alice.js']));
afterEach(killChildren);

describe('examples/echo', () => {
  it('tells the whole tour in one command: echo, remote spawn, global name, bob down and back', async () => {
    const run = startLauncher('echo');
    expect(await run.exitCode(20_000)).toBe(0);
    expectInOrder(nodeOutput(run, 'alice'), [
      /nodeup bob@127\.0\.0\.1: connected/,
      /reply from \['echo', bob@127\.0\.0\.1\]: "hello bob"/,
      /spawned #PID<bob@127\.0\.0\.1\.\d+\.\d+> on bob@127\.0\.0\.1; it says it ran on bob@127\.0\.0\.1/,
      /global name echo_service is #PID<bob@127\.0\.0\.1\.\d+\.\d+>; it answered "hello, whoever you are"/,
      /now stop bob/,
      /nodedown bob@127\.0\.0\.1/,
      /nodeup bob@127\.0\.0\.1: it is back/,
      /global name echo_service is .*; it answered "welcome back"/,
      /same pid as before\? false/,
      /tour done/,
    ]);
    expectInOrder(nodeOutput(run, 'bob'), [
      /bob is up/,
      /echo server .* got "hello bob" from alice@127\.0\.0\.1/,
      /spawned by alice@127\.0\.0\.1, running on bob@127\.0\.0\.1 as #PID<bob@127\.0\.0\.1\./,
      /got "hello, whoever you are"/,
      /bob is up/, // the second bob
      /got "welcome back" from alice@127\.0\.0\.1/,
    ]);
    expectInOrder(nodeOutput(run, 'run'), [/stopping bob/, /starting bob again/]);
  });

  it('runs each node on its own with grove run, and alice sees bob killed -9 and started again', async () => {
    const epmd = await privateEpmd();
    let bob = groveRun('echo', 'bob.js', 'bob@127.0.0.1', [], epmd);
    await waitForOutput(bob, /bob is up/);
    const alice = groveRun('echo', 'alice.js', 'alice@127.0.0.1', ['bob@127.0.0.1'], epmd);
    await waitInOrder(alice, [/reply from \['echo', bob@127\.0\.0\.1\]: "hello bob"/, /it says it ran on bob@127\.0\.0\.1/, /now stop bob/]);
    await waitForOutput(bob, /spawned by alice@127\.0\.0\.1, running on bob@127\.0\.0\.1/);

    bob.signal('SIGKILL'); // no goodbye: the connection just breaks
    await bob.exited;
    await waitForOutput(alice, /nodedown bob@127\.0\.0\.1 \(reason: \w+\)/);
    bob = groveRun('echo', 'bob.js', 'bob@127.0.0.1', [], epmd);
    await waitInOrder(alice, [/nodeup bob@127\.0\.0\.1: it is back/, /it answered "welcome back"/, /tour done/]);
    await waitForOutput(bob, /got "welcome back" from alice@127\.0\.0\.1/);
    expect(await alice.exitCode(10_000)).toBe(0);
  });
});
