/**
 * How the node's system processes (`net_kernel`, `global_name_server`, `rex`) treat a
 * request they cannot take. Requests come from other nodes, so any term can arrive:
 * each server checks a request's shape before it acts on it, and a bad one is
 * answered with a {@link BadRequestError} at the caller (a {@link BadRequestReply},
 * core's ErrorReply) while the server goes on. A call whose reply address is not a
 * pid and a tag (any term can be sent as a `$gen_call`) cannot be answered: it is
 * logged and dropped, as OTP drops a reply it cannot send.
 *
 * Internal to the package, not part of its API.
 */
import { ErrorReply, getLogger, NO_REPLY, registerClass, type From, type NoReply } from '@grove/core';
import { BadRequestError } from '../errors';
import { isWirePid } from '../wire/term';
import { fieldText, isVarint } from '../wire/wire';

const log = getLogger('dist');

/** A refusal as a call's reply: the caller's `call` rejects with the {@link BadRequestError}. */
export class BadRequestReply extends ErrorReply {
  constructor(
    readonly server: string,
    readonly node: string,
    readonly detail: string,
  ) {
    super();
  }

  toError(): Error {
    return new BadRequestError(this.server, this.node, this.detail);
  }
}

registerClass(BadRequestReply, {
  name: 'grove.$bad_request',
  toTerm: (r) => [r.server, r.node, r.detail],
  // From a peer: any term; each field that is not a string is described, never trusted.
  fromTerm: (t) => {
    const [server, node, detail] = Array.isArray(t) ? (t as unknown[]) : [];
    return new BadRequestReply(text(server), text(node), text(detail));
  },
});

function text(v: unknown): string {
  return typeof v === 'string' ? v : fieldText(v);
}

/** True when `from` is an address a reply can go to: a pid with wire-sized fields and an integer tag. */
export function canReply(from: unknown): from is From {
  if (typeof from !== 'object' || from === null) return false;
  const f = from as { pid?: unknown; tag?: unknown };
  return isWirePid(f.pid) && isVarint(f.tag);
}

/**
 * What `server` (on `node`) answers a request it cannot take: the refusal, or, for a
 * call with no address to answer (`from` null for a message), nothing, logged.
 */
export function refuse(server: string, node: string, from: unknown, detail: string): BadRequestReply | NoReply {
  if (from !== null && canReply(from)) return new BadRequestReply(server, node, detail);
  log.warn(`${server} on ${node}: dropped a malformed ${from === null ? 'message' : 'call (no caller to answer)'}: ${detail}`);
  return NO_REPLY;
}

