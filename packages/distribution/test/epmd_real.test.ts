/**
 * Compatibility with Erlang's own port mapper and tools: Grove's client against the
 * real `epmd`, and `epmd -names` and an `erl` node against Grove's embedded server.
 * `.ci/run` installs Debian's erlang-base, which ships both.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { EpmdError, GROVE_EPMD_EXTRA, names, probe } from '@grove/distribution';
import { PortMapper, ensurePortMapper, register } from '@grove/distribution/internal';
import { freePort, waitFor } from './support/wait';

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const haveEpmd = onPath('epmd');
const haveErl = onPath('erl');

const describeEpmd = haveEpmd ? describe : describe.skip;
if (!haveEpmd) {
  // eslint-disable-next-line no-console
  console.warn('skipping the real-epmd tests: `epmd` is not on PATH (.ci/run installs Debian\'s erlang-base)');
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  await exited(child);
}

describeEpmd(`the real epmd${haveEpmd ? '' : ' (skipped: epmd is not on PATH)'}`, () => {
  let port: number;
  const children: ChildProcess[] = [];
  const mappers: PortMapper[] = [];

  beforeEach(async () => {
    port = await freePort();
  });

  afterEach(async () => {
    for (const m of mappers) await m.close();
    mappers.length = 0;
    for (const c of children) await kill(c);
    children.length = 0;
  });

  async function startEpmd(): Promise<ChildProcess> {
    const child = spawn('epmd', ['-port', String(port), '-address', '127.0.0.1'], { stdio: 'ignore' });
    children.push(child);
    await waitFor(() => probe({ port }), `epmd to listen on port ${port}`);
    return child;
  }

  async function mapper(): Promise<PortMapper> {
    const m = await ensurePortMapper(port);
    mappers.push(m);
    return m;
  }

  it('registers, looks up and lists Grove nodes in a running epmd instead of starting its own', async () => {
    await startEpmd();
    const m = await mapper();
    expect(m.server).toBeUndefined();
    const reg = await m.register({ name: 'grove_a', port: 5555 });
    expect(reg.creation).toBeGreaterThan(0);
    expect(await m.portPlease('grove_a')).toMatchObject({ name: 'grove_a', port: 5555, nodeType: 77, extra: GROVE_EPMD_EXTRA });
    expect(await m.portPlease('nobody')).toBeUndefined();
    expect((await m.names()).nodes).toEqual([{ name: 'grove_a', port: 5555 }]);
    expect((await m.names()).epmdPort).toBe(port);
  });

  it('is refused a name that epmd already holds, and unregisters by closing', async () => {
    await startEpmd();
    const first = await register({ name: 'grove_a', port: 5555 }, { port });
    const err = await register({ name: 'grove_a', port: 5556 }, { port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EpmdError);
    expect(err).toMatchObject({ kind: 'refused' });
    first.close();
    await waitFor(async () => (await names({ port })).nodes.length === 0, 'epmd to drop grove_a');
  });

  it('takes over with the embedded server when epmd dies, and registers again', async () => {
    const epmd = await startEpmd();
    const m = await mapper();
    let creation: number | undefined;
    const reg = await m.register({ name: 'grove_b', port: 5557 }, { onReregistered: (c) => (creation = c) });
    await kill(epmd);
    await waitFor(() => creation !== undefined, 'grove_b to register again');
    expect(m.server?.port).toBe(port);
    expect(reg.registered).toBe(true);
    expect((await names({ port })).nodes).toEqual([{ name: 'grove_b', port: 5557 }]);
  });

  it("answers `epmd -names` from the embedded server", async () => {
    const m = await mapper();
    expect(m.server).toBeDefined();
    await m.register({ name: 'grove_c', port: 5558 });
    // Not spawnSync: the server answering it runs in this very process.
    const out = await promisify(execFile)('epmd', ['-port', String(port), '-names'], { encoding: 'utf8', timeout: 10_000 });
    expect(out.stdout).toContain(`epmd: up and running on port ${port} with data:`);
    expect(out.stdout).toContain('name grove_c at port 5558');
  });

  (haveErl ? it : it.skip)('lets an erl node register with the embedded server and Grove see it', async () => {
    const m = await mapper();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-erl-'));
    try {
      const erl = spawn('erl', ['-sname', 'erl_peer', '-setcookie', 'grove-test', '-start_epmd', 'false', '-noshell', '-noinput'], {
        stdio: 'ignore',
        env: { ...process.env, HOME: home, ERL_EPMD_PORT: String(port) },
      });
      children.push(erl);
      await waitFor(async () => (await m.portPlease('erl_peer')) !== undefined, 'erl_peer to register', 20_000);
      const info = (await m.portPlease('erl_peer'))!;
      expect(info.nodeType).toBe(77);
      expect(info.highestVersion).toBeGreaterThanOrEqual(6);
      await kill(erl);
      await waitFor(async () => (await m.portPlease('erl_peer')) === undefined, 'erl_peer to be unregistered');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
