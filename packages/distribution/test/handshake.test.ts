import { randomBytes } from 'node:crypto';
import { getLogger } from '@grove/core';
import {
  FrameWriter,
  HandshakeError,
  HandshakeStatus,
  acceptHandshake,
  encodeFrame,
  encodeHandshake,
  handshakeDigest,
  initiateHandshake,
  readFrames,
  type AcceptOptions,
  type HandshakeResult,
  type InitiateOptions,
} from '@grove/distribution/internal';
import { makePki, type Cert, type TestPki } from './support/certs';
import { RawPeer } from './support/raw_peer';
import { SocketPairs } from './support/socket_pair';
import { waitFor } from './support/wait';

const A = 'a@localhost';
const B = 'b@localhost';

type Outcome = PromiseSettledResult<HandshakeResult>;

const settle = (p: Promise<HandshakeResult>): Promise<Outcome> =>
  p.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );

function ok(r: Outcome): HandshakeResult {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

function refused(r: Outcome, reason: string): HandshakeError {
  if (r.status === 'fulfilled') throw new Error(`expected a refusal (${reason}), got a connection to ${r.value.peer}`);
  expect(r.reason).toBeInstanceOf(HandshakeError);
  expect((r.reason as HandshakeError).reason).toBe(reason);
  return r.reason as HandshakeError;
}

/** Sends two frames each way over two handshake results and checks they arrive. */
async function exchange(x: HandshakeResult, y: HandshakeResult): Promise<void> {
  const receive = (r: HandshakeResult): Promise<string[]> =>
    new Promise((resolve) => {
      const seen: string[] = [];
      r.decoder.onFrame = (f) => {
        seen.push(String(f));
        if (seen.length === 2) resolve(seen);
      };
      readFrames(r.socket, r.decoder);
      r.decoder.resume();
    });
  const atX = receive(x);
  const atY = receive(y);
  const wx = new FrameWriter(x.socket);
  const wy = new FrameWriter(y.socket);
  wx.write(Buffer.from('x1'));
  wx.write(Buffer.from('x2'));
  wy.write(Buffer.from('y1'));
  wy.write(Buffer.from('y2'));
  expect(await atY).toEqual(['x1', 'x2']);
  expect(await atX).toEqual(['y1', 'y2']);
}

describe('handshake', () => {
  const pairs = new SocketPairs();
  afterEach(async () => {
    jest.restoreAllMocks();
    await pairs.cleanup();
  });

  const initiator = (o: Partial<InitiateOptions> = {}): InitiateOptions => ({ name: A, creation: 11, cookie: 'secret', ...o });
  const acceptor = (o: Partial<AcceptOptions> = {}): AcceptOptions => ({ name: B, creation: 22, cookie: 'secret', ...o });

  async function run(a: InitiateOptions, b: AcceptOptions): Promise<[Outcome, Outcome]> {
    const [client, server] = await pairs.pair();
    return Promise.all([settle(initiateHandshake(client, a)), settle(acceptHandshake(server, b))]);
  }

  /** An initiator driven by hand against a real acceptor. */
  async function rawInitiator(b: AcceptOptions): Promise<[RawPeer, Promise<Outcome>]> {
    const [client, server] = await pairs.pair();
    return [new RawPeer(client), settle(acceptHandshake(server, b))];
  }

  /** An acceptor driven by hand against a real initiator. */
  async function rawAcceptor(a: InitiateOptions): Promise<[RawPeer, Promise<Outcome>]> {
    const [client, server] = await pairs.pair();
    return [new RawPeer(server), settle(initiateHandshake(client, a))];
  }

  const nameMsg = (name = A, versions = { min: 1, max: 1 }) =>
    ({ kind: 'name', name, versionMin: versions.min, versionMax: versions.max, flags: 0, creation: 1, hidden: false }) as const;

  it('connects two nodes that share a cookie, telling each who the other is', async () => {
    const [ra, rb] = await run(initiator({ flags: 0b0111, hidden: true }), acceptor({ flags: 0b1101 }));
    const a = ok(ra);
    const b = ok(rb);
    expect(a).toMatchObject({ side: 'initiator', peer: B, peerCreation: 22, peerHidden: false, peerFlags: 0b1101, flags: 0b0101, version: 1, simultaneous: false, replaced: false });
    expect(b).toMatchObject({ side: 'acceptor', peer: A, peerCreation: 11, peerHidden: true, peerFlags: 0b0111, flags: 0b0101, version: 1 });
    expect(a.decoder.paused).toBe(true);
    expect(a.decoder.maxFrameBytes).toBe(1024 * 1024);
    await exchange(a, b);
  });

  it('sets the connection maximum frame size on the handed-over decoder', async () => {
    const [ra, rb] = await run(initiator({ maxFrameBytes: 1000 }), acceptor({ maxFrameBytes: 2000 }));
    expect(ok(ra).decoder.maxFrameBytes).toBe(1000);
    expect(ok(rb).decoder.maxFrameBytes).toBe(2000);
  });

  it('hands over frames that arrive in the same chunk as the challenge ack', async () => {
    const [peer, result] = await rawAcceptor(initiator());
    expect(await peer.next()).toMatchObject({ kind: 'name', name: A, versionMin: 1, versionMax: 1, creation: 11 });
    const chB = randomBytes(32);
    peer.send({ kind: 'status', code: HandshakeStatus.OK, reason: '' }, { kind: 'challenge', name: B, version: 1, flags: 0, creation: 5, hidden: false, challenge: chB });
    const reply = await peer.next();
    if (reply.kind !== 'reply') throw new Error(`expected a reply, got ${reply.kind}`);
    expect(reply.digest).toEqual(handshakeDigest('secret', 'initiator', A, B, chB, reply.challenge));
    peer.send({ kind: 'ack', digest: handshakeDigest('secret', 'acceptor', A, B, reply.challenge, chB) }, Buffer.from('first'), Buffer.from('second'));
    const a = ok(await result);
    const frames: string[] = [];
    a.decoder.onFrame = (f) => frames.push(String(f));
    a.decoder.resume();
    expect(frames).toEqual(['first', 'second']);
  });

  it('keeps frames that arrive after the handshake until the connection takes over', async () => {
    const [peer, result] = await rawAcceptor(initiator());
    await peer.next();
    const chB = randomBytes(32);
    peer.send({ kind: 'status', code: HandshakeStatus.OK, reason: '' }, { kind: 'challenge', name: B, version: 1, flags: 0, creation: 5, hidden: false, challenge: chB });
    const reply = await peer.next();
    if (reply.kind !== 'reply') throw new Error(`expected a reply, got ${reply.kind}`);
    peer.send({ kind: 'ack', digest: handshakeDigest('secret', 'acceptor', A, B, reply.challenge, chB) });
    const a = ok(await result);
    peer.send(Buffer.from('late'));
    await waitFor(() => a.decoder.bufferedBytes > 0, 'the late frame to reach the paused decoder');
    const frames: string[] = [];
    a.decoder.onFrame = (f) => frames.push(String(f));
    readFrames(a.socket, a.decoder); // a no-op: already attached
    a.decoder.resume();
    expect(frames).toEqual(['late']);
  });

  describe('cookies', () => {
    it('refuses an initiator with the wrong cookie, on both sides', async () => {
      const [a, b] = await run(initiator({ cookie: 'wrong' }), acceptor());
      expect(refused(b, 'bad_cookie').message).toMatch(/a@localhost failed the cookie challenge: the cookies differ/);
      expect(refused(a, 'closed').message).toMatch(/after our challenge reply: the peer refused our cookie/);
    });

    it('refuses when the acceptor has the wrong cookie, on both sides', async () => {
      const [a, b] = await run(initiator(), acceptor({ cookie: 'wrong' }));
      refused(b, 'bad_cookie');
      refused(a, 'closed');
    });

    it('lets the initiator catch an acceptor that cannot prove the cookie', async () => {
      // B checks A's proof with A's out-cookie, but proves itself with another cookie.
      const [a, b] = await run(initiator({ cookie: () => ({ in: 'b-to-a', out: 'a-to-b' }) }), acceptor({ cookie: () => ({ in: 'a-to-b', out: 'impostor' }) }));
      expect(refused(a, 'bad_cookie').message).toMatch(/b@localhost answered our challenge with a wrong digest: the cookies differ/);
      const socket = ok(b).socket;
      await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
    });

    it('accepts different cookies for each direction when both sides agree', async () => {
      const [a, b] = await run(
        initiator({ cookie: (peer) => (peer === B ? { in: 'b-to-a', out: 'a-to-b' } : 'other') }),
        acceptor({ cookie: () => ({ in: 'a-to-b', out: 'b-to-a' }) }),
      );
      await exchange(ok(a), ok(b));
    });

    it('never puts the cookie on the wire', async () => {
      const [peer, result] = await rawAcceptor(initiator({ cookie: 'very-secret-cookie' }));
      const seen: Buffer[] = [];
      peer.socket.on('data', (c: Buffer) => seen.push(c));
      await peer.next();
      peer.send({ kind: 'status', code: HandshakeStatus.OK, reason: '' }, { kind: 'challenge', name: B, version: 1, flags: 0, creation: 5, hidden: false, challenge: randomBytes(32) });
      await peer.next();
      peer.socket.destroy();
      refused(await result, 'closed');
      expect(Buffer.concat(seen).includes('very-secret-cookie')).toBe(false);
    });
  });

  it('refuses a peer with no protocol version in common, on both sides', async () => {
    const [a, b] = await run(initiator({ versions: { min: 9, max: 9 } }), acceptor());
    expect(refused(a, 'version').message).toMatch(/the peer speaks 9..9, this node 1..1/);
    refused(b, 'version');
  });

  it('agrees on the highest version both speak', async () => {
    const [a, b] = await run(initiator({ versions: { min: 1, max: 3 } }), acceptor({ versions: { min: 2, max: 5 } }));
    expect(ok(a).version).toBe(3);
    expect(ok(b).version).toBe(3);
  });

  describe('name clash', () => {
    it('refuses a node whose name is already connected, by default', async () => {
      const [a, b] = await run(initiator(), acceptor({ admit: () => 'alive' }));
      expect(refused(a, 'name_clash').message).toMatch(/already has a connection to a node with our name/);
      expect(refused(b, 'name_clash').message).toMatch(/a node with that name is already connected/);
    });

    it('replaces the old connection when the initiator says it has none (it restarted)', async () => {
      let asked: string | undefined;
      const [a, b] = await run(initiator({ peer: B, onAlive: (p) => ((asked = p), true) }), acceptor({ admit: () => 'alive' }));
      expect(asked).toBe(B);
      expect(ok(a).replaced).toBe(true);
      expect(ok(b).replaced).toBe(true);
    });

    it("refuses a peer that uses this node's own name", async () => {
      const [a, b] = await run(initiator({ name: B }), acceptor());
      refused(b, 'name_clash');
      expect(refused(a, 'not_allowed').message).toMatch(/b@localhost is this node's own name/);
    });
  });

  describe('simultaneous connect', () => {
    it('stops the initiator when the acceptor answers nok', async () => {
      const [a, b] = await run(initiator(), acceptor({ admit: () => 'nok' }));
      expect(refused(a, 'simultaneous').message).toMatch(/its attempt wins/);
      refused(b, 'simultaneous');
    });

    it('goes on and says so when the acceptor answers ok_simultaneous', async () => {
      const [a, b] = await run(initiator(), acceptor({ admit: () => 'ok_simultaneous' }));
      expect(ok(a).simultaneous).toBe(true);
      expect(ok(b).simultaneous).toBe(true);
    });

    it('drops an attempt whose signal aborts (it lost to the peer\'s): simultaneous, and the other side sees it close', async () => {
      const abort = new AbortController();
      // The acceptor's connection manager admits the peer's attempt and drops this node's own (the initiator here).
      const [a, b] = await run(initiator({ signal: abort.signal }), acceptor({ admit: () => (abort.abort(), 'ok') }));
      expect(refused(a, 'simultaneous').message).toMatch(/won the simultaneous connect/);
      refused(b, 'closed');
    });

    it('never starts a handshake whose signal aborted before', async () => {
      const abort = new AbortController();
      abort.abort();
      const admit = jest.fn(() => 'ok' as const);
      const [a, b] = await run(initiator({ signal: abort.signal }), acceptor({ admit }));
      refused(a, 'simultaneous');
      refused(b, 'closed');
      expect(admit).not.toHaveBeenCalled();
    });
  });

  it('passes what it knows of the initiator to the admit hook', async () => {
    const hello = jest.fn(() => 'ok' as const);
    await run(initiator({ flags: 6, hidden: true }), acceptor({ admit: hello }));
    expect(hello).toHaveBeenCalledWith({ name: A, creation: 11, hidden: true, flags: 6 });
  });

  it('refuses with the reason the connection manager gives', async () => {
    const [a, b] = await run(initiator(), acceptor({ admit: () => ({ refuse: 'not in the allow list' }) }));
    expect(refused(a, 'not_allowed').message).toMatch(/not allowed: not in the allow list/);
    refused(b, 'not_allowed');
  });

  it('refuses to mix short and long names, as Erlang does', async () => {
    const [a, b] = await run(initiator({ name: 'a@127.0.0.1' }), acceptor());
    expect(refused(b, 'not_allowed').message).toMatch(/short and long names do not mix/);
    refused(a, 'not_allowed');
  });

  it('refuses a peer that is not the node the initiator meant to reach', async () => {
    const [a, b] = await run(initiator({ peer: 'c@localhost' }), acceptor());
    expect(refused(a, 'wrong_node').message).toMatch(/we meant to reach c@localhost but b@localhost answered/);
    refused(b, 'closed');
  });

  describe('garbage and early frames', () => {
    it('refuses bytes that are not framed handshake messages (an HTTP request)', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(refused(await result, 'garbage').message).toMatch(/an HTTP client connected; this port is a Grove node's distribution port/);
      await peer.closed;
    });

    it('refuses a well-framed frame that is not a handshake message', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]));
      expect(refused(await result, 'garbage').message).toMatch(/not a handshake message/);
    });

    it('refuses an empty handshake message', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.send(Buffer.alloc(0));
      expect(refused(await result, 'garbage').message).toMatch(/no content/);
    });

    it('refuses a name message with a malformed node name', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.send(nameMsg('no-at-sign'));
      expect(refused(await result, 'not_allowed').message).toMatch(/bad node name "no-at-sign"/);
      expect(await peer.next()).toMatchObject({ kind: 'status', code: HandshakeStatus.NOT_ALLOWED });
    });

    it('refuses messages out of order', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.send({ kind: 'reply', challenge: randomBytes(32), digest: randomBytes(32) });
      expect(refused(await result, 'garbage').message).toMatch(/unexpected reply message \(waiting for the initiator's name\)/);
    });

    it('refuses a challenge of the wrong size', async () => {
      const [peer, result] = await rawAcceptor(initiator());
      await peer.next();
      peer.send({ kind: 'status', code: HandshakeStatus.OK, reason: '' }, { kind: 'challenge', name: B, version: 1, flags: 0, creation: 5, hidden: false, challenge: randomBytes(4) });
      expect(refused(await result, 'garbage').message).toMatch(/challenge must be 32 bytes/);
    });

    it('refuses garbage sent to the initiator', async () => {
      const [peer, result] = await rawAcceptor(initiator());
      await peer.next();
      peer.send(Buffer.from('not protobuf at all'));
      refused(await result, 'garbage');
    });

    it('refuses a frame sent right behind the name, before the acceptor answered', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.send(nameMsg(), Buffer.from('too soon'));
      expect(refused(await result, 'early_frame').message).toMatch(/arrived after the name message/);
    });

    it('refuses a frame sent right behind the challenge reply, before the ack', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.send(nameMsg());
      expect(await peer.next()).toMatchObject({ kind: 'status', code: HandshakeStatus.OK });
      const challenge = await peer.next();
      if (challenge.kind !== 'challenge') throw new Error(`expected a challenge, got ${challenge.kind}`);
      const chA = randomBytes(32);
      peer.send({ kind: 'reply', challenge: chA, digest: handshakeDigest('secret', 'initiator', A, B, challenge.challenge, chA) }, Buffer.from('too soon'));
      expect(refused(await result, 'early_frame').message).toMatch(/arrived after the challenge reply/);
    });

    it('refuses an Erlang node, whose handshake uses 2-byte lengths', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      const name = Buffer.from('erl@localhost');
      const body = Buffer.concat([Buffer.from('N'), Buffer.alloc(8), Buffer.alloc(4), Buffer.from([0, name.length]), name]);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length, 0);
      peer.socket.write(Buffer.concat([len, body]));
      expect(refused(await result, 'garbage').message).toMatch(/an Erlang node tried to connect; this node speaks Grove's protocol/);
    });

    it('says so when a TLS client connects to a node without TLS', async () => {
      const [peer, result] = await rawInitiator(acceptor());
      peer.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
      expect(refused(await result, 'garbage').message).toMatch(/the peer speaks TLS and this node does not: give every node the same tls options/);
    });
  });

  it('gives up on a peer that says nothing within the timeout', async () => {
    const [peer, result] = await rawInitiator(acceptor({ timeoutMs: 50 }));
    expect(refused(await result, 'timeout').message).toMatch(/no handshake within 50 ms \(waiting for the initiator's name\)/);
    await peer.closed;
  });

  it('reports a peer that closes the connection before answering', async () => {
    const [peer, result] = await rawAcceptor(initiator());
    await peer.next();
    peer.socket.destroy();
    expect(refused(await result, 'closed').message).toMatch(/the connection closed/);
  });

  describe('over TLS, where each side checks the certificate the other presented', () => {
    let pki: TestPki;
    beforeAll(() => {
      pki = makePki();
    });
    afterAll(() => pki.cleanup());

    /**
     * A handshake over TLS sockets that verify but do not refuse (as the node transport
     * runs them), so that the handshake gives the verdict. `null` presents no certificate.
     */
    async function runTls(certA: Cert | null, certB: Cert, a: InitiateOptions, b: AcceptOptions): Promise<[Outcome, Outcome]> {
      const lax = { ca: pki.ca, rejectUnauthorized: false };
      const client = (certA ?? {}) as Cert;
      const [c, s] = await pairs.pair({ server: { ...certB, ...lax }, client: { ...client, ...lax } });
      return Promise.all([settle(initiateHandshake(c, a)), settle(acceptHandshake(s, b))]);
    }

    it('connects nodes whose certificates carry their names and hosts', async () => {
      const [a, b] = await runTls(pki.issue(A), pki.issue(B), initiator({ peer: B }), acceptor());
      await exchange(ok(a), ok(b));
    });

    it('refuses an initiator whose certificate is for another node, and tells it why', async () => {
      const [a, b] = await runTls(pki.issue('mallory@localhost'), pki.issue(B), initiator({ peer: B }), acceptor());
      expect(refused(b, 'bad_certificate').message).toMatch(/with a@localhost \(127\.0\.0\.1:\d+\) refused: the TLS certificate a@localhost presented is issued to mallory@localhost \(subject CN\), not to a@localhost$/);
      expect(refused(a, 'bad_certificate').message).toMatch(/refused: b@localhost refused this node's TLS certificate: the TLS certificate a@localhost presented is issued to mallory@localhost/);
    });

    it('refuses an acceptor whose certificate is for another node before saying anything, and tells it why', async () => {
      const [a, b] = await runTls(pki.issue(A), pki.issue('mallory@localhost'), initiator({ peer: B }), acceptor());
      expect(refused(a, 'bad_certificate').message).toMatch(/the TLS certificate b@localhost presented is issued to mallory@localhost \(subject CN\), not to b@localhost$/);
      expect(refused(b, 'bad_certificate').message).toMatch(/^handshake \(acceptor\) with 127\.0\.0\.1:\d+ refused: the peer refused this node's TLS certificate: .*issued to mallory@localhost/);
    });

    it('checks the acceptor on its challenge when the initiator did not say whom it dialled', async () => {
      const [a, b] = await runTls(pki.issue(A), pki.issue('mallory@localhost'), initiator(), acceptor());
      expect(refused(a, 'bad_certificate').message).toMatch(/issued to mallory@localhost \(subject CN\), not to b@localhost$/);
      expect(refused(b, 'bad_certificate').message).toMatch(/b@localhost|the peer refused this node's TLS certificate/);
    });

    it('refuses a certificate that names the node only in its CN, saying it lacks the host, both ways', async () => {
      const cnOnly = { san: null };
      const [a1, b1] = await runTls(pki.issue(A), pki.issue(B, cnOnly), initiator({ peer: B }), acceptor());
      const cause = /the TLS certificate of b@localhost \(CN=b@localhost, issuer CN=ca, valid .*\) does not name its host localhost in its subjectAltName \(it has none\); a node certificate needs DNS:localhost there/;
      expect(refused(a1, 'bad_certificate').message).toMatch(cause);
      expect(refused(b1, 'bad_certificate').message).toMatch(cause);
      const [a2, b2] = await runTls(pki.issue(A, cnOnly), pki.issue(B), initiator({ peer: B }), acceptor());
      expect(refused(b2, 'bad_certificate').message).toMatch(/the TLS certificate of a@localhost .* does not name its host localhost in its subjectAltName \(it has none\)/);
      expect(refused(a2, 'bad_certificate').message).toMatch(/b@localhost refused this node's TLS certificate: the TLS certificate of a@localhost .* \(it has none\)/);
    });

    it('refuses an expired certificate, and one from an unknown CA, saying which', async () => {
      const [a1, b1] = await runTls(pki.issue(A, { days: -1 }), pki.issue(B), initiator({ peer: B }), acceptor());
      expect(refused(b1, 'bad_certificate').message).toMatch(/the TLS certificate of a@localhost \(CN=a@localhost, .*\) has expired$/);
      expect(refused(a1, 'bad_certificate').message).toMatch(/b@localhost refused this node's TLS certificate: .* has expired$/);
      const [a2, b2] = await runTls(pki.issue(A), pki.rogue(B), initiator({ peer: B }), acceptor());
      expect(refused(a2, 'bad_certificate').message).toMatch(/the TLS certificate of b@localhost \(CN=b@localhost, issuer CN=rogue-ca, .*\) is not signed by a CA that a@localhost trusts \(unknown CA\)$/);
      expect(refused(b2, 'bad_certificate').message).toMatch(/the peer refused this node's TLS certificate: .*unknown CA/);
    });

    it('refuses an initiator that presents no certificate', async () => {
      const [a, b] = await runTls(null, pki.issue(B), initiator({ peer: B }), acceptor());
      expect(refused(b, 'bad_certificate').message).toMatch(/a@localhost presented no TLS certificate/);
      expect(refused(a, 'bad_certificate').message).toMatch(/b@localhost refused this node's TLS certificate: a@localhost presented no TLS certificate/);
    });

    it('skips the node name, and only the node name, in host mode (unsafe)', async () => {
      const [a, b] = await runTls(pki.issue('mallory@localhost'), pki.issue(B), initiator(), acceptor({ tlsIdentity: 'host' }));
      await exchange(ok(a), ok(b));
      const [a2, b2] = await runTls(pki.issue('mallory@localhost', { san: 'DNS:elsewhere' }), pki.issue(B), initiator(), acceptor({ tlsIdentity: 'host' }));
      expect(refused(b2, 'bad_certificate').message).toMatch(/does not name its host localhost in its subjectAltName \(it names DNS:elsewhere\)/);
      refused(a2, 'bad_certificate');
    });
  });

  it('logs each refusal once with its reason', async () => {
    const warn = jest.spyOn(getLogger('dist'), 'warn');
    await run(initiator({ cookie: 'wrong' }), acceptor());
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines.filter((l) => /^b@localhost: handshake \(acceptor\) with a@localhost \(127\.0\.0\.1:\d+\) refused: .*cookies differ/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^a@localhost: handshake \(initiator\) with b@localhost \(127\.0\.0\.1:\d+\) refused: the connection closed/.test(l))).toHaveLength(1);
  });

  it('encodes each message as one protobuf envelope', () => {
    expect(encodeFrame(encodeHandshake({ kind: 'alive_answer', proceed: true }))).toEqual(Buffer.from([0, 0, 0, 4, 0x1a, 2, 0x08, 1]));
  });
});
