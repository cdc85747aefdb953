/**
 * grove shell's distribution settings across OS processes: --port-range, --listen,
 * --no-connect-all, --net-ticktime, --allow, --connect and --hidden-connect, as an
 * operator combines them. Own port mapper port and HOME; children killed after.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { freePort, groveEnv, killChildren, requireBuild, tempHome, ShellDriver } from './fixtures/cli_harness';

const COOKIE = 'cli-settings-cookie';
let env: NodeJS.ProcessEnv;
let home: string;

const name = (alive: string): string => `${alive}@127.0.0.1`;

function shellNode(alive: string, extra: string[], e: NodeJS.ProcessEnv = env): Promise<ShellDriver> {
  return ShellDriver.start(name(alive), ['shell', '--name', name(alive), '--cookie', COOKIE, ...extra], e);
}

/** A range of `n` consecutive ports that were free a moment ago. */
async function freeRange(n: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + n > 65535) continue;
    const ok = await Promise.all(
      Array.from({ length: n }, (_, i) => new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
      })),
    );
    if (ok.every(Boolean)) return base;
  }
}

describe('grove shell distribution settings', () => {
  beforeAll(requireBuild);
  beforeEach(async () => {
    home = tempHome();
    env = groveEnv({ GROVE_EPMD_PORT: String(await freePort()), HOME: home });
  });
  afterEach(async () => {
    await killChildren();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('listens in a port range, connects at start (visible and hidden), keeps out of the mesh and refuses nodes not allowed', async () => {
    const min = await freeRange(4);
    const bob = await shellNode('bob', ['--port-range', `${min}-${min + 3}`, '--listen', '127.0.0.1', '--net-ticktime', '20']);
    const carol = await shellNode('carol', ['--connect', name('bob')]);
    const dave = await shellNode('dave', ['--hidden-connect', name('bob')]);
    const alice = await shellNode('alice', ['--no-connect-all', '--allow', name('bob'), '--allow', name('carol'), '--connect', name('bob')], { ...env, GROVE_LOG_LEVEL: 'warn' });

    const dist = 'require("@grove/distribution").distOf(thisNode())';
    const port = Number(await bob.eval(`${dist}.address.port`));
    expect(port).toBeGreaterThanOrEqual(min);
    expect(port).toBeLessThanOrEqual(min + 3);
    expect(await bob.eval(`${dist}.address.host`)).toBe("'127.0.0.1'");
    expect(await bob.eval(`${dist}.netTickTimeMs`)).toBe('20000');

    // Connected at start: carol and alice visibly, dave hidden.
    expect(await bob.eval('nodes().sort()')).toBe(`[ '${name('alice')}', '${name('carol')}' ]`);
    expect(await bob.eval('nodes("hidden")')).toBe(`[ '${name('dave')}' ]`);
    expect(await dave.eval('nodes()')).toBe('[]');
    expect(await dave.eval('nodes("hidden")')).toBe(`[ '${name('bob')}' ]`);
    // bob told alice it knows carol (whom alice allows), but alice does not mesh.
    expect(await bob.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await alice.eval('nodes("connected")')).toBe(`[ '${name('bob')}' ]`);
    expect(await carol.eval('nodes("connected")')).toBe(`[ '${name('bob')}' ]`);

    // dave is not in alice's allow list: refused, and alice says why.
    expect(await dave.eval(`ping("${name('alice')}")`)).toBe("'pang'");
    await alice.g.waitFor(`refused: ${name('dave')} is not in the allow list (net_kernel:allow)`);
    expect(await carol.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await alice.eval('nodes().sort()')).toBe(`[ '${name('bob')}', '${name('carol')}' ]`);
  });
});
