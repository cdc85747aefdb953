/**
 * Test certificates, made at test time with the `openssl` CLI: a CA, node
 * certificates it signs (valid for 127.0.0.1 and localhost, for server and client
 * use), and a rogue CA whose certificates nobody trusts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Cert {
  key: string;
  cert: string;
}

export interface TestPki {
  ca: string;
  /** A certificate signed by `ca` for `cn`. */
  issue(cn: string): Cert;
  /** A certificate for `cn` signed by a CA that `ca` does not know. */
  rogue(cn: string): Cert;
  /** Deletes the files. */
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('the TLS tests need the openssl CLI on PATH (Debian: apt-get install openssl)');
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

function sign(dir: string, caName: string, cn: string, file: string): Cert {
  fs.writeFileSync(
    path.join(dir, `${file}.ext`),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl(['req', ...KEY, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${cn}`], dir);
  openssl(
    ['x509', '-req', '-in', `${file}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial',
      '-out', `${file}.crt`, '-days', '2', '-extfile', `${file}.ext`],
    dir,
  );
  return { key: fs.readFileSync(path.join(dir, `${file}.key`), 'utf8'), cert: fs.readFileSync(path.join(dir, `${file}.crt`), 'utf8') };
}

/** Makes a fresh PKI in a temporary directory. */
export function makePki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-pki-'));
  makeCa(dir, 'ca');
  let n = 0;
  let rogueMade = false;
  return {
    ca: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
    issue: (cn) => sign(dir, 'ca', cn, `node${n++}`),
    rogue: (cn) => {
      if (!rogueMade) makeCa(dir, 'rogue-ca');
      rogueMade = true;
      return sign(dir, 'rogue-ca', cn, `rogue${n++}`);
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
