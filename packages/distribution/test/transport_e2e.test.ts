/**
 * The whole connection layer end to end: two endpoints with names and cookies; one
 * registers its listening port with the port mapper, the other looks it up by name,
 * connects, handshakes, and both exchange frames, over TCP and over mutual TLS.
 */
import type { TlsOptions } from '@grove/distribution';
import { HandshakeError } from '@grove/distribution/internal';
import { makePki, type TestPki } from './support/certs';
import { Endpoint, type EndpointOptions } from './support/endpoint';
import { freePort } from './support/wait';

describe('transport end to end', () => {
  let epmdPort: number;
  const endpoints: Endpoint[] = [];
  let pki: TestPki;

  beforeAll(() => {
    pki = makePki();
  });

  afterAll(() => pki.cleanup());

  beforeEach(async () => {
    epmdPort = await freePort();
  });

  afterEach(async () => {
    // The port mapper's owner last, so no takeover runs during cleanup.
    for (const e of endpoints.reverse()) await e.close();
    endpoints.length = 0;
  });

  async function endpoint(name: string, extra: Partial<EndpointOptions> = {}): Promise<Endpoint> {
    const e = await Endpoint.start({ name, cookie: 'shared', epmdPort, ...extra });
    endpoints.push(e);
    return e;
  }

  async function pingPong(a: Endpoint, b: Endpoint): Promise<void> {
    const ab = a.links.get(b.name)!;
    await b.until(() => b.links.has(a.name));
    const ba = b.links.get(a.name)!;
    ab.writer.write(Buffer.from('ping 1'));
    ab.writer.write(Buffer.from('ping 2'));
    ba.writer.write(Buffer.from('pong 1'));
    await b.until(() => ba.frames.length === 2);
    await a.until(() => ab.frames.length === 1);
    ab.writer.write(Buffer.from('ping 3'));
    await b.until(() => ba.frames.length === 3);
    expect(ba.frames).toEqual(['ping 1', 'ping 2', 'ping 3']);
    expect(ab.frames).toEqual(['pong 1']);
  }

  for (const secure of [false, true]) {
    describe(secure ? 'over mutual TLS' : 'over TCP', () => {
      const tlsFor = (cn: string): Partial<EndpointOptions> => (secure ? { tls: { ...pki.issue(cn), ca: pki.ca } satisfies TlsOptions } : {});

      it('finds a node by name through the port mapper, connects, handshakes and exchanges frames', async () => {
        const b = await endpoint('b@localhost', tlsFor('b@localhost'));
        const a = await endpoint('a@localhost', tlsFor('a@localhost'));
        expect((await a.mapper.names()).nodes.map((n) => n.name).sort()).toEqual(['a', 'b']);
        const r = await a.connectTo('b@localhost');
        expect(r).toMatchObject({ peer: 'b@localhost', peerCreation: b.creation, side: 'initiator' });
        await pingPong(a, b);
        expect(b.links.get('a@localhost')!.result.peerCreation).toBe(a.creation);
      });

      it('refuses a node with another cookie, and nothing else happens', async () => {
        const b = await endpoint('b@localhost', tlsFor('b@localhost'));
        const a = await endpoint('a@localhost', { cookie: 'other', ...tlsFor('a@localhost') });
        await expect(a.connectTo('b@localhost')).rejects.toBeInstanceOf(HandshakeError);
        await b.until(() => b.refusals.length === 1);
        expect(b.refusals[0]).toMatchObject({ reason: 'bad_cookie' });
        expect(a.links.size + b.links.size).toBe(0);
      });
    });
  }

  it('refuses a TLS peer whose certificate comes from another CA before any handshake', async () => {
    const b = await endpoint('b@localhost', { tls: { ...pki.issue('b@localhost'), ca: pki.ca } });
    const a = await endpoint('a@localhost', { tls: { ...pki.rogue('a@localhost'), ca: pki.ca } });
    await expect(a.connectTo('b@localhost')).rejects.toThrow();
    expect(b.links.size).toBe(0);
    expect(b.refusals).toEqual([]);
  });

  it('keeps exactly one connection when two nodes connect to each other at once', async () => {
    const a = await endpoint('a@localhost');
    const b = await endpoint('b@localhost');
    const [fromA, fromB] = await Promise.allSettled([a.connectTo('b@localhost'), b.connectTo('a@localhost')]);
    // The node with the greater name (b) wins: its attempt survives, a's is answered nok.
    expect(fromB.status).toBe('fulfilled');
    expect(fromA.status).toBe('rejected');
    expect((fromA as PromiseRejectedResult).reason).toMatchObject({ reason: 'simultaneous' });
    await a.until(() => a.links.has('b@localhost'));
    // (`simultaneous` is set only if b's name reached a while a's own attempt was
    // still pending; either way the same single connection survives.)
    expect(a.links.get('b@localhost')!.result.side).toBe('acceptor');
    expect(b.links.get('a@localhost')!.result.side).toBe('initiator');
    expect(a.links.size).toBe(1);
    expect(b.links.size).toBe(1);
    await pingPong(b, a);
  });

  it('refuses a second connection from a node that is already connected', async () => {
    const a = await endpoint('a@localhost');
    await endpoint('b@localhost');
    await a.connectTo('b@localhost');
    a.links.clear(); // a forgets, b does not: b sees a name clash
    const again = await a.connectTo('b@localhost').catch((e: unknown) => e);
    expect(again).toMatchObject({ reason: 'name_clash' });
  });
});
