/**
 * The fuzz targets: the four decoders a peer's bytes reach (frames, handshake
 * messages, terms, control batches). Each case builds an input from its own seeded
 * generator, mostly a mutation of a valid encoding, sometimes a crafted bomb or
 * plain noise, and feeds it to a fresh or a connection-long decoder.
 *
 * A case passes when the decoder returns, or refuses with its own clear error
 * (DecodeError, FrameTooLargeError, HandshakeGarbageError). It fails when anything
 * else is thrown (a TypeError, a RangeError from the stack, ...), when an unmutated
 * input does not decode to what was encoded, when a decoded object has a prototype
 * taken from the data or Object.prototype changed, or when it runs past the hang limit.
 * An encoder that refuses a generated value with a GroveError is "refused at the
 * sender", which is right for a value that cannot cross.
 */
import { GenCall, GenCast, GroveError, Pid, Ref } from '@grove/core';
import { DecodeError } from '@grove/distribution';
import {
  ControlDecoder,
  ControlEncoder,
  decodeHandshake,
  decodeTerm,
  encodeFrame,
  encodeHandshake,
  encodeTerm,
  FrameDecoder,
  FrameTooLargeError,
  HandshakeGarbageError,
  HandshakeStatus,
  type ControlMessage,
  type HandshakeMsg,
} from '@grove/distribution/internal';
import { termDiff } from '../../packages/distribution/test/term_support';
import { HOSTILE_NUMBERS, mutate, pid, reason, ref, term, termBomb, type Rng } from './generators';

/** What a case came to. */
export type Outcome = 'decoded' | 'refused' | 'refused at sender';

export interface Target {
  readonly name: string;
  /** Runs one case; throws a {@link FuzzFailure} (or anything) when it fails. */
  run(r: Rng): Outcome;
}

/** A failed case, with the input that made it fail. */
export class FuzzFailure extends Error {
  constructor(message: string, readonly input?: Uint8Array) {
    super(message);
  }
}

const HERE = { localNode: 'a@h', localCreation: 1 };
const local = (r: Rng): Pid => new Pid('a@h', r.int(100), 0, 1);

/** Runs `decode`; its own error class is a refusal, anything else a failure. */
function guarded<T>(input: Uint8Array, clear: (e: unknown) => boolean, decode: () => T): T | 'refused' {
  try {
    return decode();
  } catch (e) {
    if (clear(e)) return 'refused';
    throw new FuzzFailure(`threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`, input);
  }
}

/** The encoder's refusal of a value that cannot cross: a GroveError. */
function encoded<T>(encode: () => T): T | 'refused at sender' {
  try {
    return encode();
  } catch (e) {
    if (e instanceof GroveError) return 'refused at sender';
    throw new FuzzFailure(`the encoder threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
  }
}

// ---- the shape of decoded values ----

const ALLOWED_PROTOTYPES = new Set<unknown>([Object.prototype, null, Array.prototype, Map.prototype, Set.prototype, Date.prototype, Buffer.prototype, Uint8Array.prototype, Pid.prototype, Ref.prototype, GenCall.prototype, GenCast.prototype]);
for (const E of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) ALLOWED_PROTOTYPES.add(E.prototype);
const OBJECT_PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).join(',');

/** Fails when `v` holds an object whose prototype came from the data, or when Object.prototype changed. */
function checkShape(v: unknown, input: Uint8Array): void {
  const seen = new Set<object>();
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null || seen.has(x)) continue;
    seen.add(x);
    if (!ALLOWED_PROTOTYPES.has(Object.getPrototypeOf(x))) throw new FuzzFailure(`decoded an object with a foreign prototype (keys ${Object.keys(x).join(',')})`, input);
    if (x instanceof Map) for (const [k, val] of x) stack.push(k, val);
    else if (x instanceof Set) for (const k of x) stack.push(k);
    else if (!(x instanceof Uint8Array)) for (const k of Object.getOwnPropertyNames(x)) stack.push(Object.getOwnPropertyDescriptor(x, k)!.value);
  }
  if (Object.getOwnPropertyNames(Object.prototype).join(',') !== OBJECT_PROTOTYPE_KEYS) throw new FuzzFailure('Object.prototype changed', input);
}

// ---- terms ----

/** Bytes to splice into a mutation: another term's encoding (empty when the encoder refuses that term). */
function donor(r: Rng): Buffer {
  const bytes = encoded(() => encodeTerm(term(r)));
  return bytes === 'refused at sender' ? Buffer.alloc(0) : bytes;
}

export const termTarget: Target = {
  name: 'term',
  run(r) {
    if (r.chance(0.1)) {
      const bomb = termBomb(r);
      const v = guarded(bomb, (e) => e instanceof DecodeError, () => decodeTerm(bomb, HERE));
      if (v !== 'refused') checkShape(v, bomb);
      return v === 'refused' ? 'refused' : 'decoded';
    }
    const value = term(r);
    const bytes = encoded(() => encodeTerm(value));
    if (bytes === 'refused at sender') return bytes;
    const input = r.chance(0.8) ? mutate(r, bytes, donor(r)) : bytes;
    const v = guarded(input, (e) => e instanceof DecodeError, () => decodeTerm(input, HERE));
    if (v === 'refused') {
      if (input === bytes) throw new FuzzFailure('an encoding the encoder made was refused', input);
      return 'refused';
    }
    checkShape(v, input);
    if (input === bytes) {
      const diff = termDiff(value, v);
      if (diff !== null) throw new FuzzFailure(`decoded a different term: ${diff}`, input);
    }
    return 'decoded';
  },
};

// ---- control batches ----

function hostileTag(r: Rng): number {
  return r.chance(0.3) ? r.pick(HOSTILE_NUMBERS) : r.int(1_000_000);
}

function controlMessage(r: Rng): ControlMessage {
  const from = pid(r);
  const to = local(r);
  switch (r.int(12)) {
    case 0: return { type: 'send', from: r.chance(0.5) ? from : undefined, to, msg: term(r) };
    case 1: return { type: 'reg_send', from, to: r.pick(['kv', '__proto__', 'constructor', '', 'x'.repeat(300)]), msg: term(r) };
    case 2: return { type: 'link', from, to };
    case 3: return { type: 'unlink', from, to, id: hostileTag(r) };
    case 4: return { type: 'exit', from, to, reason: reason(r) };
    case 5: return { type: 'exit2', from, to, reason: reason(r) };
    case 6: return { type: 'monitor', from, to: r.chance(0.5) ? to : '__proto__', ref: ref(r) };
    case 7: return { type: 'monitor_exit', from: r.chance(0.5) ? from : 'constructor', to, ref: ref(r), reason: reason(r) };
    case 8: return { type: 'spawn_request', ref: ref(r), from, name: r.pick(['echo', '__proto__', 'toString']), args: [term(r), term(r)], link: r.chance(0.5), monitor: r.chance(0.5), options: r.chance(0.5) ? term(r) : undefined };
    case 9: return r.chance(0.5) ? { type: 'spawn_reply', ref: ref(r), to, link: false, monitor: true, pid: from, reason: undefined } : { type: 'spawn_reply', ref: ref(r), to, link: true, monitor: false, pid: undefined, reason: reason(r) };
    case 10: return { type: 'reply', to, tag: hostileTag(r), value: r.chance(0.5) ? term(r) : reason(r) };
    default: return { type: 'tick' };
  }
}

/** What an unmutated batch must decode to: the same types, tags and ids in the same order. */
function summary(m: ControlMessage): string {
  return m.type === 'reply' ? `reply#${m.tag}` : m.type === 'unlink' || m.type === 'unlink_ack' ? `${m.type}#${m.id}` : m.type;
}

/** One encoder and decoder per connection: a batch the decoder refuses ends the connection, and the next case gets new ones. */
let controlDecoder: ControlDecoder | null = null;
let controlEncoder: ControlEncoder | null = null;

export const controlTarget: Target = {
  name: 'control',
  run(r) {
    controlEncoder ??= new ControlEncoder();
    const enc = controlEncoder;
    const sent: ControlMessage[] = [];
    for (let n = 1 + r.int(4); n > 0; n--) {
      const m = controlMessage(r);
      if (encoded(() => enc.encode(m)) !== 'refused at sender') sent.push(m);
    }
    const batch = enc.take();
    if (sent.length === 0) return 'refused at sender';
    const mutated = r.chance(0.7);
    const input = mutated ? mutate(r, batch, r.chance(0.3) ? r.bytes(64) : undefined) : batch;
    // The encoder's atom cache is the decoder's mirror: a mutated batch desynchronises them, so both start over after one.
    if (mutated) controlEncoder = null;
    const dec = (controlDecoder ??= new ControlDecoder(HERE));
    const out = guarded(input, (e) => e instanceof DecodeError, () => dec.decodeAll(input));
    // A refused batch closes the connection: the next one starts with both caches empty.
    if (out === 'refused') controlEncoder = null;
    if (mutated || out === 'refused') controlDecoder = null;
    if (out === 'refused') {
      if (!mutated) throw new FuzzFailure('a batch the encoder made was refused', input);
      return 'refused';
    }
    for (const m of out) checkShape(m, input);
    if (!mutated) {
      const want = sent.map(summary).join(' ');
      const got = out.map(summary).join(' ');
      if (want !== got) throw new FuzzFailure(`decoded [${got}], sent [${want}]`, input);
    }
    return 'decoded';
  },
};

// ---- frames ----

export const frameTarget: Target = {
  name: 'frame',
  run(r) {
    const max = 1 << 16;
    // Now and then a frame at the maximum (one byte under, at, over): a short random pattern repeated.
    const payloads = Array.from({ length: 1 + r.int(6) }, () => (r.chance(0.05) ? Buffer.alloc(max + r.int(3) - 1, r.bytes(7)) : r.bytes(r.int(300))));
    let stream: Buffer = Buffer.concat(payloads.map((p) => encodeFrame(p)));
    const mutated = r.chance(0.4);
    if (mutated) stream = mutate(r, stream);
    const got: Buffer[] = [];
    let dec!: FrameDecoder;
    dec = new FrameDecoder((f) => {
      got.push(Buffer.from(f));
      if (r.chance(0.1)) {
        dec.pause();
        pausedAt = got.length;
      }
    }, { maxFrameBytes: max });
    let pausedAt = -1;
    const outcome = guarded(stream, (e) => e instanceof FrameTooLargeError, () => {
      // Chunks as a socket cuts them: tiny, typical, or whole.
      const most = r.pick([stream.length < 4096 ? 8 : 512, 4096, 1 << 17]);
      for (let at = 0; at < stream.length; ) {
        const len = 1 + r.int(most);
        dec.push(stream.subarray(at, at + len));
        at += len;
        while (pausedAt >= 0) {
          pausedAt = -1;
          dec.resume(); // may pause again from inside onFrame
        }
      }
      return 'decoded' as const;
    });
    if (outcome === 'refused') {
      if (!mutated && payloads.every((p) => p.length <= max)) throw new FuzzFailure('refused frames under the maximum', stream);
      return 'refused';
    }
    if (!mutated) {
      const tooBig = payloads.findIndex((p) => p.length > max);
      const want = tooBig < 0 ? payloads : payloads.slice(0, tooBig);
      if (tooBig >= 0) throw new FuzzFailure(`accepted a frame of ${payloads[tooBig]!.length} bytes over the maximum of ${max}`, stream);
      if (got.length !== want.length || got.some((g, i) => !g.equals(want[i]!))) throw new FuzzFailure(`delivered ${got.length} frames, sent ${want.length} (or their bytes differ)`, stream);
    }
    return 'decoded';
  },
};

// ---- handshake messages ----

function handshakeMessage(r: Rng): HandshakeMsg {
  const name = r.pick(['a@h', '', '__proto__@h', 'x'.repeat(300) + '@h', 'ünï@hôst']);
  const n = (): number => (r.chance(0.3) ? Math.abs(r.pick(HOSTILE_NUMBERS)) % 2 ** 32 | 0 : r.int(1000)) >>> 0;
  const challenge = (): Buffer => r.bytes(r.chance(0.8) ? 32 : r.int(64));
  switch (r.int(6)) {
    case 0: return { kind: 'name', name, versionMin: n(), versionMax: n(), flags: n(), creation: n(), hidden: r.chance(0.5) };
    case 1: return { kind: 'status', code: r.pick([HandshakeStatus.OK, HandshakeStatus.NOT_ALLOWED, 99 as HandshakeStatus]), reason: r.pick(['', 'no', 'x'.repeat(500)]) };
    case 2: return { kind: 'alive_answer', proceed: r.chance(0.5) };
    case 3: return { kind: 'challenge', name, version: n(), flags: n(), creation: n(), hidden: r.chance(0.5), challenge: challenge() };
    case 4: return { kind: 'reply', challenge: challenge(), digest: challenge() };
    default: return { kind: 'ack', digest: challenge() };
  }
}

export const handshakeTarget: Target = {
  name: 'handshake',
  run(r) {
    const msg = handshakeMessage(r);
    const bytes = encoded(() => Buffer.from(encodeHandshake(msg)));
    if (bytes === 'refused at sender') return bytes;
    const input = r.chance(0.1) ? r.bytes(r.int(64)) : r.chance(0.8) ? mutate(r, bytes) : bytes;
    const out = guarded(input, (e) => e instanceof HandshakeGarbageError, () => decodeHandshake(input));
    if (out === 'refused') return 'refused';
    checkShape(out, input);
    if (input === bytes && out.kind !== msg.kind) throw new FuzzFailure(`decoded a ${out.kind}, sent a ${msg.kind}`, input);
    return 'decoded';
  },
};

export const TARGETS: readonly Target[] = [frameTarget, handshakeTarget, termTarget, controlTarget];
