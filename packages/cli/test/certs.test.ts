/**
 * `grove certs`: a CA and node certificates as a TLS node needs them (checked with
 * Node's X509Certificate, with `openssl verify`, and by TLS nodes that use them),
 * reusing the CA on later runs and never overwriting a file.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '@grove/cli';
import { startDistributed, type DistNode } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';

/** Runs `grove ...args` in this process; resolves with the exit code and what it wrote. */
async function grove(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** `openssl verify` of `cert` against `ca` for `purpose`; its output, or the failure's. */
function opensslVerify(ca: string, cert: string, purpose: 'sslserver' | 'sslclient'): string {
  try {
    return execFileSync('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', ca, cert], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const err = e as { code?: string; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('this test needs the openssl CLI on PATH (Debian: apt-get install openssl)');
    return `${err.stdout ?? ''}${err.stderr ?? ''}`.trim();
  }
}

describe('grove certs', () => {
  let tmp: string;
  let dir: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-certs-test-'));
    dir = path.join(tmp, 'certs');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const file = (name: string): string => path.join(dir, name);
  const cert = (name: string): X509Certificate => new X509Certificate(fs.readFileSync(file(name)));

  it('makes a CA and node certificates with the node name as CN and its host in subjectAltName', async () => {
    const { code, stdout, stderr } = await grove(['certs', '--dir', dir, 'alice@127.0.0.1', 'bob@box', 'carol@::1']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')).toEqual([
      expect.stringMatching(/ca\.crt {2}the cluster's CA: every node trusts it \(ca\.key signs node certificates: keep it private\)$/),
      `${file('alice@127.0.0.1.crt')}  node alice@127.0.0.1 (CN alice@127.0.0.1, subjectAltName IP:127.0.0.1, 365 days), key in alice@127.0.0.1.key`,
      `${file('bob@box.crt')}  node bob@box (CN bob@box, subjectAltName DNS:box, 365 days), key in bob@box.key`,
      `${file('carol@::1.crt')}  node carol@::1 (CN carol@::1, subjectAltName IP:::1, 365 days), key in carol@::1.key`,
      `start a node with: grove shell --name alice@127.0.0.1 --tls-dir ${dir}`,
      '',
    ]);
    const ca = cert('ca.crt');
    expect(ca.ca).toBe(true);
    const alice = cert('alice@127.0.0.1.crt');
    expect(alice.subject).toBe('CN=alice@127.0.0.1');
    expect(alice.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(alice.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(alice.ca).toBe(false);
    expect(alice.checkIssued(ca) && alice.verify(ca.publicKey)).toBe(true);
    expect(cert('bob@box.crt').subjectAltName).toBe('DNS:box');
    expect(cert('carol@::1.crt').checkIP('::1')).toBe('::1');
    for (const n of ['alice@127.0.0.1', 'bob@box', 'carol@::1']) {
      expect(opensslVerify(file('ca.crt'), file(`${n}.crt`), 'sslserver')).toBe(`${file(`${n}.crt`)}: OK`);
      expect(opensslVerify(file('ca.crt'), file(`${n}.crt`), 'sslclient')).toBe(`${file(`${n}.crt`)}: OK`);
    }
    expect(fs.statSync(file('ca.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(file('alice@127.0.0.1.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('signs later nodes with the same CA, and never overwrites a file', async () => {
    await grove(['certs', '--dir', dir, 'alice@127.0.0.1']);
    const before = fs.readFileSync(file('alice@127.0.0.1.crt'), 'utf8');
    const later = await grove(['certs', '--dir', dir, '--days', '30', 'dave@127.0.0.1']);
    expect(later.code).toBe(0);
    expect(later.stdout).toMatch(/^using the CA in .*ca\.crt\n/);
    expect(cert('dave@127.0.0.1.crt').checkIssued(cert('ca.crt'))).toBe(true);
    const again = await grove(['certs', '--dir', dir, 'erin@127.0.0.1', 'alice@127.0.0.1']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`grove certs: ${file('alice@127.0.0.1.crt')} exists; grove certs does not overwrite (remove it to make a new one)\n`);
    expect(fs.existsSync(file('erin@127.0.0.1.crt'))).toBe(false);
    expect(fs.readFileSync(file('alice@127.0.0.1.crt'), 'utf8')).toBe(before);
  });

  it('signs with a CA that openssl made (RSA)', async () => {
    fs.mkdirSync(dir);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/O=Example/CN=Example CA', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', file('ca.key'), '-out', file('ca.crt')], { stdio: 'ignore' });
    expect((await grove(['certs', '--dir', dir, 'alice@127.0.0.1'])).code).toBe(0);
    expect(opensslVerify(file('ca.crt'), file('alice@127.0.0.1.crt'), 'sslclient')).toBe(`${file('alice@127.0.0.1.crt')}: OK`);
  });

  it('makes certificates that TLS nodes accept from each other', async () => {
    await grove(['certs', '--dir', dir, 'alice@127.0.0.1', 'bob@127.0.0.1']);
    const epmd = await EpmdServer.start({ port: 0 });
    const nodes: DistNode[] = [];
    try {
      for (const n of ['alice@127.0.0.1', 'bob@127.0.0.1']) {
        const tls = { cert: fs.readFileSync(file(`${n}.crt`)), key: fs.readFileSync(file(`${n}.key`)), ca: fs.readFileSync(file('ca.crt')) };
        nodes.push(await startDistributed({ name: n, cookie: 'certs-test', epmdPort: epmd.port, tls }));
      }
      expect(await nodes[0]!.ping('bob@127.0.0.1')).toBe('pong');
    } finally {
      for (const d of nodes) await d.stop();
      await epmd.stop();
    }
  });
});
