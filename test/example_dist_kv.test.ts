/**
 * examples/dist-kv end to end: three members and a hidden client, each its own OS
 * process, through the example's launcher (`npm run example:dist-kv`) and one
 * `grove run` at a time with members killed -9.
 */
import { expectInOrder, groveRun, killChildren, nodeOutput, privateEpmd, requireBuilt, startLauncher, waitForOutput, waitInOrder, type Child } from './example_helpers';

beforeAll(() => requireBuilt('dist-kv', ['run.js', 'kv_node.js', 'client.js']));
afterEach(killChildren);

const members = ['kv1@127.0.0.1', 'kv2@127.0.0.1', 'kv3@127.0.0.1'];

describe('examples/dist-kv', () => {
  it('replicates casts to every member and tells majority writes from failed ones as members stop', async () => {
    const run = startLauncher('dist-kv');
    expect(await run.exitCode(20_000)).toBe(0);
    for (const kv of ['kv1', 'kv2', 'kv3']) expect(nodeOutput(run, kv)).toMatch(new RegExp(`kv ready on ${kv}@127\\.0\\.0\\.1`));
    expectInOrder(nodeOutput(run, 'client'), [
      /cluster up/,
      /put colour=green via kv1@127\.0\.0\.1: ok/,
      /get colour on kv1@127\.0\.0\.1: green/,
      /get colour on kv2@127\.0\.0\.1: green/,
      /get colour on kv3@127\.0\.0\.1: green/,
      /putMajority fruit=apple via kv2@127\.0\.0\.1: ok \(acked by kv\d@127\.0\.0\.1, kv\d@127\.0\.0\.1\)/,
      /nodedown kv3@127\.0\.0\.1/,
      /putMajority fruit=pear via kv1@127\.0\.0\.1: ok \(acked by (kv1@127\.0\.0\.1, kv2@127\.0\.0\.1|kv2@127\.0\.0\.1, kv1@127\.0\.0\.1)\)/,
      /get fruit on kv2@127\.0\.0\.1: pear/,
      /nodedown kv2@127\.0\.0\.1/,
      /putMajority fruit=plum via kv1@127\.0\.0\.1: no_quorum \(acked by kv1@127\.0\.0\.1\)/,
      /put fruit=plum via kv1@127\.0\.0\.1: ok/,
      /tour done/,
    ]);
  });

  it('runs each member and the client with grove run; a member killed -9 is a missing ack', async () => {
    const epmd = await privateEpmd();
    const kv = new Map<string, Child>();
    for (const name of members) {
      kv.set(name, groveRun('dist-kv', 'kv_node.js', name, members, epmd));
      await waitForOutput(kv.get(name)!, /kv ready/);
    }
    const client = groveRun('dist-kv', 'client.js', 'client@127.0.0.1', members, epmd, { hidden: true });
    await waitInOrder(client, [/get colour on kv3@127\.0\.0\.1: green/, /putMajority fruit=apple via kv2@127\.0\.0\.1: ok/, /now stop kv3@127\.0\.0\.1/]);
    kv.get('kv3@127.0.0.1')!.signal('SIGKILL');
    await waitInOrder(client, [/nodedown kv3@127\.0\.0\.1/, /putMajority fruit=pear via kv1@127\.0\.0\.1: ok/, /now stop kv2@127\.0\.0\.1/]);
    kv.get('kv2@127.0.0.1')!.signal('SIGKILL');
    await waitInOrder(client, [/nodedown kv2@127\.0\.0\.1/, /putMajority fruit=plum via kv1@127\.0\.0\.1: no_quorum/, /tour done/]);
    expect(await client.exitCode(10_000)).toBe(0);
    expect(kv.get('kv1@127.0.0.1')!.running).toBe(true);
  });
});
