import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { TlsOptions } from '@grove/distribution';
import { ConnectError, connect, listen, type Listener } from '@grove/distribution/internal';
import { getLogger } from '@grove/core';
import { makePki, type TestPki } from './support/certs';
import { closed, freePort, waitFor } from './support/wait';

describe('transport', () => {
  let listener: Listener | undefined;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    await listener?.close({ destroyConnections: true });
    listener = undefined;
  });

  function nextConnection(): { onConnection: (s: net.Socket) => void; accepted: Promise<net.Socket>; count: () => number } {
    let resolve!: (s: net.Socket) => void;
    let n = 0;
    const accepted = new Promise<net.Socket>((r) => (resolve = r));
    return {
      onConnection: (s) => {
        n++;
        sockets.push(s);
        resolve(s);
      },
      accepted,
      count: () => n,
    };
  }

  async function roundTrip(a: net.Socket, b: net.Socket): Promise<void> {
    const got = new Promise<string>((r) => b.once('data', (d) => r(String(d))));
    a.write('ping');
    expect(await got).toBe('ping');
    const back = new Promise<string>((r) => a.once('data', (d) => r(String(d))));
    b.write('pong');
    expect(await back).toBe('pong');
  }

  it('listens on an ephemeral loopback port by default and carries bytes both ways over TCP', async () => {
    const conn = nextConnection();
    listener = await listen({}, conn.onConnection);
    expect(listener.host).toBe('127.0.0.1');
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.tls).toBe(false);
    const client = await connect({ host: '127.0.0.1', port: listener.port });
    sockets.push(client);
    await roundTrip(client, await conn.accepted);
  });

  it('fails a connection to a port where nothing listens with a ConnectError', async () => {
    const port = await freePort();
    const err = await connect({ host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).toMatch(new RegExp(`cannot connect to 127.0.0.1:${port}: .*ECONNREFUSED`));
  });

  it('refuses to listen on a port already in use', async () => {
    listener = await listen({}, () => {});
    await expect(listen({ port: listener.port }, () => {})).rejects.toThrow(/EADDRINUSE/);
  });

  it('destroys accepted connections on close when asked', async () => {
    const conn = nextConnection();
    listener = await listen({}, conn.onConnection);
    const client = await connect({ host: '127.0.0.1', port: listener.port });
    sockets.push(client);
    await conn.accepted;
    await listener.close({ destroyConnections: true });
    listener = undefined;
    await closed(client);
  });

  describe('with TLS', () => {
    let pki: TestPki;
    let serverTls: TlsOptions;

    beforeAll(() => {
      pki = makePki();
      serverTls = { ...pki.issue('server@127.0.0.1'), ca: pki.ca };
    });

    afterAll(() => pki.cleanup());

    it('connects two peers that both hold certificates from the shared CA', async () => {
      const conn = nextConnection();
      listener = await listen({ tls: serverTls }, conn.onConnection);
      expect(listener.tls).toBe(true);
      const client = await connect({ host: '127.0.0.1', port: listener.port, tls: { ...pki.issue('client@127.0.0.1'), ca: pki.ca } });
      sockets.push(client);
      const server = (await conn.accepted) as tls.TLSSocket;
      expect(server.authorized).toBe(true);
      expect(server.getPeerCertificate().subject.CN).toBe('client@127.0.0.1');
      expect((client as tls.TLSSocket).getPeerCertificate().subject.CN).toBe('server@127.0.0.1');
      await roundTrip(client, server);
    });

    async function expectRefused(clientTls: TlsOptions): Promise<void> {
      const conn = nextConnection();
      listener = await listen({ tls: serverTls }, conn.onConnection);
      const outcome = await connect({ host: '127.0.0.1', port: listener.port, tls: clientTls }).then(
        async (socket) => {
          // TLS 1.3: the client's side of the handshake ends before the server has
          // checked the client's certificate; the server's refusal closes it next.
          sockets.push(socket);
          await closed(socket);
          return 'closed';
        },
        (err: unknown) => (err instanceof ConnectError ? 'refused' : String(err)),
      );
      expect(['closed', 'refused']).toContain(outcome);
      expect(conn.count()).toBe(0);
    }

    it('refuses a peer whose certificate comes from an unknown CA', async () => {
      await expectRefused({ ...pki.rogue('mallory@127.0.0.1'), ca: pki.ca });
    });

    it('refuses a peer without a certificate', async () => {
      const noCert = { ca: pki.ca } as unknown as TlsOptions;
      await expectRefused(noCert);
    });

    it('logs each refused TLS connection with the peer\'s address and the cause', async () => {
      const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
      try {
        await expectRefused({ ...pki.rogue('mallory@127.0.0.1'), ca: pki.ca });
        await listener!.close({ destroyConnections: true });
        listener = undefined;
        await expectRefused({ ca: pki.ca } as unknown as TlsOptions);
        await waitFor(() => warn.mock.calls.length === 2, 'two refusals logged');
        const lines = warn.mock.calls.map((c) => String(c[0]));
        expect(lines[0]).toMatch(/^refused a TLS connection from 127\.0\.0\.1:\d+: its certificate is not signed by a CA that this node trusts \(unknown CA\)$/);
        expect(lines[1]).toMatch(/^refused a TLS connection from 127\.0\.0\.1:\d+: the peer presented no certificate/);
      } finally {
        warn.mockRestore();
      }
    });

    it('refuses a server whose certificate the client cannot verify', async () => {
      listener = await listen({ tls: { ...pki.rogue('mallory@127.0.0.1'), ca: pki.ca } }, (s) => sockets.push(s));
      const err = await connect({ host: '127.0.0.1', port: listener.port, tls: { ...pki.issue('client@127.0.0.1'), ca: pki.ca } }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as Error).message).toMatch(/^cannot connect to 127\.0\.0\.1:\d+: TLS: its certificate is not signed by a CA that this node trusts \(unknown CA\)$/);
      expect((err as ConnectError).tls).toBe(true);
    });

    it('says a server certificate that does not name the host it was reached at does not', async () => {
      listener = await listen({ tls: { ...pki.issue('server@127.0.0.1', { san: 'DNS:elsewhere' }), ca: pki.ca } }, (s) => sockets.push(s));
      const err = await connect({ host: '127.0.0.1', port: listener.port, tls: { ...pki.issue('client@127.0.0.1'), ca: pki.ca } }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/TLS: its certificate does not name 127\.0\.0\.1 in its subjectAltName \(IP: 127\.0\.0\.1 is not in the cert's list/);
    });
  });
});
