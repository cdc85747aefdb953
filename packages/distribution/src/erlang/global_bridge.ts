/**
 * OTP 25 `global`'s protocol (version 8) on connections to BEAM nodes, so that a
 * visible Grove node takes part in the global of the BEAM nodes it is connected to,
 * and names registered on either kind of node are seen on both. Grove-to-Grove
 * global keeps its own protocol (global/); this adapter feeds the same name table
 * and lock table (global/name_server.ts).
 *
 * OTP's connect protocol, as this node plays it with a BEAM peer A (G is this node):
 * 1. Each side's nodeup: `{init_connect, {8, Tag}, Node, {locker, _, Known, Locker}}`
 *    cast to the other's `global_name_server`; each answers the other's with
 *    `{init_connect_ack, Node, HisTag, MyTag}`.
 * 2. A's locker sets the lock `{global, [LockerA, LockerG]}` on the nodes of both
 *    partitions (calls `{set_lock, Id}` here), then casts `{lock_set, LockerA, true,
 *    Known, TagG}`. G sets the same lock on itself and answers `{lock_set, LockerG,
 *    true, Known, TagA}` (G never starts the locking: the BEAM side's locker always does).
 * 3. Both sides cast `{exchange, Node, Names, NamesExt, HisTag}`; each resolves the
 *    other's names against its own (the node with the smaller name decides clashes,
 *    running the holder's resolve method on the holder's node) and casts
 *    `{resolved, Node, ResolvedOps, Known, unused, NamesExt, HisTag}`.
 * 4. Each applies its own ops and the other's, marks the node synced (so
 *    `global:sync()` returns), tells the nodes it knew of the new ones
 *    (`{new_nodes, ...}`), and those tell it they are in sync (`{in_sync, Node, true}`).
 *
 * Afterwards the BEAM side's registrar locks `global` here and calls `{register,
 * Name, Pid, Method}` / `{unregister, Name}` (answered here), and Grove's registrar
 * (global.ts) does the same on the BEAM nodes this node knows ({@link otpAsk}).
 *
 * Names: an Erlang atom is a Grove string, a tuple an array, integers, pids, `true`,
 * `false`, `undefined` and `nil` (null) as themselves. Names of any other term (a
 * binary, a list, a map, a float) stay on the BEAM side, and a Grove name with no
 * such form (a plain object, a string longer than 255 characters) on the Grove side.
 *
 * Every message from a BEAM peer's global is untrusted: one of an unexpected shape is
 * logged at debug and ignored; a call of an unexpected shape is not answered (as OTP).
 *
 * @internal
 */
import { call, formatTerm, getLogger, isPid, Pid, type Node, type ProcessContext, type TimeoutMs } from '@grove/core';
import type { NetKernel } from '../node/net_kernel';
import type { GlobalRequest, NameRecord } from '../global/protocol';
import type { BeamPeers, LostConnectionMessage, RemoveConnectionMessage } from '../global/partitions';
import type { RpcReply } from '../rpc/rex';
import { runResolve, type ResolveFn } from '../global/resolve';
import { compareTerms } from './term_order';
import { atom, Atom, ErlangFun, isAtom, isWellFormed, MAX_ATOM_CHARS, Tuple, tuple } from './terms';
import { tupleOf } from './dist_terms';

const log = getLogger('dist');
/** OTP 25's global protocol version. */
const VSN = 8;
const GLOBAL_NAME_SERVER = 'global_name_server';

/** What the adapter needs of its name server. */
export interface OtpGlobalHost {
  readonly ctx: ProcessContext;
  readonly kernel: NetKernel;
  /** The record held for `name` (exited local holders included: OTP compares raw entries). */
  entry(name: unknown): NameRecord | undefined;
  records(): NameRecord[];
  insertRecord(rec: NameRecord): void;
  removeName(name: unknown): void;
  /** OTP's set_lock for `pid` (no nesting: a holder holds once); false when another requester holds it. */
  setLockFor(resource: string, requester: string, pid: Pid, watch: boolean): boolean;
  delLockFor(resource: string, requester: string, pid: Pid): void;
  /** The function a record's method names on this node, if any. */
  methodHere(rec: NameRecord): ResolveFn | undefined;
  /** A BEAM node is now synced with this one. */
  onSynced(): void;
  /** OTP's `lost_connection` and `remove_connection` (global/partitions.ts). */
  lostConnection(m: LostConnectionMessage): void;
  removeConnection(m: RemoveConnectionMessage): void;
}

/** One connection's run of the connect protocol (OTP's process dictionary entries for Node). */
interface Connect {
  readonly myTag: number;
  hisTag?: unknown;
  hisVsn?: number;
  /** The lock id set for this merge, once set here. */
  lockId?: Tuple;
  lockKey?: string;
  /** This side is resolving the peer's names (a repeated `exchange` is ignored). */
  resolving?: boolean;
  /** The peer's names when they came before the lock was set on this side. */
  early?: readonly unknown[];
  /** This side's resolution: ops to apply here, and the ops for the peer. */
  ops?: { here: Op[]; his: unknown[] };
  /** The peer's `resolved` when it came before this side's resolution. */
  his?: { resolved: unknown[]; known: unknown[] };
}

/** A change to the table in OTP's shape, already checked. */
type Op = { readonly insert: { name: unknown; pid: Pid; method: unknown } } | { readonly delete: unknown };

const BUILTINS = ['random_exit_name', 'random_notify_name', 'notify_all_name'];
const builtinFuns = new Map<string, ErlangFun>();
/** Each node's adapter (the one of its running name server). */
const bridges = new WeakMap<Node, OtpGlobal>();

/** `fun global:F/3` (EXPORT_EXT) for one of global's built-in resolve methods. */
function builtinFun(name: string): ErlangFun {
  let f = builtinFuns.get(name);
  if (f === undefined) {
    const m = Buffer.from('global', 'latin1');
    const n = Buffer.from(name, 'latin1');
    const bytes = Buffer.concat([Buffer.from([113, 119, m.length]), m, Buffer.from([119, n.length]), n, Buffer.from([97, 3])]);
    builtinFuns.set(name, (f = new ErlangFun(bytes, { module: 'global', function: name, arity: 3 })));
  }
  return f;
}

// ---- names across the boundary ----

const NOT_SHARED = Symbol('not shared');

/** An Erlang global name as Grove's (atom → string, tuple → array), or NOT_SHARED. */
function nameFrom(t: unknown): unknown {
  if (t instanceof Atom) return t.name.startsWith('\u0000') ? NOT_SHARED : t.name;
  if (typeof t === 'number') return Number.isSafeInteger(t) ? t : NOT_SHARED;
  if (typeof t === 'bigint' || typeof t === 'boolean' || t === null || t === undefined || t instanceof Pid) return t;
  if (t instanceof Tuple) {
    const out: unknown[] = [];
    for (const e of t.elements) {
      const v = nameFrom(e);
      if (v === NOT_SHARED) return NOT_SHARED;
      out.push(v);
    }
    return out;
  }
  return NOT_SHARED;
}

/** A Grove global name as Erlang's (string → atom, array → tuple), or NOT_SHARED. */
export function nameToErlang(n: unknown): unknown {
  if (typeof n === 'string') return n.length <= MAX_ATOM_CHARS && [...n].length <= MAX_ATOM_CHARS && isWellFormed(n) && !n.startsWith('\u0000') ? atom(n) : NOT_SHARED;
  if (typeof n === 'number') return Number.isSafeInteger(n) ? n : NOT_SHARED;
  if (typeof n === 'bigint' || typeof n === 'boolean' || n === null || n === undefined || n instanceof Pid) return n;
  if (Array.isArray(n)) {
    const out: unknown[] = [];
    for (const e of n) {
      const v = nameToErlang(e);
      if (v === NOT_SHARED) return NOT_SHARED;
      out.push(v);
    }
    return new Tuple(out);
  }
  return NOT_SHARED;
}

/** True when Grove name `n` has an Erlang form (is shared with BEAM nodes). */
export function sharedName(n: unknown): boolean {
  return nameToErlang(n) !== NOT_SHARED;
}

/**
 * A lock resource key of Grove's (a string: a name's canonical key) as an Erlang term:
 * a plain key is an atom (so Grove's `'global'` is OTP's `global`, and a Grove lock on
 * `'db'` excludes an Erlang one on `db`), any other a binary.
 */
function resourceTermOf(key: string): unknown {
  return nameToErlang(key) !== NOT_SHARED ? atom(key) : key;
}

/** An Erlang lock resource as a key of Grove's lock table (an atom is its name, as a Grove string). */
function resourceKeyOf(t: unknown): string {
  const n = nameFrom(t);
  return typeof n === 'string' ? n : `\u0000otp ${termText(t)}`;
}

/**
 * An Erlang lock requester id as a key of Grove's lock table: its own key space, so a
 * Grove requester and an Erlang one never share a lock. (Grove's requester ids go to
 * a BEAM node as binaries: a registration's id is new each time, and atoms are never
 * collected there.)
 */
function requesterKeyOf(t: unknown): string {
  // A locker pair's id is a sorted list of pids: key it whatever the order.
  if (Array.isArray(t) && t.every((e) => e instanceof Pid)) return `\u0000otp [${t.map(termText).sort().join(',')}]`;
  return `\u0000otp ${termText(t)}`;
}

/** A deterministic text for any Erlang term (pids with their node and creation). */
function termText(t: unknown): string {
  if (t instanceof Pid) return `<${t.node}.${t.id}.${t.serial}.${t.creation}>`;
  if (t instanceof Tuple) return `{${t.elements.map(termText).join(',')}}`;
  if (Array.isArray(t)) return `[${t.map(termText).join(',')}]`;
  if (typeof t === 'string') return JSON.stringify(t);
  if (typeof t === 'bigint') return `${t}n`;
  return formatTerm(t);
}

/** The Grove method recorded for an Erlang resolve method: global's built-ins by name; any other fun runs as random_exit_name here. */
function methodFrom(fun: unknown): string {
  const mfa = fun instanceof ErlangFun ? fun.mfa : undefined;
  if (mfa !== undefined && mfa.module === 'global' && mfa.arity === 3 && BUILTINS.includes(mfa.function)) return mfa.function;
  return 'random_exit_name';
}

function isNode(n: unknown): n is Atom {
  return n instanceof Atom && n.name.includes('@');
}

// ---- the adapter ----

/** One name server's part in OTP global with BEAM peers. @internal */
export class OtpGlobal {
  private readonly connects = new Map<string, Connect>();
  /** `init_connect`s that came before the nodeup. */
  private readonly early = new Map<string, Tuple>();
  /** BEAM nodes in this node's global (OTP's `known`), with their protocol version. */
  private readonly known = new Map<string, number>();
  private readonly synced = new Set<string>();
  /** Erlang resolve methods of names registered on BEAM nodes: name key + pid key → fun. */
  private readonly funs = new Map<string, unknown>();
  private tags = 0;

  constructor(private readonly host: OtpGlobalHost) {
    bridges.set(host.ctx.node, this);
  }

  private get me(): string {
    return this.host.ctx.node.name;
  }

  /** The BEAM nodes this node's global knows (registrations lock and change them too). */
  knownNodes(): string[] {
    return [...this.known.keys()].filter((n) => this.host.kernel.isErlang(n));
  }

  /** The BEAM nodes prevention of overlapping partitions tells (OTP: the known ones, and those connecting). */
  partitionPeers(): BeamPeers {
    return {
      nodes: () => [...new Set([...this.known.keys(), ...this.connects.keys()])].filter((n) => this.host.kernel.isErlang(n)),
      send: (peer, m) =>
        this.send(peer, m.type === 'global.lost_connection' ? tuple(atom('lost_connection'), atom(m.node), m.creation, m.opId, atom(m.lost)) : tuple(atom('remove_connection'), atom(m.node))),
    };
  }

  /** True when BEAM node `n` has synced with this one. */
  isSynced(n: string): boolean {
    return this.synced.has(n);
  }

  /** The Erlang resolve method to send for `rec`: the BEAM one it came with, or a built-in of global's. */
  methodTerm(rec: NameRecord): unknown {
    return this.funs.get(funKey(rec)) ?? builtinFun(BUILTINS.includes(rec.method) ? rec.method : 'random_exit_name');
  }

  // ---- membership ----

  nodeUp(peer: string): void {
    if (this.known.has(peer) || this.connects.has(peer)) return;
    const c: Connect = { myTag: ++this.tags };
    this.connects.set(peer, c);
    this.cast(peer, tuple(atom('init_connect'), tuple(VSN, c.myTag), atom(this.me), tuple(atom('locker'), atom('no_longer_a_pid'), [], this.host.ctx.self)));
    const early = this.early.get(peer);
    if (early !== undefined) {
      this.early.delete(peer);
      this.onCast(early);
    }
  }

  nodeDown(peer: string): void {
    this.dropConnect(peer);
    this.early.delete(peer);
    this.known.delete(peer);
    this.synced.delete(peer);
  }

  // ---- what a BEAM peer's global sends ----

  /** A `gen_server:cast` to this node's global_name_server. */
  onCast(msg: Tuple): void {
    try {
      if (!this.castIn(msg)) this.ignore('cast', msg);
    } catch (e) {
      this.ignore('cast', msg, e);
    }
  }

  /** A plain message to this node's global_name_server. */
  info(msg: Tuple): void {
    try {
      if (!this.infoIn(msg)) this.ignore('message', msg);
    } catch (e) {
      this.ignore('message', msg, e);
    }
  }

  /** A `gen_server:call`: the reply, or undefined for none (a malformed call is not answered, as OTP). */
  call(req: Tuple, from: Pid): unknown {
    try {
      const r = this.callIn(req, from);
      if (r === undefined) this.ignore('call', req);
      return r;
    } catch (e) {
      this.ignore('call', req, e);
      return undefined;
    }
  }

  private ignore(what: string, msg: unknown, e?: unknown): void {
    log.debug(`global at ${this.me}: ignored a ${what} from a BEAM node: ${formatTerm(msg)}${e !== undefined ? ` (${e instanceof Error ? e.message : formatTerm(e)})` : ''}`);
  }

  private castIn(msg: Tuple): boolean {
    const t = msg.elements;
    const tag = t[0];
    if (!(tag instanceof Atom)) return false;
    switch (tag.name) {
      case 'init_connect': {
        const vsn = tupleOf(t[1]);
        const locker = tupleOf(t[3], 4);
        if (t.length !== 4 || !isNode(t[2]) || vsn === undefined || vsn.length < 2 || typeof vsn[0] !== 'number' || locker === undefined || !(locker[3] instanceof Pid)) return false;
        if (locker[3].node !== t[2].name) return false;
        this.initConnect(t[2].name, vsn[0], vsn[1], msg);
        return true;
      }
      case 'lock_set': {
        const p = t[1];
        if (t.length !== 5 || !(p instanceof Pid) || typeof t[2] !== 'boolean') return false;
        this.lockSet(p, t[2], t[4]);
        return true;
      }
      case 'exchange': {
        if (t.length !== 5 || !isNode(t[1]) || !Array.isArray(t[2])) return false;
        const c = this.current(t[1].name, t[4]);
        if (c === undefined) return true;
        if (c.lockId === undefined) c.early = t[2];
        else this.exchange(t[1].name, c, t[2]);
        return true;
      }
      case 'resolved': {
        if (t.length !== 7 || !isNode(t[1]) || !Array.isArray(t[2]) || !Array.isArray(t[3])) return false;
        const c = this.current(t[1].name, t[6]);
        if (c === undefined) return true;
        c.his = { resolved: t[2], known: t[3] };
        if (c.ops !== undefined) this.resolved(t[1].name, c);
        return true;
      }
      case 'new_nodes': {
        if (t.length !== 6 || !isNode(t[1]) || !Array.isArray(t[2]) || !Array.isArray(t[4])) return false;
        const added = this.addKnown(t[4]);
        this.syncOthers(added);
        this.doOps(parseOps(t[2]));
        return true;
      }
      case 'in_sync': {
        if (t.length !== 3 || !isNode(t[1])) return false;
        const n = t[1].name;
        this.synced.add(n);
        this.dropConnect(n);
        this.host.onSynced();
        return true;
      }
      case 'async_del_name':
      case 'async_del_lock':
        return true;
      default:
        return false;
    }
  }

  private infoIn(msg: Tuple): boolean {
    const t = msg.elements;
    const tag = t[0];
    if (!(tag instanceof Atom)) return false;
    switch (tag.name) {
      case 'init_connect_ack': {
        if (t.length !== 4 || !isNode(t[1])) return false;
        const c = this.connects.get(t[1].name);
        // The peer saw other tags than this side's: start over (OTP's restart_connect).
        if (c !== undefined && c.hisTag !== undefined && !(sameTerm(t[2], c.myTag) && sameTerm(t[3], c.hisTag))) {
          this.send(t[1].name, tuple(atom('cancel_connect'), atom(this.me), t[3]));
          this.restart(t[1].name);
        }
        return true;
      }
      case 'cancel_connect': {
        if (t.length !== 3 || !isNode(t[1])) return false;
        const c = this.connects.get(t[1].name);
        if (c !== undefined && sameTerm(t[2], c.myTag)) this.restart(t[1].name);
        return true;
      }
      case 'lost_connection': {
        const [, a, creation, opId, b] = t;
        if (t.length !== 5 || !isNode(a) || !isNode(b) || !isInteger(creation) || !isInteger(opId)) return false;
        this.host.lostConnection({ type: 'global.lost_connection', node: a.name, creation, opId, lost: b.name });
        return true;
      }
      case 'remove_connection':
        if (t.length !== 2 || !isNode(t[1])) return false;
        this.host.removeConnection({ type: 'global.remove_connection', node: t[1].name });
        return true;
      default:
        return false;
    }
  }

  private callIn(req: Tuple, from: Pid): unknown {
    const t = req.elements;
    const tag = t[0];
    if (!(tag instanceof Atom)) return undefined;
    switch (tag.name) {
      case 'set_lock':
      case 'del_lock': {
        const id = tupleOf(t[1], 2);
        if (t.length !== 2 || id === undefined) return undefined;
        const resource = resourceKeyOf(id[0]);
        const requester = requesterKeyOf(id[1]);
        if (tag.name === 'set_lock') return this.host.setLockFor(resource, requester, from, true);
        this.host.delLockFor(resource, requester, from);
        return true;
      }
      case 'register':
      case 'register_ext': {
        if ((t.length !== 4 && t.length !== 6) || !(t[2] instanceof Pid)) return undefined;
        this.insert(t[1], t[2], t[3]);
        return atom('yes');
      }
      case 'unregister': {
        if (t.length !== 2) return undefined;
        const name = nameFrom(t[1]);
        if (name !== NOT_SHARED) this.host.removeName(name);
        return atom('ok');
      }
      case 'get_known':
        return this.knownList();
      case 'get_synced':
        return [...this.synced].map((n) => atom(n));
      case 'get_protocol_version':
        return VSN;
      default:
        return undefined;
    }
  }

  // ---- the connect protocol ----

  private initConnect(peer: string, hisVsn: number, hisTag: unknown, msg: Tuple): void {
    let c = this.connects.get(peer);
    if (c === undefined) {
      // Before this side's nodeup (or after the peer is known: then unused, as OTP).
      // Kept for connected nodes only, so a peer cannot grow the map with made-up names.
      if (!this.known.has(peer) && this.host.kernel.nodes('connected').includes(peer)) this.early.set(peer, msg);
      return;
    }
    if (c.hisTag !== undefined) {
      // A second init_connect: the peer started over; so does this side.
      this.send(peer, tuple(atom('cancel_connect'), atom(this.me), hisTag));
      this.restart(peer);
      c = this.connects.get(peer);
      if (c === undefined) return;
    }
    c.hisTag = hisTag;
    c.hisVsn = hisVsn;
    if (hisVsn >= VSN) this.send(peer, tuple(atom('init_connect_ack'), atom(this.me), hisTag, c.myTag));
  }

  /** The peer's locker set the merge lock on both partitions (this node included). */
  private lockSet(p: Pid, set: boolean, tag: unknown): void {
    const peer = p.node;
    const c = this.current(peer, tag);
    // Once set, a repeated lock_set changes nothing.
    if (c === undefined || !set || c.lockId !== undefined) return;
    if (c.hisTag === undefined) {
      // Its init_connect has not come: this side cannot take part yet (OTP's locker refuses).
      this.cast(peer, tuple(atom('lock_set'), this.host.ctx.self, false, [], 0));
      return;
    }
    const lockers = [this.host.ctx.self, p].sort((a, b) => compareTerms(a, b));
    const lockId = tuple(atom('global'), lockers);
    const key = requesterKeyOf(lockers);
    // This side's partition is this node: set the lock here too (the peer's locker has already).
    if (!this.host.setLockFor('global', key, this.host.ctx.self, false)) {
      this.cast(peer, tuple(atom('lock_set'), this.host.ctx.self, false, this.knownList(), c.hisTag));
      return;
    }
    c.lockId = lockId;
    c.lockKey = key;
    this.cast(peer, tuple(atom('lock_set'), this.host.ctx.self, true, this.knownList(), c.hisTag));
    this.cast(peer, tuple(atom('exchange'), atom(this.me), this.namesList(), [], c.hisTag));
    if (c.early !== undefined) {
      const names = c.early;
      c.early = undefined;
      this.exchange(peer, c, names);
    }
  }

  /** The peer's names: resolve clashes (this node decides when its name is the smaller), then answer `resolved`. */
  private exchange(peer: string, c: Connect, names: readonly unknown[]): void {
    if (c.resolving === true) return;
    c.resolving = true;
    void this.resolveNames(peer, names).then(
      (ops) => {
        if (this.connects.get(peer) !== c) return;
        c.ops = ops;
        this.cast(peer, tuple(atom('resolved'), atom(this.me), ops.his, this.knownList(), atom('unused'), [], c.hisTag));
        if (c.his !== undefined) this.resolved(peer, c);
      },
      (e) => this.ignore('exchange', names, e),
    );
  }

  private async resolveNames(peer: string, names: readonly unknown[]): Promise<{ here: Op[]; his: unknown[] }> {
    const here: Op[] = [];
    const his: unknown[] = [];
    for (const item of names) {
      const t = tupleOf(item, 3);
      if (t === undefined || !(t[1] instanceof Pid)) continue;
      const name = nameFrom(t[0]);
      if (name === NOT_SHARED) continue;
      const pid = t[1];
      const mine = this.host.entry(name);
      if (mine === undefined) {
        here.push({ insert: { name: t[0], pid, method: t[2] } });
        continue;
      }
      if (mine.pid.equals(pid) || !(this.me < peer)) continue;
      const winner = await this.resolveClash(name, pid, mine);
      if (winner === 'none') {
        here.push({ delete: t[0] });
        his.push(tuple(atom('delete'), t[0]));
      } else if (winner.equals(pid)) {
        here.push({ insert: { name: t[0], pid, method: t[2] } });
      } else {
        his.push(tuple(atom('insert'), tuple(t[0], mine.pid, this.methodTerm(mine))));
      }
    }
    return { here, his };
  }

  /** Runs the method of the name held here (`mine`) on its holder's node: OTP's `resolve_it`. */
  private async resolveClash(name: unknown, pid: Pid, mine: NameRecord): Promise<Pid | 'none'> {
    const holderNode = mine.pid.node;
    const fun = this.funs.get(funKey(mine));
    if (fun !== undefined && holderNode !== this.me && this.host.kernel.isErlang(holderNode)) {
      try {
        const req = { type: 'rpc.call', module: 'global', fn: 'resolve_it', args: [fun, nameToErlang(name), pid, mine.pid] };
        const r = (await call(this.host.ctx, ['rex', holderNode], req, 10_000)) as RpcReply;
        const v = 'ok' in r ? r.ok : undefined;
        if (isAtom(v, 'none')) return 'none';
        if (v instanceof Pid && (v.equals(pid) || v.equals(mine.pid))) return v;
        return isPid(v) ? 'none' : pid;
      } catch {
        return pid;
      }
    }
    const fn = this.host.methodHere(mine);
    if (fn === undefined) return pid;
    return runResolve(fn, name, pid, mine.pid, this.host.ctx.node);
  }

  /** Both resolutions are in: apply them, and the peer is synced (OTP's `resolved`). */
  private resolved(peer: string, c: Connect): void {
    const his = c.his!;
    const ops = [...c.ops!.here, ...parseOps(his.resolved)];
    const opsOut = ops.map(opTerm);
    const hisKnown = his.known;
    this.dropConnect(peer);
    const newNodes = [tuple(atom(peer), c.hisVsn ?? VSN), ...hisKnown];
    this.doOps(ops);
    for (const n of this.knownNodes()) {
      this.cast(n, tuple(atom('new_nodes'), atom(this.me), opsOut, [], newNodes, [tuple(atom('vsn'), c.hisVsn ?? VSN), tuple(atom('lock'), c.lockId!)]));
    }
    const others = this.addKnown(hisKnown);
    for (const n of others) this.dropConnect(n);
    this.syncOthers(others);
    this.known.set(peer, c.hisVsn ?? VSN);
    this.synced.add(peer);
    this.host.onSynced();
  }

  private restart(peer: string): void {
    this.dropConnect(peer);
    if (this.host.kernel.isErlang(peer)) this.nodeUp(peer);
  }

  /** Forgets a run of the connect protocol, releasing the lock this side set for it. */
  private dropConnect(peer: string): void {
    const c = this.connects.get(peer);
    if (c === undefined) return;
    this.connects.delete(peer);
    if (c.lockKey !== undefined) this.host.delLockFor('global', c.lockKey, this.host.ctx.self);
  }

  /** The run for `peer` whose tag (this side's) is `tag`. */
  private current(peer: string, tag: unknown): Connect | undefined {
    const c = this.connects.get(peer);
    return c !== undefined && sameTerm(tag, c.myTag) ? c : undefined;
  }

  /** Adds `[{Node, Vsn} | Node]` to the known BEAM nodes; the ones new to this node. */
  private addKnown(list: readonly unknown[]): string[] {
    const added: string[] = [];
    for (const e of list) {
      const nv = tupleOf(e, 2);
      const n = nv !== undefined ? nv[0] : e;
      const v = nv !== undefined && typeof nv[1] === 'number' ? nv[1] : 0;
      if (!isNode(n) || n.name === this.me || this.known.has(n.name)) continue;
      // A Grove node another node knows syncs with this one by Grove's own protocol.
      if (this.host.kernel.nodes('visible').includes(n.name) && !this.host.kernel.isErlang(n.name)) continue;
      this.known.set(n.name, v);
      added.push(n.name);
    }
    return added;
  }

  /** Connects to each (OTP's sync_others) and tells it this node is in sync. */
  private syncOthers(nodes: readonly string[]): void {
    for (const n of nodes) {
      void this.host.kernel.connect(n).then((up) => {
        if (!up) return void this.known.delete(n);
        if (!this.host.kernel.isErlang(n)) return void this.known.delete(n);
        this.cast(n, tuple(atom('in_sync'), atom(this.me), true));
      });
    }
  }

  private doOps(ops: readonly Op[]): void {
    for (const op of ops) {
      if ('insert' in op) this.insert(op.insert.name, op.insert.pid, op.insert.method);
      else {
        const name = nameFrom(op.delete);
        if (name !== NOT_SHARED) this.host.removeName(name);
      }
    }
  }

  /** A name from a BEAM node into this node's table (a name with no Grove form stays out). */
  private insert(erlName: unknown, pid: Pid, method: unknown): void {
    const name = nameFrom(erlName);
    if (name === NOT_SHARED) return;
    const rec: NameRecord = { name, pid, method: methodFrom(method) };
    this.host.insertRecord(rec);
    if (method instanceof ErlangFun && pid.node !== this.me) this.funs.set(funKey(rec), method);
  }

  /** A name left the table: forget its Erlang method. */
  forget(rec: NameRecord): void {
    if (this.funs.size > 0) this.funs.delete(funKey(rec));
  }

  private namesList(): unknown[] {
    const out: unknown[] = [];
    for (const rec of this.host.records()) {
      const n = nameToErlang(rec.name);
      if (n !== NOT_SHARED) out.push(tuple(n, rec.pid, this.methodTerm(rec)));
    }
    return out;
  }

  private knownList(): unknown[] {
    return [...this.known].map(([n, v]) => tuple(atom(n), v));
  }

  private cast(peer: string, msg: Tuple): void {
    this.send(peer, tuple(atom('$gen_cast'), msg));
  }

  /** Sends to a connected peer's global_name_server (never dialling it: OTP's `gns_volatile_send`). */
  private send(peer: string, msg: Tuple): void {
    if (!this.host.kernel.nodes('connected').includes(peer)) return;
    try {
      this.host.ctx.send([GLOBAL_NAME_SERVER, peer], msg);
    } catch (e) {
      log.debug(`global at ${this.me}: could not send to ${peer}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function funKey(rec: NameRecord): string {
  return `${termText(rec.name)} ${rec.pid.key}`;
}

/** OTP ops (`{insert, {Name, Pid, Method}}`, `{delete, Name}`); malformed ones are left out. */
function parseOps(list: readonly unknown[]): Op[] {
  const out: Op[] = [];
  for (const e of list) {
    const t = tupleOf(e, 2);
    if (t === undefined) continue;
    if (isAtom(t[0], 'insert')) {
      const r = tupleOf(t[1], 3);
      if (r !== undefined && r[1] instanceof Pid) out.push({ insert: { name: r[0], pid: r[1], method: r[2] } });
    } else if (isAtom(t[0], 'delete')) out.push({ delete: t[1] });
  }
  return out;
}

function opTerm(op: Op): Tuple {
  return 'insert' in op ? tuple(atom('insert'), tuple(op.insert.name, op.insert.pid, op.insert.method)) : tuple(atom('delete'), op.delete);
}

function isInteger(v: unknown): v is number | bigint {
  return Number.isSafeInteger(v) || typeof v === 'bigint';
}

function sameTerm(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'bigint' && typeof b === 'number' && a === BigInt(b)) || termText(a) === termText(b);
}

// ---- Grove's registrar and lock client on a BEAM node ----

/**
 * A request of Grove's global (protocol.ts) made of a BEAM node's global_name_server,
 * in OTP's shape: `set_lock`, `register`, `unregister`. The answer in Grove's shape.
 */
export async function otpAsk(caller: ProcessContext, peer: string, request: GlobalRequest, timeoutMs: TimeoutMs): Promise<unknown> {
  const bridge = bridges.get(caller.node);
  const methodTerm = (rec: NameRecord): unknown => (bridge !== undefined ? bridge.methodTerm(rec) : builtinFun(BUILTINS.includes(rec.method) ? rec.method : 'random_exit_name'));
  const dest: [string, string] = [GLOBAL_NAME_SERVER, peer];
  switch (request.type) {
    case 'global.set_lock': {
      const id = tuple(resourceTermOf(request.resource), request.requester);
      return (await call(caller, dest, tuple(atom('set_lock'), id), timeoutMs)) === true;
    }
    case 'global.register': {
      const rec = request.rec;
      const name = nameToErlang(rec.name);
      if (name === NOT_SHARED) return 'ok';
      await call(caller, dest, tuple(atom('register'), name, rec.pid, methodTerm(rec)), timeoutMs);
      return 'ok';
    }
    case 'global.unregister': {
      const name = nameToErlang(request.name);
      if (name === NOT_SHARED) return 'ok';
      await call(caller, dest, tuple(atom('unregister'), name), timeoutMs);
      return 'ok';
    }
    default:
      // Grove's sync requests never go to a BEAM node (it syncs by OTP's protocol).
      return undefined;
  }
}

/** OTP's del_lock on a BEAM node (a call there; not waited for). */
export function otpDelLock(caller: ProcessContext, peer: string, resource: string, requester: string): void {
  call(caller, [GLOBAL_NAME_SERVER, peer], tuple(atom('del_lock'), tuple(resourceTermOf(resource), requester)), 'infinity').catch(() => undefined);
}
