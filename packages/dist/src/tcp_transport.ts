/**
 * The TCP/TLS transport: listener, port-mapper registration, dial with the cookie
 * handshake, and socket channels. @internal
 */
import { DistNodeError } from './errors';
import type { TransportStart } from './node_transport';

export const tcpTransport: TransportStart = async () => {
  throw new DistNodeError('the TCP transport is not wired yet');
};
