/**
 * `grove certs [--dir DIR] [--days N] [NODE...]`: a cluster CA and node certificates
 * for TLS distribution, as the distribution README says a node certificate must be
 * (subject CN the node's full name, subjectAltName its host, serverAuth and
 * clientAuth), in the layout `--tls-dir DIR` reads:
 *
 * - `DIR/ca.crt`, `DIR/ca.key`: the CA, made on the first run (valid ten years) and
 *   reused afterwards, so nodes can be added later;
 * - `DIR/<node>.crt`, `DIR/<node>.key` for each NODE.
 *
 * Keys are written with mode 0600 and DIR with 0700. Nothing is overwritten: a file
 * already there is an error, found before anything is written.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isIP } from 'node:net';
import { hostOf, nodeNameKind } from '@grove/distribution';
import { CertsError } from '../errors';
import { makeCa, makeNodeCert, type CertAndKey } from './x509';

/** Days the CA `grove certs` makes is valid. */
export const CA_DAYS = 3650;

/** Where certs writes what it did. */
export interface CertsIo {
  readonly stdout: NodeJS.WritableStream;
}

/** What `grove certs` is asked to make. */
export interface CertsRequest {
  /** Full node names (`alice@127.0.0.1`), validated. */
  readonly nodes: readonly string[];
  readonly dir: string;
  /** Validity of the node certificates. */
  readonly days: number;
}

/** Makes the CA (unless DIR has one) and a certificate per node; resolves with 0. */
export async function runCerts(req: CertsRequest, io: CertsIo): Promise<number> {
  const { dir, days } = req;
  const caFiles = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  const caExists = [caFiles.cert, caFiles.key].map((f) => fs.existsSync(f));
  if (caExists[0] !== caExists[1]) {
    throw new CertsError(`${dir} has ${caExists[0] ? 'ca.crt but no ca.key' : 'ca.key but no ca.crt'}: a CA needs both (move the one there away to make a new CA)`);
  }
  const files = req.nodes.map((n) => ({ node: n, cert: path.join(dir, `${n}.crt`), key: path.join(dir, `${n}.key`) }));
  for (const f of files) {
    for (const p of [f.cert, f.key]) if (fs.existsSync(p)) throw new CertsError(`${p} exists; grove certs does not overwrite (remove it to make a new one)`);
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lines: string[] = [];
  let ca: CertAndKey;
  if (caExists[0]) {
    ca = { cert: fs.readFileSync(caFiles.cert, 'utf8'), key: fs.readFileSync(caFiles.key, 'utf8') };
    lines.push(`using the CA in ${caFiles.cert}`);
  } else {
    ca = makeCa(`Grove cluster CA ${randomBytes(4).toString('hex')}`, CA_DAYS);
    write(caFiles.key, ca.key, 0o600);
    write(caFiles.cert, ca.cert, 0o644);
    lines.push(`${caFiles.cert}  the cluster's CA: every node trusts it (ca.key signs node certificates: keep it private)`);
  }
  for (const f of files) {
    let made: CertAndKey;
    try {
      made = makeNodeCert(f.node, hostOf(f.node), ca, days);
    } catch (e) {
      throw new CertsError(`cannot sign a certificate for ${f.node} with the CA in ${dir}: ${(e as Error).message}`);
    }
    write(f.key, made.key, 0o600);
    write(f.cert, made.cert, 0o644);
    lines.push(`${f.cert}  node ${f.node} (CN ${f.node}, subjectAltName ${hostEntry(hostOf(f.node))}, ${days} days), key in ${path.basename(f.key)}`);
  }
  if (files.length > 0) {
    const first = files[0]!.node;
    lines.push(`start a node with: grove shell --${nodeNameKind(first) === 'short' ? 'sname' : 'name'} ${first} --tls-dir ${dir}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

function hostEntry(host: string): string {
  return isIP(host) !== 0 ? `IP:${host}` : `DNS:${host}`;
}

function write(file: string, text: string, mode: number): void {
  fs.writeFileSync(file, text, { mode, flag: 'wx' });
}
