/**
 * A client of the Erlang Port Mapper Daemon protocol (the EPMD section of Erlang's
 * "Distribution Protocol"), so Grove nodes register with and look each other up in
 * a real `epmd` or in Grove's embedded one (`server.ts`) alike.
 *
 * Every request is `[u16 length][request]` on a fresh TCP connection:
 * - `ALIVE2_REQ` (120) registers a name with its port; the answer is `ALIVE2_X_RESP`
 *   (118, 32-bit creation) or the older `ALIVE2_RESP` (121). The connection stays
 *   open for as long as the node is registered: closing it unregisters.
 * - `PORT_PLEASE2_REQ` (122) asks for one name's port; `PORT2_RESP` (119) answers.
 * - `NAMES_REQ` (110) lists names: a u32 EPMD port then `name N at port P\n` lines.
 * EPMD knows node names without their host (`alice`, not `alice@box`).
 *
 * The port is the option, else `GROVE_EPMD_PORT`, else `ERL_EPMD_PORT`, else 4369.
 */
import * as net from 'node:net';
import { EpmdError } from '../errors';

export const DEFAULT_EPMD_PORT = 4369;
/** Default time for one EPMD request. */
export const DEFAULT_EPMD_TIMEOUT_MS = 5000;

/** Request and response tags. @internal */
export const EPMD = {
  ALIVE2_REQ: 120,
  ALIVE2_X_RESP: 118,
  ALIVE2_RESP: 121,
  PORT_PLEASE2_REQ: 122,
  PORT2_RESP: 119,
  NAMES_REQ: 110,
  DUMP_REQ: 100,
  KILL_REQ: 107,
  STOP_REQ: 115,
} as const;

/** `NodeType` of a normal node. */
export const NODE_TYPE_NORMAL = 77;
/** `NodeType` of a hidden node. */
export const NODE_TYPE_HIDDEN = 72;
/** The `Extra` field Grove nodes register with, telling them apart from Erlang nodes. */
export const GROVE_EPMD_EXTRA = Buffer.from('grove');
/**
 * The `Extra` field of Grove nodes that use TLS, so that a node dialling one can say
 * at once that the two do not use the same transport.
 */
export const GROVE_TLS_EPMD_EXTRA = Buffer.from('grove tls');

/** A node as EPMD knows it. */
export interface EpmdNodeInfo {
  /** Name without host (`alice`). */
  name: string;
  /** Port its node listens on. */
  port: number;
  /** {@link NODE_TYPE_NORMAL} or {@link NODE_TYPE_HIDDEN}. */
  nodeType: number;
  /** 0 = TCP/IPv4. */
  protocol: number;
  highestVersion: number;
  lowestVersion: number;
  /** Opaque bytes the node registered ({@link GROVE_EPMD_EXTRA} for Grove nodes, {@link GROVE_TLS_EPMD_EXTRA} with TLS). */
  extra: Buffer;
}

/** Where the port mapper is. */
export interface EpmdAddress {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default {@link epmdPort}(). */
  port?: number;
  /** Default {@link DEFAULT_EPMD_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * The EPMD port: `port` if given, else `GROVE_EPMD_PORT`, else `ERL_EPMD_PORT`, else 4369.
 *
 * @throws RangeError when the chosen value is not a port number.
 */
export function epmdPort(port?: number, env: NodeJS.ProcessEnv = process.env): number {
  const [value, from] =
    port !== undefined
      ? [String(port), 'the port option']
      : env['GROVE_EPMD_PORT'] !== undefined && env['GROVE_EPMD_PORT'] !== ''
        ? [env['GROVE_EPMD_PORT'], 'GROVE_EPMD_PORT']
        : env['ERL_EPMD_PORT'] !== undefined && env['ERL_EPMD_PORT'] !== ''
          ? [env['ERL_EPMD_PORT'], 'ERL_EPMD_PORT']
          : [String(DEFAULT_EPMD_PORT), 'the default'];
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 65535) throw new RangeError(`EPMD port from ${from} must be 1..65535, got ${JSON.stringify(value)}`);
  return n;
}

/** Checks an EPMD name (the part of a node name before `@`). @internal */
export function checkEpmdName(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0 || bytes.length > 255 || name.includes('@')) {
    throw new RangeError(`EPMD name must be 1..255 bytes without @ (the node name's alive part), got ${JSON.stringify(name)}`);
  }
  return bytes;
}

/** `[u16 length][body]`. @internal */
export function epmdRequest(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

/** The node fields shared by ALIVE2_REQ and PORT2_RESP, from `port` on (what a port mapper answers a lookup with, after its two-byte header). */
export function encodeNodeInfo(info: EpmdNodeInfo): Buffer {
  const name = checkEpmdName(info.name);
  const out = Buffer.allocUnsafe(2 + 1 + 1 + 2 + 2 + 2 + name.length + 2 + info.extra.length);
  let o = out.writeUInt16BE(info.port, 0);
  o = out.writeUInt8(info.nodeType, o);
  o = out.writeUInt8(info.protocol, o);
  o = out.writeUInt16BE(info.highestVersion, o);
  o = out.writeUInt16BE(info.lowestVersion, o);
  o = out.writeUInt16BE(name.length, o);
  o += name.copy(out, o);
  o = out.writeUInt16BE(info.extra.length, o);
  info.extra.copy(out, o);
  return out;
}

/** Parses the fields {@link encodeNodeInfo} writes; `undefined` when truncated. @internal */
export function decodeNodeInfo(buf: Buffer, off: number): EpmdNodeInfo | undefined {
  if (buf.length < off + 10) return undefined;
  const nlen = buf.readUInt16BE(off + 8);
  if (buf.length < off + 10 + nlen + 2) return undefined;
  const elen = buf.readUInt16BE(off + 10 + nlen);
  if (buf.length < off + 12 + nlen + elen) return undefined;
  return {
    port: buf.readUInt16BE(off),
    nodeType: buf[off + 2]!,
    protocol: buf[off + 3]!,
    highestVersion: buf.readUInt16BE(off + 4),
    lowestVersion: buf.readUInt16BE(off + 6),
    name: buf.toString('utf8', off + 10, off + 10 + nlen),
    extra: Buffer.from(buf.subarray(off + 12 + nlen, off + 12 + nlen + elen)),
  };
}

function target(addr: EpmdAddress): { host: string; port: number; timeoutMs: number } {
  return { host: addr.host ?? '127.0.0.1', port: epmdPort(addr.port), timeoutMs: addr.timeoutMs ?? DEFAULT_EPMD_TIMEOUT_MS };
}

/**
 * Sends one request and collects everything EPMD answers until it closes, or until
 * `complete` says the answer so far is whole (then the socket is closed at once,
 * without waiting for the port mapper's close to travel back).
 */
function request(addr: EpmdAddress, body: Buffer, complete?: (answer: Buffer) => boolean): Promise<Buffer> {
  const { host, port, timeoutMs } = target(addr);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new EpmdError(`port mapper at ${host}:${port} did not answer within ${timeoutMs} ms`, 'unreachable'));
    }, timeoutMs);
    socket.on('connect', () => socket.write(epmdRequest(body)));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (complete === undefined) return;
      const answer = chunks.length === 1 ? c : Buffer.concat(chunks);
      if (!complete(answer)) return;
      clearTimeout(timer);
      resolve(answer);
      // Closed once the caller has gone on (a lookup's caller dials the node first): closing takes a system call.
      setImmediate(() => socket.destroy());
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new EpmdError(`no port mapper at ${host}:${port}: ${err.message}`, 'unreachable', { cause: err }));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/**
 * Looks `name` (without host) up; `undefined` when it is not registered.
 *
 * @throws EpmdError when no port mapper answers or the answer is malformed.
 */
export async function portPlease(name: string, addr: EpmdAddress = {}): Promise<EpmdNodeInfo | undefined> {
  const body = Buffer.concat([Buffer.of(EPMD.PORT_PLEASE2_REQ), checkEpmdName(name)]);
  const answer = await request(addr, body, port2Complete);
  if (answer.length < 2 || answer[0] !== EPMD.PORT2_RESP) {
    throw new EpmdError(`bad PORT2_RESP from the port mapper at ${describeAddr(addr)} (${answer.length} bytes)`, 'protocol');
  }
  if (answer[1] !== 0) return undefined;
  const info = decodeNodeInfo(answer, 2);
  if (info === undefined) throw new EpmdError(`truncated PORT2_RESP from the port mapper at ${describeAddr(addr)}`, 'protocol');
  return info;
}

/** A PORT2_RESP is whole: an error code, or the node's fields to their end (anything else is judged whole, then refused). */
function port2Complete(answer: Buffer): boolean {
  if (answer.length < 2) return answer[0] !== EPMD.PORT2_RESP;
  return answer[0] !== EPMD.PORT2_RESP || answer[1] !== 0 || decodeNodeInfo(answer, 2) !== undefined;
}

/** What NAMES_REQ answers. */
export interface EpmdNames {
  /** The port the port mapper says it listens on. */
  epmdPort: number;
  nodes: Array<{ name: string; port: number }>;
}

/**
 * Lists the registered names (Erlang's `net_adm:names/0`).
 *
 * @throws EpmdError when no port mapper answers or the answer is malformed.
 */
export async function names(addr: EpmdAddress = {}): Promise<EpmdNames> {
  const answer = await request(addr, Buffer.of(EPMD.NAMES_REQ));
  if (answer.length < 4) throw new EpmdError(`bad NAMES_RESP from the port mapper at ${describeAddr(addr)} (${answer.length} bytes)`, 'protocol');
  const nodes: Array<{ name: string; port: number }> = [];
  for (const line of answer.toString('utf8', 4).split('\n')) {
    if (line === '') continue;
    const m = /^name (.+) at port ([0-9]+)$/.exec(line);
    if (m === null) throw new EpmdError(`bad NAMES_RESP line ${JSON.stringify(line)} from ${describeAddr(addr)}`, 'protocol');
    nodes.push({ name: m[1]!, port: Number(m[2]) });
  }
  return { epmdPort: answer.readUInt32BE(0), nodes };
}

/** True when a port mapper answers a NAMES_REQ at `addr`. */
export async function probe(addr: EpmdAddress = {}): Promise<boolean> {
  try {
    await names(addr);
    return true;
  } catch {
    return false;
  }
}

function describeAddr(addr: EpmdAddress): string {
  const t = target(addr);
  return `${t.host}:${t.port}`;
}

/** A registration request: the name without host, and the port the node listens on. */
export interface RegisterRequest {
  name: string;
  port: number;
  /** Register as a hidden node (type 72). Default false. */
  hidden?: boolean;
  /** Default {@link GROVE_EPMD_EXTRA}. */
  extra?: Buffer;
  /** Default 6, as OTP 25+ registers (EPMD then answers with a 32-bit creation). */
  highestVersion?: number;
  /** Default 6. */
  lowestVersion?: number;
}

/**
 * A live registration: its connection to the port mapper stays open, and the name
 * stays registered, until `close()` or until the port mapper goes away.
 */
export class EpmdRegistration {
  /** Settles when the registration connection closes; `unexpected` unless `close()` did it. */
  readonly closed: Promise<{ unexpected: boolean }>;
  private closing = false;
  private isOpen = true;

  /** @internal */
  constructor(
    /** The registered name (without host). */
    readonly name: string,
    /** The node's creation (incarnation) number that EPMD handed out. */
    readonly creation: number,
    private readonly socket: net.Socket,
  ) {
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isOpen = false;
        resolve({ unexpected: !this.closing });
      });
    });
  }

  /** True until the registration connection closed. */
  get open(): boolean {
    return this.isOpen;
  }

  /** Unregisters: closes the registration connection. */
  close(): void {
    this.closing = true;
    this.socket.destroy();
  }
}

/**
 * Registers a node (ALIVE2_REQ) and keeps the registration connection open.
 *
 * @throws EpmdError `refused` when the port mapper refuses (the name is taken),
 *   `unreachable` when none answers, `protocol` on a malformed answer.
 */
export async function register(req: RegisterRequest, addr: EpmdAddress = {}): Promise<EpmdRegistration> {
  const { host, port, timeoutMs } = target(addr);
  const body = Buffer.concat([
    Buffer.of(EPMD.ALIVE2_REQ),
    encodeNodeInfo({
      name: req.name,
      port: req.port,
      nodeType: req.hidden === true ? NODE_TYPE_HIDDEN : NODE_TYPE_NORMAL,
      protocol: 0,
      highestVersion: req.highestVersion ?? 6,
      lowestVersion: req.lowestVersion ?? 6,
      extra: req.extra ?? GROVE_EPMD_EXTRA,
    }),
  ]);
  return new Promise((resolve, reject) => {
    let answer = Buffer.alloc(0);
    let settled = false;
    const socket = net.connect({ host, port });
    const fail = (err: EpmdError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new EpmdError(`port mapper at ${host}:${port} did not answer ALIVE2_REQ within ${timeoutMs} ms`, 'unreachable')), timeoutMs);
    socket.on('connect', () => socket.write(epmdRequest(body)));
    socket.on('error', (err) => fail(new EpmdError(`no port mapper at ${host}:${port}: ${err.message}`, 'unreachable', { cause: err })));
    socket.on('close', () => fail(new EpmdError(`port mapper at ${host}:${port} closed the connection before answering ALIVE2_REQ for ${JSON.stringify(req.name)}`, 'closed')));
    socket.on('data', (chunk: Buffer) => {
      if (settled) return; // nothing more is expected on a registration connection
      answer = Buffer.concat([answer, chunk]);
      const tag = answer[0];
      const need = tag === EPMD.ALIVE2_X_RESP ? 6 : tag === EPMD.ALIVE2_RESP ? 4 : -1;
      if (need < 0) return fail(new EpmdError(`bad answer to ALIVE2_REQ from ${host}:${port} (tag ${tag})`, 'protocol'));
      if (answer.length < need) return;
      if (answer[1] !== 0) {
        return fail(new EpmdError(`port mapper at ${host}:${port} refused to register ${JSON.stringify(req.name)} (result ${answer[1]}): the name is taken`, 'refused'));
      }
      settled = true;
      clearTimeout(timer);
      socket.setKeepAlive(true);
      const creation = need === 6 ? answer.readUInt32BE(2) : answer.readUInt16BE(2);
      resolve(new EpmdRegistration(req.name, creation, socket));
    });
  });
}
