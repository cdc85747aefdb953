/**
 * TLS identity: what a node's certificate must prove, checked by the handshake on
 * both sides of a connection, and by `startDistributed` on the node's own
 * certificate before it listens; and the words for TLS failures, so that every
 * refusal names its cause.
 *
 * A node certificate (what `grove certs` makes):
 * - is signed by a CA every node trusts (the nodes' `ca`), and is within its validity;
 * - is issued to the node's full name: subject CN `alice@10.0.0.5`;
 * - names the host part of that name in its subjectAltName (`IP:10.0.0.5` for an
 *   address, `DNS:box.example.com` for a host name), as TLS checks a server's host;
 * - may be used both ways: a node is a TLS server for the peers that dial it and a
 *   client for the peers it dials, so an extendedKeyUsage, when present, must list
 *   both `serverAuth` and `clientAuth`.
 *
 * The identity check maps a name to a certificate this way: the name a peer claims in
 * the handshake (`Name` from the initiator, `Challenge` from the acceptor) must equal
 * the subject CN of the certificate it presented, byte for byte, and the host of that
 * name must be covered by the certificate's subjectAltName (DNS names compare
 * case-insensitively and may use a wildcard for one label, addresses exactly: Node's
 * `tls.checkServerIdentity`). `host` mode (opt-out, unsafe) skips the CN: any holder
 * of a valid certificate for a host may then claim any node name on that host, which
 * is what Erlang's `inet_tls_dist` authenticates (hosts, not node names).
 *
 * The node transport runs TLS with `rejectUnauthorized: false` and leaves the verdict
 * to the handshake: the side that finds a certificate wrong then tells the other why
 * (a `Status` with code `CERTIFICATE`) before closing, and both log the same cause.
 * A TLS layer that refuses by itself closes the socket with no word to the peer.
 * Internal to the package, not part of its API.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { hostOf } from '../node/node_name';

/**
 * What a peer's certificate must prove: `node` (the default) its node name and host,
 * `host` only its host (unsafe: see the file comment), `none` nothing beyond what the
 * TLS layer itself refused.
 */
export type TlsIdentityMode = 'node' | 'host' | 'none';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** OpenSSL's verification codes that mean "not signed by a CA this side trusts". */
const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/**
 * Why the certificate `peer` presented on `socket` does not prove it is `peer` to
 * node `self`, or undefined when it does. The text names the peer and the cause, in
 * words that read the same in either node's log.
 */
export function peerCertificateProblem(socket: TLSSocket, peer: string, self: string, mode: TlsIdentityMode): string | undefined {
  if (mode === 'none') return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || cert === undefined || Object.keys(cert).length === 0) {
    return `${peer} presented no TLS certificate (a node must present one that the cluster's CA signed)`;
  }
  const code = socket.authorized ? undefined : String(socket.authorizationError);
  // A host-name mismatch is reported by the check below, with what the certificate does name.
  if (code !== undefined && code !== 'ERR_TLS_CERT_ALTNAME_INVALID') return verifyProblem(code, `the TLS certificate of ${peer} (${certSummary(cert)})`, self);
  const cn = subjectCn(cert.subject?.CN);
  if (mode === 'node' && cn !== peer) {
    return `the TLS certificate ${peer} presented is issued to ${cn === undefined ? 'no node (it has no subject CN)' : cn} (subject CN), not to ${peer}`;
  }
  const host = hostOf(peer);
  if (checkServerIdentity(host, cert) !== undefined) {
    const names = cert.subjectaltname;
    return `the TLS certificate of ${peer} (${certSummary(cert)}) does not name its host ${host} in its subjectAltName (${names ? `it names ${names}` : 'it has none'}); a node certificate needs ${isIP(host) !== 0 ? 'IP' : 'DNS'}:${host} there`;
  }
  return undefined;
}

/** Words for an OpenSSL verification code about `what` (a certificate), as `checker` found it. */
function verifyProblem(code: string, what: string, checker = 'this node'): string {
  if (code === 'CERT_HAS_EXPIRED') return `${what} has expired`;
  if (code === 'CERT_NOT_YET_VALID') return `${what} is not valid yet`;
  if (code === 'INVALID_PURPOSE') return `${what} may not be used for this side of a TLS connection: a node certificate's extendedKeyUsage must list both serverAuth and clientAuth`;
  if (UNKNOWN_CA.has(code)) return `${what} is not signed by a CA that ${checker} trusts (unknown CA)`;
  return `${what} did not verify (${code})`;
}

/** `CN=..., issuer CN=..., valid until ...`: enough to tell which certificate it was. */
function certSummary(cert: PeerCertificate): string {
  const parts = [`CN=${subjectCn(cert.subject?.CN) ?? '(none)'}`];
  const issuer = subjectCn(cert.issuer?.CN);
  if (issuer !== undefined) parts.push(`issuer CN=${issuer}`);
  if (cert.valid_from) parts.push(`valid ${cert.valid_from} to ${cert.valid_to}`);
  return parts.join(', ');
}

function subjectCn(cn: string | string[] | undefined): string | undefined {
  return Array.isArray(cn) ? cn[0] : cn;
}

/** The node's own TLS material, as `startDistributed` gets it. */
export interface OwnTlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
}

/**
 * Checks the node's own certificate before it listens, so that a certificate its
 * peers would refuse is an error at start rather than a refused connection later.
 * Returns the problems that make it unusable (`errors`) and the ones peers may or may
 * not mind (`warnings`: not signed by any certificate in `ca`).
 */
export function ownCertificateProblems(name: string, tls: OwnTlsMaterial, mode: TlsIdentityMode, now = Date.now()): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(tls.cert);
  } catch (e) {
    return { errors: [`cert is not a PEM certificate (${(e as Error).message})`], warnings };
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(tls.key))) errors.push('key is not the private key of cert');
  } catch (e) {
    errors.push(`key is not a PEM private key (${(e as Error).message})`);
  }
  if (Date.parse(cert.validTo) < now) errors.push(`the certificate expired on ${cert.validTo}`);
  if (Date.parse(cert.validFrom) > now) errors.push(`the certificate is not valid before ${cert.validFrom}`);
  const cn = cnOf(cert.subject);
  if (mode === 'node' && cn !== name) {
    errors.push(`the certificate is issued to ${cn ?? 'no node (it has no subject CN)'}, not to ${name}: its subject CN must be the node's full name`);
  }
  const host = hostOf(name);
  const covered = isIP(host) !== 0 ? cert.checkIP(host) !== undefined : cert.checkHost(host, { subject: 'never' }) !== undefined;
  if (!covered) {
    errors.push(`the certificate does not name the host ${host} in its subjectAltName (${cert.subjectAltName ? `it names ${cert.subjectAltName}` : 'it has none'}): peers check it there, so it needs ${isIP(host) !== 0 ? 'IP' : 'DNS'}:${host}`);
  }
  const eku = cert.keyUsage;
  if (Array.isArray(eku) && !(eku.includes(SERVER_AUTH) && eku.includes(CLIENT_AUTH))) {
    errors.push('the certificate\'s extendedKeyUsage must list both serverAuth and clientAuth: a node is a TLS server to the peers that dial it and a client to those it dials');
  }
  if (tls.ca !== undefined && !signedByOneOf(cert, tls.ca) && countCertificates(tls.cert) === 1) {
    warnings.push(`the certificate (issuer ${cert.issuer.replace(/\n/g, ', ')}) is not signed by a certificate in ca: peers that trust only those will refuse it`);
  }
  return { errors, warnings };
}

function cnOf(distinguishedName: string): string | undefined {
  for (const line of distinguishedName.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function countCertificates(pem: string | Buffer): number {
  return (String(pem).match(PEM_CERT) ?? []).length;
}

function signedByOneOf(cert: X509Certificate, ca: string | Buffer | Array<string | Buffer>): boolean {
  for (const bundle of Array.isArray(ca) ? ca : [ca]) {
    for (const pem of String(bundle).match(PEM_CERT) ?? []) {
      try {
        const issuer = new X509Certificate(pem);
        if (cert.checkIssued(issuer) && cert.verify(issuer.publicKey)) return true;
      } catch {
        // Not a certificate: the TLS layer says so when it loads `ca`.
      }
    }
  }
  return false;
}

/**
 * The cause of a TLS-level failure (a socket error during or right after the TLS
 * handshake), in words: OpenSSL's reason without its file and line, and what it
 * means for nodes.
 */
export function tlsFailureCause(err: Error & { code?: string; reason?: string; host?: string }): string {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `its certificate does not name ${err.host ?? 'the host'} in its subjectAltName (${err.reason ?? err.message})`;
  }
  // OpenSSL's verification codes (CERT_HAS_EXPIRED, ...), as opposed to Node's ERR_* and errno's E* codes.
  if (/^[A-Z]+_[A-Z_]+$/.test(code) && !code.startsWith('ERR_')) return verifyProblem(code, 'its certificate');
  const reason = opensslReason(err.message);
  if (/did not return a certificate/.test(reason)) return `the peer presented no certificate (${reason})`;
  if (/certificate required/.test(reason)) return `the peer requires a certificate and this node presented none (${reason})`;
  if (/alert (unknown ca|bad certificate|certificate expired|certificate unknown|unsupported certificate|certificate revoked|decrypt error)/.test(reason)) {
    return `the peer refused this node's certificate (${reason})`;
  }
  if (/wrong version number|http request|packet length too long|unknown protocol|record layer failure|unexpected eof/.test(reason)) {
    return `the peer does not speak TLS: a node started without TLS? (${reason})`;
  }
  if (code === 'ECONNRESET' || /socket hang up/.test(reason)) {
    return 'the peer closed the connection during the TLS handshake: it does not use TLS, or it refused this node\'s certificate (its log says which)';
  }
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'the TLS handshake did not finish in time';
  return reason;
}

/** OpenSSL's `...:error:0A0000C7:SSL routines:fn:reason:file:line:` message reduced to its reason. */
function opensslReason(message: string): string {
  const m = /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  const alert = /SSL alert number (\d+)/.exec(message);
  if (m === null) return message.trim();
  return alert !== null ? `${m[1]!.trim()}, alert ${alert[1]}` : m[1]!.trim();
}
