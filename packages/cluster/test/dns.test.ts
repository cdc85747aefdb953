/**
 * The DNS strategies against a real DNS server: dnsmasq (Debian's dnsmasq-base, which
 * `.ci/run` installs) on 127.0.0.1 and a free port, serving records of `grove.test`
 * from a hosts file the test rewrites (dnsmasq rereads it on SIGHUP) and SRV records
 * from its command line. The nodes are named by address, as pods are, on 127.0.0.2-4:
 * each address has its own port mapper on one shared port, as each machine has.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promises as dnsp } from 'node:dns';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ClusterFormation, ClusterConfigError, dnsA, dnsSrv, type ClusterMembers, type ClusterFormationOptions } from '@grove/cluster';
import { startDistributed, type DistNode } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';
import { COOKIE, waitFor } from '../../../test/support/nodes';

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((f) => existsSync(f))
  ?? (spawnSync('sh', ['-c', 'command -v dnsmasq'], { encoding: 'utf8' }).stdout.trim() || undefined);
const BASE = `app_${process.pid}`;
const ZONE = 'grove.test';

/** dnsmasq serving `grove.test` from `hosts` (rewritten with `setHosts`) plus SRV records. */
class Dns {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'grove-dns-'));
  private readonly hostsFile = path.join(this.dir, 'hosts');
  port = 0;

  async start(records: Record<string, string[]>, srv: string[] = []): Promise<void> {
    this.port ||= await freeUdpPort();
    this.setHostsFile(records);
    const args = [
      '--keep-in-foreground', `--port=${this.port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
      '--no-resolv', '--no-hosts', `--addn-hosts=${this.hostsFile}`, '--conf-file=/dev/null', '--pid-file=',
      `--local=/${ZONE}/`, '--log-facility=/dev/null', '--user=root', '--group=root',
      ...srv.map((s) => `--srv-host=${s}`),
    ];
    const child = spawn(DNSMASQ!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const r = this.resolver();
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
      return r.resolve4(`ready.${ZONE}`).then(() => true, (e: NodeJS.ErrnoException) => e.code === dnsp.NOTFOUND);
    }, 'dnsmasq to answer');
  }

  /** Rewrites the A records and makes dnsmasq reread them; resolves once it serves them. */
  async setHosts(records: Record<string, string[]>): Promise<void> {
    this.setHostsFile(records);
    this.child!.kill('SIGHUP');
    const r = this.resolver();
    await waitFor(async () => {
      for (const [name, ips] of Object.entries(records)) {
        const got = await r.resolve4(`${name}.${ZONE}`).catch(() => [] as string[]);
        if (got.sort().join() !== [...ips].sort().join()) return false;
      }
      return true;
    }, 'dnsmasq to serve the new records');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  resolver(): dnsp.Resolver {
    const r = new dnsp.Resolver({ timeout: 500, tries: 1 });
    r.setServers([`127.0.0.1:${this.port}`]);
    return r;
  }

  get servers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  private setHostsFile(records: Record<string, string[]>): void {
    const lines = Object.entries(records).flatMap(([name, ips]) => ips.map((ip) => `${ip} ${name}.${ZONE}`));
    writeFileSync(this.hostsFile, `${lines.join('\n')}\n`);
  }
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One node per address, `app_<pid>@<ip>`, each with its own port mapper on a shared port. */
class Hosts {
  readonly nodes = new Map<string, DistNode>();
  private readonly epmds: EpmdServer[] = [];
  epmdPort = 0;

  async start(ips: string[]): Promise<void> {
    for (let attempt = 0; this.epmds.length < ips.length; attempt++) {
      const ip = ips[this.epmds.length]!;
      try {
        this.epmds.push(await EpmdServer.start({ port: this.epmdPort, host: ip }));
        this.epmdPort = this.epmds[0]!.port;
      } catch (err) {
        // The shared port is taken on a later address: start over on another port.
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 5) throw err;
        await Promise.all(this.epmds.splice(0).map((e) => e.stop()));
        this.epmdPort = 0;
      }
    }
    for (const ip of ips) {
      const d = await startDistributed({ name: `${BASE}@${ip}`, host: ip, epmdHost: ip, epmdPort: this.epmdPort, cookie: COOKIE });
      this.nodes.set(ip, d);
    }
  }

  node(ip: string): DistNode {
    return this.nodes.get(ip)!;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((d) => d.stop()));
    this.nodes.clear();
    await Promise.all(this.epmds.splice(0).map((e) => e.stop()));
  }
}

const run = DNSMASQ !== undefined ? describe : describe.skip;
if (DNSMASQ === undefined) {
  // eslint-disable-next-line no-console
  console.warn('dns.test.ts skipped: dnsmasq is not installed (apt-get install dnsmasq-base; .ci/run does)');
}

run('DNS strategies against dnsmasq', () => {
  let dns: Dns;
  let hosts: Hosts;

  beforeEach(() => {
    dns = new Dns();
    hosts = new Hosts();
  });

  afterEach(async () => {
    await hosts.stop();
    await dns.stop();
    dns.remove();
  });

  async function startCluster(on: DistNode, strategy: ClusterFormationOptions['strategies']): Promise<() => Promise<ClusterMembers>> {
    await ClusterFormation.start(on.node, { strategies: strategy, pollMs: 60_000 }, { name: 'cluster' });
    const c = ClusterFormation.client(on.node, 'cluster');
    return () => c.call.poll();
  }

  it('connects the nodes behind a name\'s A records, and follows the records as they change', async () => {
    await hosts.start(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    await dns.start({ app: ['127.0.0.2', '127.0.0.3'] });
    const a = hosts.node('127.0.0.2');
    const poll = await startCluster(a, dnsA({ query: `app.${ZONE}`, basename: BASE, servers: dns.servers }));
    await waitFor(() => a.nodes().includes(`${BASE}@127.0.0.3`), 'a connected to the node on 127.0.0.3');
    expect((await poll()).connected).toEqual([`${BASE}@127.0.0.3`]);

    // A pod joins the service.
    await dns.setHosts({ app: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
    expect((await poll()).connected).toEqual([`${BASE}@127.0.0.3`, `${BASE}@127.0.0.4`]);
    expect(a.nodes().sort()).toEqual([`${BASE}@127.0.0.3`, `${BASE}@127.0.0.4`]);

    // A pod leaves it: disconnected.
    await dns.setHosts({ app: ['127.0.0.2', '127.0.0.4'] });
    const m = await poll();
    expect(m.listed).toEqual([`${BASE}@127.0.0.4`]);
    expect(a.nodes()).not.toContain(`${BASE}@127.0.0.3`);

    // The name disappears (NXDOMAIN): nobody is listed, nothing fails.
    await dns.setHosts({ other: ['127.0.0.9'] });
    const empty = await poll();
    expect(empty).toEqual({ listed: [], connected: [], failing: [] });
  });

  it('keeps its nodes while the DNS server is down, and says so', async () => {
    await hosts.start(['127.0.0.2', '127.0.0.3']);
    await dns.start({ app: ['127.0.0.2', '127.0.0.3'] });
    const a = hosts.node('127.0.0.2');
    const poll = await startCluster(a, dnsA({ query: `app.${ZONE}`, basename: BASE, servers: dns.servers, timeoutMs: 200, tries: 1 }));
    // With a 200 ms timeout, a poll on a loaded machine can time out while the server is up: poll again until connected.
    for (let i = 0; i < 50 && !(await poll()).connected.includes(`${BASE}@127.0.0.3`); i++);
    expect(a.nodes()).toContain(`${BASE}@127.0.0.3`);
    await dns.stop();
    const m = await poll();
    expect(m.failing).toHaveLength(1);
    expect(m.failing[0]!.strategy).toBe(`dns a app.${ZONE}`);
    expect(m.connected).toEqual([`${BASE}@127.0.0.3`]);
  });

  it('builds names from SRV records: by target host, or by the target\'s address', async () => {
    await hosts.start(['127.0.0.2', '127.0.0.3']);
    await dns.start({ n3: ['127.0.0.3'], n9: ['127.0.0.9'] }, [
      `_grove._tcp.${ZONE},n3.${ZONE},4369,0,10`,
      `_grove._tcp.${ZONE},n9.${ZONE},4369,0,10`,
    ]);
    const byHost = dnsSrv({ service: `_grove._tcp.${ZONE}`, basename: BASE, servers: dns.servers });
    expect(await byHost.discover(hosts.node('127.0.0.2'))).toEqual([`${BASE}@n3.${ZONE}`, `${BASE}@n9.${ZONE}`]);

    const a = hosts.node('127.0.0.2');
    const poll = await startCluster(a, dnsSrv({ service: `_grove._tcp.${ZONE}`, basename: BASE, servers: dns.servers, resolveTargets: true }));
    await waitFor(() => a.nodes().includes(`${BASE}@127.0.0.3`), 'a connected to the SRV target on 127.0.0.3');
    const m = await poll();
    expect(m.listed).toEqual([`${BASE}@127.0.0.3`, `${BASE}@127.0.0.9`]); // 127.0.0.9 runs no node
    expect(m.connected).toEqual([`${BASE}@127.0.0.3`]);
  });

  it('refuses bad settings at once', () => {
    expect(() => dnsA({ query: 'app.grove.test', basename: 'no@pe' })).toThrow(ClusterConfigError);
    expect(() => dnsA({ query: '', basename: 'app' })).toThrow(/not a domain name/);
    expect(() => dnsSrv({ service: 'x', basename: 'app', servers: ['not an address'] })).toThrow(/bad DNS servers/);
  });
});
