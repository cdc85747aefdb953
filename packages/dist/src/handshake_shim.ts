/**
 * TEMPORARY stand-in for handshake.ts (being written elsewhere): a minimal cookie
 * challenge/response over frames so the TCP transport can be exercised end to end.
 * Removed once handshake.ts lands. @internal
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { HandshakeError } from './errors';
import { encodeFrame, FrameDecoder } from './framing';
import type { Admission } from './net_kernel';

export interface ShimResult {
  peer: string;
  peerCreation: number;
  peerHidden: boolean;
  decoder: FrameDecoder;
}

interface Common {
  name: string;
  creation: number;
  cookie: string;
  hidden: boolean;
  timeoutMs: number;
  maxFrameBytes: number | undefined;
}

function digest(cookie: string, challenge: string): string {
  return createHmac('sha256', cookie).update(challenge).digest('hex');
}

function sameDigest(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function run(socket: Socket, timeoutMs: number, maxFrameBytes: number | undefined, step: (msg: Record<string, unknown>, send: (m: object) => void, done: (r: Omit<ShimResult, 'decoder'>) => void) => void): Promise<ShimResult> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const decoder = new FrameDecoder(
      (frame) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(frame.toString('utf8')) as Record<string, unknown>;
          if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
        } catch {
          return fail(new HandshakeError('garbage', 'handshake: a frame that is not a handshake message'));
        }
        try {
          step(msg, send, (r) => {
            finished = true;
            decoder.pause();
            cleanup();
            resolve({ ...r, decoder });
          });
        } catch (e) {
          fail(e as Error);
        }
      },
      maxFrameBytes !== undefined ? { maxFrameBytes } : {},
    );
    const send = (m: object): void => void socket.write(encodeFrame(Buffer.from(JSON.stringify(m))));
    const onData = (chunk: Buffer): void => {
      try {
        decoder.push(chunk);
      } catch (e) {
        fail(new HandshakeError('garbage', `handshake: ${(e as Error).message}`));
      }
    };
    const onClose = (): void => fail(new HandshakeError('closed', 'handshake: the connection closed'));
    const timer = setTimeout(() => fail(new HandshakeError('timeout', 'handshake timed out')), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    function fail(e: Error): void {
      if (finished) return;
      finished = true;
      cleanup();
      socket.destroy();
      reject(e);
    }
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

export function handshakeConnect(socket: Socket, o: Common & { peer: string }): Promise<ShimResult> {
  const mine = randomBytes(16).toString('hex');
  const p = run(socket, o.timeoutMs, o.maxFrameBytes, (msg, send, done) => {
    if (msg['status'] !== 'ok') throw new HandshakeError(msg['status'] === 'nok' ? 'simultaneous' : 'name_clash', `handshake: ${o.peer} answered ${String(msg['status'])}`, o.peer);
    if (msg['name'] !== o.peer) throw new HandshakeError('wrong_node', `handshake: reached ${String(msg['name'])} instead of ${o.peer}`, o.peer);
    if (!sameDigest(msg['digest'], digest(o.cookie, mine))) throw new HandshakeError('bad_cookie', `handshake: ${o.peer} has another cookie`, o.peer);
    send({ digest: digest(o.cookie, String(msg['challenge'])) });
    done({ peer: o.peer, peerCreation: Number(msg['creation']), peerHidden: msg['hidden'] === true });
  });
  socket.write(encodeFrame(Buffer.from(JSON.stringify({ name: o.name, creation: o.creation, hidden: o.hidden, challenge: mine }))));
  return p;
}

export function handshakeAccept(socket: Socket, o: Common & { admit(peer: string): Admission }): Promise<ShimResult> {
  const mine = randomBytes(16).toString('hex');
  let peer: { name: string; creation: number; hidden: boolean } | null = null;
  return run(socket, o.timeoutMs, o.maxFrameBytes, (msg, send, done) => {
    if (peer === null) {
      if (typeof msg['name'] !== 'string' || typeof msg['challenge'] !== 'string') throw new HandshakeError('garbage', 'handshake: no name');
      const status = o.admit(msg['name']);
      if (status !== 'ok') {
        send({ status });
        throw new HandshakeError(status === 'nok' ? 'simultaneous' : 'name_clash', `handshake: refused ${msg['name']} (${status})`, msg['name']);
      }
      peer = { name: msg['name'], creation: Number(msg['creation']), hidden: msg['hidden'] === true };
      send({ status: 'ok', name: o.name, creation: o.creation, hidden: o.hidden, challenge: mine, digest: digest(o.cookie, msg['challenge']) });
      return;
    }
    if (!sameDigest(msg['digest'], digest(o.cookie, mine))) throw new HandshakeError('bad_cookie', `handshake: ${peer.name} has another cookie`, peer.name);
    done({ peer: peer.name, peerCreation: peer.creation, peerHidden: peer.hidden });
  });
}
