/**
 * Node names, as Erlang spells them: `alive@host`.
 *
 * A short name (`erl -sname`) has a host without dots (`alice@box`); a long name
 * (`erl -name`) has a fully qualified host or an IP address (`alice@box.example.com`,
 * `alice@10.0.0.5`, `alice@::1`). As in Erlang, a node with a short name and a node
 * with a long name do not talk to each other: the handshake refuses the mix.
 *
 * The `alive` part is what the port mapper registers (EPMD knows names without host).
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { BadNodeNameError } from '../errors';

/** Erlang's limit on a node name, in bytes. */
export const MAX_NODE_NAME_BYTES = 255;

/** `short` (`alice@box`) or `long` (`alice@box.example.com`, `alice@10.0.0.5`). */
export type NodeNameKind = 'short' | 'long';

/** A parsed, validated node name. */
export interface NodeName {
  /** The part before `@`: what EPMD registers. */
  readonly alive: string;
  /** The part after `@`. */
  readonly host: string;
  /** `alive@host`. */
  readonly full: string;
  readonly kind: NodeNameKind;
}

const ALIVE = /^[A-Za-z0-9_-]+$/;
const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/**
 * Parses and validates `alive@host`. With `kind`, also checks the name is of that
 * kind (Erlang's `-sname` versus `-name`).
 *
 * @throws BadNodeNameError with what is wrong.
 */
export function parseNodeName(name: unknown, kind?: NodeNameKind): NodeName {
  if (typeof name !== 'string') throw new BadNodeNameError(name, 'a node name is a string');
  if (Buffer.byteLength(name) > MAX_NODE_NAME_BYTES) {
    throw new BadNodeNameError(name, `longer than ${MAX_NODE_NAME_BYTES} bytes`);
  }
  const at = name.indexOf('@');
  if (at < 0 || name.indexOf('@', at + 1) >= 0) throw new BadNodeNameError(name, 'must be alive@host with exactly one @');
  const alive = name.slice(0, at);
  const host = name.slice(at + 1);
  checkAlive(name, alive);
  const actual = hostKind(name, host);
  if (kind !== undefined && kind !== actual) {
    throw new BadNodeNameError(
      name,
      kind === 'short'
        ? 'a short name has a host without dots (alice@box)'
        : 'a long name has a fully qualified host or an IP address (alice@box.example.com, alice@10.0.0.5)',
    );
  }
  return { alive, host, full: name, kind: actual };
}

/** True when `name` is a valid node name (of `kind`, if given). */
export function isNodeName(name: unknown, kind?: NodeNameKind): name is string {
  try {
    parseNodeName(name, kind);
    return true;
  } catch {
    return false;
  }
}

/** The kind of a valid node name. @throws BadNodeNameError */
export function nodeNameKind(name: string): NodeNameKind {
  return parseNodeName(name).kind;
}

/**
 * `alive@host` from its parts, validated. Without `host`, the local host name: the
 * first label of the machine's host name for a short name (as `erl -sname` does), or
 * the full host name for a long name (which must then contain a dot).
 */
export function makeNodeName(alive: string, host?: string, kind: NodeNameKind = 'short'): string {
  const h = host ?? localHostName(kind);
  return parseNodeName(`${alive}@${h}`, host === undefined ? kind : undefined).full;
}

/** This machine's host name, cut to its first label for short names. */
export function localHostName(kind: NodeNameKind = 'short'): string {
  const h = hostname();
  return kind === 'short' ? h.split('.')[0]! : h;
}

/** The `alive` part of a valid node name (what EPMD registers). */
export function aliveOf(name: string): string {
  return parseNodeName(name).alive;
}

/** The host part of a valid node name. */
export function hostOf(name: string): string {
  return parseNodeName(name).host;
}

function checkAlive(name: string, alive: string): void {
  if (alive.length === 0) throw new BadNodeNameError(name, 'the part before @ is empty');
  if (!ALIVE.test(alive)) {
    throw new BadNodeNameError(name, `the part before @ (${JSON.stringify(alive)}) may hold only letters, digits, _ and -`);
  }
}

function hostKind(name: string, host: string): NodeNameKind {
  if (host.length === 0) throw new BadNodeNameError(name, 'the host after @ is empty');
  if (isIP(host) !== 0) return 'long';
  const labels = host.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) {
      throw new BadNodeNameError(name, `host ${JSON.stringify(host)} is not a host name or an IP address`);
    }
  }
  // A dotted-decimal string that is not a valid IPv4 address (999.1.1.1) is a typo, not a host.
  if (labels.every((l) => /^[0-9]+$/.test(l))) throw new BadNodeNameError(name, `host ${JSON.stringify(host)} is not a valid IP address`);
  return labels.length > 1 ? 'long' : 'short';
}
