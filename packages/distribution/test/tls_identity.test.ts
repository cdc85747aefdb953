/**
 * TLS distribution authenticates nodes (`startDistributed` with `tls`): a peer's
 * certificate must be issued to the node name it claims and name that name's host;
 * a refusal is logged on both sides with its cause and the peer's address; a
 * certificate that peers would refuse is an error when the node starts. Nodes in this
 * process over real sockets, with a port mapper of their own.
 */
import { getLogger } from '@grove/core';
import { DistNodeError, startDistributed, type DistNode, type TlsOptions } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';
import { makePki, type Cert, type TestPki } from './support/certs';
import { waitFor } from './support/wait';

const ALICE = 'alice@127.0.0.1';
const BOB = 'bob@127.0.0.1';
const CAROL = 'carol@127.0.0.1';
const MALLORY = 'mallory@127.0.0.1';

/** `s` as a regular expression matching it literally. */
const lit = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ADDRESS = '127\\.0\\.0\\.1:\\d+';

describe('TLS distribution', () => {
  let pki: TestPki;
  let epmd: EpmdServer;
  let warnings: string[];
  const started: DistNode[] = [];

  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki.cleanup());

  beforeEach(async () => {
    epmd = await EpmdServer.start({ port: 0 });
    warnings = [];
    jest.spyOn(getLogger('dist'), 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
      return undefined;
    });
  });

  afterEach(async () => {
    for (const d of started.splice(0)) await d.stop();
    await epmd.stop();
    jest.restoreAllMocks();
  });

  async function node(name: string, cert: Cert, extra: Partial<TlsOptions> = {}): Promise<DistNode> {
    const d = await startDistributed({ name, cookie: 'tls-test', epmdPort: epmd.port, tls: { ...cert, ca: pki.ca, ...extra } });
    started.push(d);
    return d;
  }

  async function plainNode(name: string): Promise<DistNode> {
    const d = await startDistributed({ name, cookie: 'tls-test', epmdPort: epmd.port });
    started.push(d);
    return d;
  }

  /** Resolves once a warning matching `pattern` was logged. */
  const logged = (pattern: string): Promise<void> =>
    waitFor(() => warnings.some((w) => new RegExp(pattern).test(w)), `a warning matching ${pattern}; got ${JSON.stringify(warnings)}`);

  it('connects nodes whose certificates are issued to their names', async () => {
    const alice = await node(ALICE, pki.issue(ALICE));
    await node(BOB, pki.issue(BOB));
    expect(await alice.ping(BOB)).toBe('pong');
    expect(alice.nodes()).toEqual([BOB]);
  });

  describe('a certificate signed by the cluster CA but issued to another node', () => {
    /** Alice, honest, and carol, who holds mallory's certificate (and skips the check herself). */
    async function aliceAndImpostor(): Promise<[DistNode, DistNode]> {
      return [await node(ALICE, pki.issue(ALICE)), await node(CAROL, pki.issue(MALLORY), { unsafeSkipNodeNameCheck: true })];
    }
    const cause = `the TLS certificate ${lit(CAROL)} presented is issued to ${lit(MALLORY)} \\(subject CN\\), not to ${lit(CAROL)}`;

    it('is refused when its holder connects, and both sides say why', async () => {
      const [alice, carol] = await aliceAndImpostor();
      expect(await carol.ping(ALICE)).toBe('pang');
      expect(alice.nodes('connected')).toEqual([]);
      await logged(`^${lit(ALICE)}: handshake \\(acceptor\\) with ${lit(CAROL)} \\(${ADDRESS}\\) refused: ${cause}`);
      await logged(`^${lit(CAROL)}: handshake \\(initiator\\) with ${lit(ALICE)} \\(127\\.0\\.0\\.1:${alice.address.port}\\) refused: ${lit(ALICE)} refused this node's TLS certificate: ${cause}`);
    });

    it('is refused when a node connects to its holder, and both sides say why', async () => {
      const [alice, carol] = await aliceAndImpostor();
      expect(await alice.ping(CAROL)).toBe('pang');
      expect(carol.nodes('connected')).toEqual([]);
      await logged(`^${lit(ALICE)}: handshake \\(initiator\\) with ${lit(CAROL)} \\(127\\.0\\.0\\.1:${carol.address.port}\\) refused: ${cause}`);
      await logged(`^${lit(CAROL)}: handshake \\(acceptor\\) with ${ADDRESS} refused: the peer refused this node's TLS certificate: ${cause}`);
    });

    it('is accepted by a node that was told to skip the node name check, which is unsafe', async () => {
      await node(ALICE, pki.issue(ALICE), { unsafeSkipNodeNameCheck: true });
      const carol = await node(CAROL, pki.issue(MALLORY), { unsafeSkipNodeNameCheck: true });
      expect(await carol.ping(ALICE)).toBe('pong');
    });
  });

  it('refuses a node whose certificate another CA signed, and both sides say why', async () => {
    const alice = await node(ALICE, pki.issue(ALICE));
    const rogue = await node(CAROL, pki.rogue(CAROL), { ca: pki.rogueCa() });
    expect(await alice.ping(CAROL)).toBe('pang');
    const cause = `the TLS certificate of ${lit(CAROL)} \\(CN=${lit(CAROL)}, issuer CN=rogue-ca, valid [^)]*\\) is not signed by a CA that ${lit(ALICE)} trusts \\(unknown CA\\)`;
    await logged(`^${lit(ALICE)}: handshake \\(initiator\\) with ${lit(CAROL)} \\(127\\.0\\.0\\.1:${rogue.address.port}\\) refused: ${cause}`);
    await logged(`^${lit(CAROL)}: handshake \\(acceptor\\) with ${ADDRESS} refused: the peer refused this node's TLS certificate: ${cause}`);
    expect(await rogue.ping(ALICE)).toBe('pang');
    await logged(`^${lit(CAROL)}: handshake \\(initiator\\) with ${lit(ALICE)} \\(${ADDRESS}\\) refused: the TLS certificate of ${lit(ALICE)} .* is not signed by a CA that ${lit(CAROL)} trusts`);
    expect(alice.nodes('connected')).toEqual([]);
  });

  it('says why a node without TLS and a node with TLS cannot connect, whichever dials', async () => {
    const alice = await node(ALICE, pki.issue(ALICE));
    const plain = await plainNode(BOB);
    expect(await plain.ping(ALICE)).toBe('pang');
    await logged(`^${lit(BOB)}: cannot connect to ${lit(ALICE)}: it uses TLS and this node does not: give every node the same tls options`);
    expect(await alice.ping(BOB)).toBe('pang');
    await logged(`^${lit(ALICE)}: cannot connect to ${lit(BOB)}: it does not use TLS and this node does`);
  });

  describe('refuses to start with a certificate its peers would refuse, saying what is wrong', () => {
    async function startError(cert: Cert, extra: Partial<TlsOptions> = {}): Promise<string> {
      const err = await node(ALICE, cert, extra).then(
        () => new Error('the node started'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DistNodeError);
      return (err as Error).message;
    }

    it('one that names the node only in its CN, with no subjectAltName for its host', async () => {
      expect(await startError(pki.issue(ALICE, { san: null }))).toMatch(
        /^alice@127\.0\.0\.1: cannot use this TLS certificate: the certificate does not name the host 127\.0\.0\.1 in its subjectAltName \(it has none\): peers check it there, so it needs IP:127\.0\.0\.1/,
      );
      expect(await startError(pki.issue(ALICE, { san: 'DNS:localhost' }))).toMatch(/does not name the host 127\.0\.0\.1 in its subjectAltName \(it names DNS:localhost\)/);
    });

    it('one issued to another node, unless told to skip that check', async () => {
      expect(await startError(pki.issue(MALLORY))).toMatch(/the certificate is issued to mallory@127\.0\.0\.1, not to alice@127\.0\.0\.1: its subject CN must be the node's full name/);
      const d = await node(ALICE, pki.issue(MALLORY), { unsafeSkipNodeNameCheck: true });
      expect(d.name).toBe(ALICE);
    });

    it('one that has expired, one whose key is not the certificate\'s, and one for server use only', async () => {
      expect(await startError(pki.issue(ALICE, { days: -1 }))).toMatch(/the certificate expired on /);
      expect(await startError({ key: pki.issue(BOB).key, cert: pki.issue(ALICE).cert })).toMatch(/key is not the private key of cert/);
      expect(await startError(pki.issue(ALICE, { eku: 'serverAuth' }))).toMatch(/extendedKeyUsage must list both serverAuth and clientAuth/);
    });

    it('one that is not a certificate at all, or none', async () => {
      expect(await startError({ key: pki.issue(ALICE).key, cert: 'not a certificate' })).toMatch(/cert is not a PEM certificate/);
      expect(await startError({} as Cert)).toMatch(/^alice@127\.0\.0\.1: tls needs key and cert \(PEM\), and ca for the CA that signs the peers' certificates$/);
    });
  });
});
