/**
 * decodeHandshake is the handshake's boundary: bytes that are not a well-formed
 * handshake message are a typed error, never a half-read message.
 */
import { decodeHandshake, HandshakeGarbageError } from '@grove/distribution/internal';

describe('decodeHandshake', () => {
  it.each([
    ['random bytes', Uint8Array.from([0xff, 0x13, 0x37, 0x00, 0x42])],
    ['an empty envelope', new Uint8Array(0)],
  ])('refuses %s with a HandshakeGarbageError', (_what, bytes) => {
    expect(() => decodeHandshake(bytes)).toThrow(HandshakeGarbageError);
  });
});
