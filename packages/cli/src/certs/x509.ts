/**
 * X.509 certificates for a Grove cluster, made with Node's crypto alone: an EC P-256
 * key pair per certificate, the certificate written in DER (the few ASN.1 types RFC
 * 5280 needs are below) and signed with ECDSA-SHA256.
 *
 * Node can parse certificates (`X509Certificate`) but not make them, and shelling out
 * to `openssl` would make `grove certs` depend on which openssl (or LibreSSL) is on
 * PATH, if any; a certificate is a short, fixed structure, so it is written here.
 *
 * - The CA: self-signed, `basicConstraints` CA with path length 0, `keyUsage`
 *   keyCertSign and cRLSign.
 * - A node certificate: subject CN the node's full name, `subjectAltName` the host of
 *   that name (IP or DNS), `extendedKeyUsage` serverAuth and clientAuth, `keyUsage`
 *   digitalSignature, not a CA; signed by the CA.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// ---- DER ----

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.of(n);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.of(0x80 | bytes.length, ...bytes);
  }
  return Buffer.concat([Buffer.of(tag), len, content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.of(unused), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.of(v ? 0xff : 0));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

/** A non-negative INTEGER from big-endian bytes (or a small number). */
function int(value: Buffer | number): Buffer {
  let b = typeof value === 'number' ? Buffer.of(value) : value;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.of(0), b]) : b);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const group = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift(0x80 | (v & 0x7f));
    out.push(...group);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

/** Where the content of the TLV at `b[at]` starts, and its length. */
function header(b: Buffer, at: number): { start: number; length: number } {
  let i = at + 1;
  let length = b[i++]!;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + b[i++]!;
  }
  return { start: i, length };
}

/** The content of the TLV `b`. */
function contentOf(b: Buffer): Buffer {
  const h = header(b, 0);
  return b.subarray(h.start, h.start + h.length);
}

/** The elements of a constructed DER value (a SEQUENCE...), each as a whole TLV. */
function elements(b: Buffer): Buffer[] {
  const content = contentOf(b);
  const out: Buffer[] = [];
  for (let p = 0; p < content.length; ) {
    const h = header(content, p);
    out.push(content.subarray(p, h.start + h.length));
    p = h.start + h.length;
  }
  return out;
}

// ---- certificate parts ----

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const name = (cn: string): Buffer => seq(set(seq(oid(OID.commonName), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** `subjectAltName` entry for `host`: iPAddress [7] for an address, dNSName [2] else. */
function altName(host: string): Buffer {
  const v = isIP(host);
  if (v === 4) return tlv(0x87, Buffer.from(host.split('.').map(Number)));
  if (v === 6) return tlv(0x87, ipv6Bytes(host));
  return tlv(0x82, Buffer.from(host, 'ascii'));
}

function ipv6Bytes(host: string): Buffer {
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const groups = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(':'));
  let h = groups(head);
  let t = groups(tail);
  // An embedded IPv4 address (::ffff:10.0.0.5) is the last two groups.
  const v4 = (list: string[]): string[] => {
    const last = list.at(-1);
    if (last === undefined || !last.includes('.')) return list;
    const b = last.split('.').map(Number);
    return [...list.slice(0, -1), ((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)];
  };
  if (tail === undefined) h = v4(h);
  else t = v4(t);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}

/** A key pair and its SubjectPublicKeyInfo. */
interface KeyPair {
  privateKey: KeyObject;
  spki: Buffer;
}

function newKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** The key identifier of RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey bits. */
const keyId = (spki: Buffer): Buffer => createHash('sha1').update(contentOf(elements(spki)[1]!).subarray(1)).digest();

/** The subjectKeyIdentifier among a TBSCertificate's elements, if it has one. */
function subjectKeyIdOf(tbs: Buffer[]): Buffer | undefined {
  const exts = tbs.find((e) => e[0] === 0xa3);
  if (exts === undefined) return undefined;
  const ski = oid(OID.subjectKeyIdentifier);
  for (const ext of elements(elements(exts)[0]!)) {
    const parts = elements(ext);
    if (parts[0]!.equals(ski)) return contentOf(contentOf(parts.at(-1)!));
  }
  return undefined;
}

interface TbsFields {
  subject: Buffer;
  issuer: Buffer;
  spki: Buffer;
  days: number;
  extensions: Buffer[];
  now: Date;
}

/** The signature algorithm for a key: ECDSA or RSA (PKCS #1 v1.5), with SHA-256. */
function algorithmOf(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'ec') return seq(oid(OID.ecdsaWithSha256));
  if (key.asymmetricKeyType === 'rsa') return seq(oid(OID.sha256WithRsa), tlv(0x05, Buffer.alloc(0)));
  throw new Error(`the CA's key is ${key.asymmetricKeyType ?? 'of an unknown type'}; a CA key must be EC or RSA`);
}

/** Writes and signs a certificate; returns it as PEM. */
function certificate(f: TbsFields, signer: KeyObject): string {
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive
  const notBefore = new Date(f.now.getTime() - 5 * 60_000); // a little clock skew between hosts
  const notAfter = new Date(f.now.getTime() + f.days * 86_400_000);
  const algorithm = algorithmOf(signer);
  const tbs = seq(
    explicit(0, int(2)), // v3
    int(serial),
    algorithm,
    f.issuer,
    seq(time(notBefore), time(notAfter)),
    f.subject,
    f.spki,
    explicit(3, seq(...f.extensions)),
  );
  const signature = sign('sha256', tbs, signer); // ECDSA: a DER ECDSA-Sig-Value
  return pem('CERTIFICATE', seq(tbs, algorithm, bits(signature)));
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

// ---- the API ----

/** A certificate and its private key, both PEM. */
export interface CertAndKey {
  readonly cert: string;
  readonly key: string;
}

/** Makes a cluster CA named `cn`, valid for `days`. */
export function makeCa(cn: string, days: number, now = new Date()): CertAndKey {
  const k = newKeyPair();
  const ski = keyId(k.spki);
  const cert = certificate(
    {
      subject: name(cn),
      issuer: name(cn),
      spki: k.spki,
      days,
      now,
      extensions: [
        extension(OID.basicConstraints, true, seq(bool(true), int(0))),
        extension(OID.keyUsage, true, bits(Buffer.of(0x06), 1)), // keyCertSign, cRLSign
        extension(OID.subjectKeyIdentifier, false, octets(ski)),
      ],
    },
    k.privateKey,
  );
  return { cert, key: k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/**
 * Makes the certificate of node `nodeName` (`alive@host`, already validated), signed
 * by the CA `ca` (PEM; any CA with an EC or RSA key, not only one made here): subject
 * CN the node name, subjectAltName its host, issuer the CA's subject as it is.
 */
export function makeNodeCert(nodeName: string, host: string, ca: CertAndKey, days: number, now = new Date()): CertAndKey {
  const caCert = new X509Certificate(ca.cert);
  const caKey = createPrivateKey(ca.key);
  if (!caCert.checkPrivateKey(caKey)) throw new Error('the CA key is not the private key of the CA certificate');
  const tbs = elements(elements(caCert.raw)[0]!);
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, spki, ...
  const caSubject = tbs[5]!;
  // The authority key identifier must be the CA's own subjectKeyIdentifier (or absent).
  const caKeyId = subjectKeyIdOf(tbs);
  const k = newKeyPair();
  const cert = certificate(
    {
      subject: name(nodeName),
      issuer: caSubject,
      spki: k.spki,
      days,
      now,
      extensions: [
        extension(OID.basicConstraints, true, seq()),
        extension(OID.keyUsage, true, bits(Buffer.of(0x80), 7)), // digitalSignature
        extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
        extension(OID.subjectAltName, false, seq(altName(host))),
        extension(OID.subjectKeyIdentifier, false, octets(keyId(k.spki))),
        ...(caKeyId !== undefined ? [extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, caKeyId)))] : []),
      ],
    },
    caKey,
  );
  return { cert, key: k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
