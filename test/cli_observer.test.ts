/**
 * `grove observer` as a user runs it, in its own OS process: a hidden node that
 * connects to a node of this process, prints the page's address, serves the page and
 * its event stream (which lists the node, and not the observer), and exits 0 on Ctrl-C.
 */
import * as http from 'node:http';
import { cleanup, COOKIE, privateEpmd, tcpNode } from './support/nodes';
import { grove, groveEnv, groveRun, killChildren, requireBuild } from './fixtures/cli_harness';

afterEach(async () => {
  await killChildren();
  await cleanup();
});

function get(url: string, firstEventOnly = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
        if (firstEventOnly && body.includes('\n\n')) {
          req.destroy();
          resolve({ status: res.statusCode!, body });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

describe('grove observer', () => {
  beforeAll(requireBuild);

  it('serves the page of the cluster it joins hidden, and stops on Ctrl-C', async () => {
    const epmd = await privateEpmd();
    const alice = await tcpNode('alice', epmd);
    const env = groveEnv({ GROVE_EPMD_PORT: String(epmd.port) });
    const g = grove(['observer', '--name', `obs_${process.pid}@127.0.0.1`, '--cookie', COOKIE, '--connect', alice.name], env);
    const [, url] = await g.waitFor(/grove observer: (http:\/\/127\.0\.0\.1:\d+\/) \(node obs_\d+@127\.0\.0\.1, read-only; Ctrl-C to stop\)/);
    expect((await get(url!)).body).toContain('<title>Grove observer</title>');
    const event = (await get(`${url}events`, true)).body;
    const data = JSON.parse(event.slice('data: '.length, event.indexOf('\n\n'))) as { nodes: { summary: { name: string } }[] };
    expect(data.nodes.map((n) => n.summary.name)).toEqual([alice.name]);
    expect(alice.nodes()).toEqual([]);
    expect(g.stderr).toBe('');
    g.signal('SIGINT');
    expect((await g.exited).code).toBe(0);
  });

  it('says so when a --connect node cannot be reached, and serves the page anyway', async () => {
    const epmd = await privateEpmd();
    const env = groveEnv({ GROVE_EPMD_PORT: String(epmd.port) });
    const g = grove(['observer', '--name', `obs_${process.pid}@127.0.0.1`, '--cookie', COOKIE, '--connect', 'nobody@127.0.0.1'], env);
    await g.waitFor(/grove observer: http/);
    // Written before the address, but on another pipe: it may arrive after it.
    await g.waitFor('going on without it\n', 15_000, 'stderr');
    expect(g.stderr).toBe('grove observer: cannot connect to nobody@127.0.0.1 (not running, another cookie, or not allowed); going on without it\n');
    g.signal('SIGINT');
    expect((await g.exited).code).toBe(0);
  });

  it('refuses to serve beyond this host without a token', async () => {
    const r = await groveRun(['observer', '--name', 'obs@127.0.0.1', '--listen', '0.0.0.0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--listen 0.0.0.0 serves the page beyond this host: give --token T too');
  });
});
