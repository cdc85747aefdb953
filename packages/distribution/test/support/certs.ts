/**
 * Test certificates, made at test time with the `openssl` CLI: a CA, node
 * certificates it signs (by default valid for 127.0.0.1 and localhost, for server and
 * client use; `options` make flawed ones), and a rogue CA whose certificates nobody
 * trusts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Cert {
  key: string;
  cert: string;
}

/** How {@link TestPki.issue} departs from a good node certificate. */
export interface IssueOptions {
  /** The subjectAltName (`IP:127.0.0.1,DNS:localhost` by default); null for none. */
  san?: string | null;
  /** The extendedKeyUsage (`serverAuth,clientAuth` by default); null for none. */
  eku?: string | null;
  /** Days of validity (2 by default); -1 makes a certificate that has expired. */
  days?: number;
}

export interface TestPki {
  ca: string;
  /** The rogue CA's certificate (made on first use). */
  rogueCa(): string;
  /** A certificate signed by `ca` for `cn`. */
  issue(cn: string, options?: IssueOptions): Cert;
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

function sign(dir: string, caName: string, cn: string, file: string, options: IssueOptions = {}): Cert {
  const san = options.san === undefined ? 'IP:127.0.0.1,DNS:localhost' : options.san;
  const eku = options.eku === undefined ? 'serverAuth,clientAuth' : options.eku;
  const ext = [san !== null ? `subjectAltName=${san}` : '', eku !== null ? `extendedKeyUsage=${eku}` : ''].filter((l) => l !== '');
  // An empty extension file would make x509 -req fail; a harmless comment keeps it valid.
  fs.writeFileSync(path.join(dir, `${file}.ext`), ext.length > 0 ? ext.join('\n') + '\n' : '# no extensions\n');
  openssl(['req', ...KEY, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${cn}`], dir);
  openssl(
    ['x509', '-req', '-in', `${file}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial',
      '-out', `${file}.crt`, '-days', String(options.days ?? 2), '-extfile', `${file}.ext`],
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
  const rogueCa = (): string => {
    if (!rogueMade) makeCa(dir, 'rogue-ca');
    rogueMade = true;
    return fs.readFileSync(path.join(dir, 'rogue-ca.crt'), 'utf8');
  };
  return {
    ca: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
    rogueCa,
    issue: (cn, options) => sign(dir, 'ca', cn, `node${n++}`, options),
    rogue: (cn) => {
      rogueCa();
      return sign(dir, 'rogue-ca', cn, `rogue${n++}`);
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
