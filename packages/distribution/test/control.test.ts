import { BadArgError, GenCall, NotCopyableError, Pid, Ref } from '@grove/core';
import { ControlDecoder, ControlEncoder, controlSchema, encodeTerm, FrameDecoder, type ControlMessage } from '@grove/distribution/internal';
import fc from 'fast-check';
import { pidArb, refArb, termArb, termDiff } from './term_support';

const here = { localNode: 'a@h', localCreation: 1 };
const a = new Pid('a@h', 10, 0, 1);
const b = new Pid('b@h', 20, 2, 7);
const ref = new Ref('a@h', 1, 99, true);

const every: ControlMessage[] = [
  { type: 'send', from: a, to: b, msg: { msg: 1 } },
  { type: 'send', from: undefined, to: b, msg: ['no', 'sender'] },
  { type: 'reg_send', from: a, to: 'net_kernel', msg: new GenCall({ pid: a, tag: 5 }, ['is_auth', 'a@h']) },
  { type: 'reg_send', from: undefined, to: 'nämé', msg: null },
  { type: 'reply', to: a, tag: 2 ** 40, value: { ok: [1, 2] } },
  { type: 'link', from: a, to: b },
  { type: 'unlink', from: a, to: b, id: 17 },
  { type: 'unlink_ack', from: b, to: a, id: 17 },
  { type: 'exit', from: b, to: a, reason: new Error('crashed') },
  { type: 'exit2', from: b, to: a, reason: 'kill' },
  { type: 'monitor', from: a, to: b, ref },
  { type: 'monitor', from: a, to: 'registered_name', ref },
  { type: 'demonitor', from: a, to: b, ref },
  { type: 'demonitor', from: a, to: 'registered_name', ref },
  { type: 'monitor_exit', from: b, to: a, ref, reason: 'noproc' },
  { type: 'monitor_exit', from: 'registered_name', to: a, ref, reason: { shutdown: 'bye' } },
  { type: 'spawn_request', ref, from: a, name: 'worker', args: [1, 'two'], link: true, monitor: false, options: { trapExit: true } },
  { type: 'spawn_request', ref, from: a, name: 'worker', args: [], link: false, monitor: true, options: undefined },
  { type: 'spawn_reply', ref, to: a, link: true, monitor: true, pid: b, reason: undefined },
  { type: 'spawn_reply', ref, to: a, link: false, monitor: false, pid: undefined, reason: 'not_spawnable' },
  { type: 'tick' },
];

function roundTrip(msgs: readonly ControlMessage[], context = here): ControlMessage[] {
  const enc = new ControlEncoder();
  for (const m of msgs) enc.encode(m);
  expect(enc.count).toBe(msgs.length);
  return new ControlDecoder(context).decodeAll(enc.take());
}

describe('control messages', () => {
  it.each(every.map((m) => [m.type, m] as const))('round-trip: %s', (_type, m) => {
    const [out] = roundTrip([m]);
    expect(termDiff(m, out)).toBeNull();
  });

  it('decode a ref of the local node as local (numeric key)', () => {
    const [out] = roundTrip([{ type: 'monitor', from: b, to: a, ref }]);
    expect((out as { ref: Ref }).ref.key).toBe(99);
  });

  it('round-trip a batch of many messages in order', () => {
    const msgs: ControlMessage[] = [];
    for (let i = 0; i < 10_000; i++) msgs.push(every[i % every.length]!, { type: 'send', from: a, to: b, msg: { msg: i } });
    const out = roundTrip(msgs);
    expect(out).toHaveLength(msgs.length);
    for (let i = 0; i < msgs.length; i++) expect(termDiff(msgs[i], out[i])).toBeNull();
  });

  it('round-trip generated sends and replies across several batches (atom caches stay in step)', () => {
    const enc = new ControlEncoder();
    const dec = new ControlDecoder(here);
    const msgArb = fc.oneof(
      fc.record({ type: fc.constant('send' as const), from: fc.option(pidArb, { nil: undefined }), to: pidArb, msg: termArb }),
      fc.record({ type: fc.constant('reply' as const), to: pidArb, tag: fc.nat(), value: termArb }),
      fc.record({ type: fc.constant('monitor' as const), from: pidArb, to: fc.oneof(pidArb, fc.string()), ref: refArb }),
    );
    fc.assert(
      fc.property(fc.array(msgArb, { maxLength: 20 }), (msgs) => {
        for (const m of msgs) enc.encode(m);
        const out = dec.decodeAll(enc.take());
        const d = termDiff(msgs, out);
        if (d !== null) throw new Error(d);
      }),
      { numRuns: 200 },
    );
  });

  it('offer a method per message that writes the same bytes as encode()', () => {
    const viaEncode = new ControlEncoder();
    const viaMethods = new ControlEncoder();
    viaEncode.encode({ type: 'send', from: a, to: b, msg: 1 });
    viaEncode.encode({ type: 'reply', to: a, tag: 3, value: 'ok' });
    viaEncode.encode({ type: 'exit2', from: a, to: b, reason: 'kill' });
    viaMethods.send(a, b, 1);
    viaMethods.reply(a, 3, 'ok');
    viaMethods.exit2(a, b, 'kill');
    expect(viaMethods.take()).toEqual(viaEncode.take());
  });

  it('send a node name in full once per connection, then by index', () => {
    const enc = new ControlEncoder();
    enc.send(a, b, 1);
    const first = enc.take().length;
    enc.send(a, b, 1);
    const second = enc.take().length;
    expect(second).toBe(first - 2 * 'a@h'.length);
  });

  it('send a registered name in full once per connection, then by index', () => {
    const enc = new ControlEncoder();
    const dec = new ControlDecoder(here);
    enc.regSend(a, 'a_long_registered_name', 1);
    enc.monitor(a, 'a_long_registered_name', ref);
    const first = enc.take();
    enc.regSend(a, 'a_long_registered_name', 1);
    const second = enc.take();
    expect(second.length).toBeLessThan(first.length / 2);
    const out = [...dec.decodeAll(first), ...dec.decodeAll(second)];
    expect(out.map((m) => (m as { to: unknown }).to)).toEqual(['a_long_registered_name', 'a_long_registered_name', 'a_long_registered_name']);
  });

  it('keep working past the atom cache size, and with names too long to cache', () => {
    const msgs: ControlMessage[] = [];
    for (let i = 0; i < 5000; i++) msgs.push({ type: 'link', from: new Pid(`n${i}@h`, i, 0, 1), to: a });
    const long = new Pid('x'.repeat(300) + '@h', 1, 0, 1);
    msgs.push({ type: 'link', from: long, to: long }, { type: 'send', from: undefined, to: new Pid('n1@h', 1, 0, 1), msg: long });
    const enc = new ControlEncoder();
    const dec = new ControlDecoder(here);
    const out: ControlMessage[] = [];
    for (let i = 0; i < msgs.length; i += 700) {
      for (const m of msgs.slice(i, i + 700)) enc.encode(m);
      out.push(...dec.decodeAll(enc.take()));
    }
    expect(termDiff(msgs, out)).toBeNull();
  });

  it('leave the batch and the atom cache untouched when a message cannot be encoded', () => {
    const enc = new ControlEncoder();
    const dec = new ControlDecoder(here);
    enc.send(a, b, 'before');
    const length = enc.length;
    const stranger = new Pid('stranger@h', 1, 0, 1);
    let err: unknown;
    try {
      enc.send(stranger, b, { ok: 1, bad: [() => 0] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotCopyableError);
    expect((err as NotCopyableError).path).toBe('$.bad[0]');
    expect(enc.length).toBe(length);
    expect(enc.count).toBe(1);
    enc.send(stranger, b, 'after');
    const out = dec.decodeAll(enc.take());
    expect(out.map((m) => (m as { msg: unknown }).msg)).toEqual(['before', 'after']);
    expect((out[1] as { from: Pid }).from.equals(stranger)).toBe(true);
  });

  it('refuse a name with a lone surrogate (spawn, registered, node) and leave the batch as it was', () => {
    const enc = new ControlEncoder();
    enc.send(a, b, 'before');
    const length = enc.length;
    expect(() => enc.spawnRequest(ref, a, 'bad\ud800', [], false, false)).toThrow(BadArgError);
    expect(() => enc.regSend(a, 'bad\udc00', 1)).toThrow(/lone surrogate/);
    expect(() => enc.link(a, new Pid('bad\ud800@h', 1, 0, 1))).toThrow(/lone surrogate/);
    expect([enc.length, enc.count]).toEqual([length, 1]);
    enc.regSend(a, 'good', 'after');
    const out = new ControlDecoder(here).decodeAll(enc.take());
    expect(out.map((m) => (m as { msg: unknown }).msg)).toEqual(['before', 'after']);
  });

  it('decode part of a buffer and report how many messages it delivered', () => {
    const enc = new ControlEncoder();
    enc.tick();
    enc.link(a, b);
    const batch = Buffer.concat([Buffer.from([9, 9, 9]), enc.take(), Buffer.from([7])]);
    const seen: string[] = [];
    expect(new ControlDecoder(here).decode(batch, (m) => seen.push(m.type), 3, batch.length - 1)).toBe(2);
    expect(seen).toEqual(['tick', 'link']);
  });

  it('hand SEND and REG_SEND to a fast path, keeping stream order with the other messages', () => {
    const enc = new ControlEncoder();
    enc.send(a, b, 1);
    enc.link(a, b);
    enc.regSend(undefined, 'inbox', { n: 2 });
    enc.tick();
    enc.send(undefined, b, 3);
    const seen: unknown[] = [];
    const dec = new ControlDecoder(here, {
      send: (from, to, msg) => seen.push(['send', from?.id, to.id, msg]),
      regSend: (from, to, msg) => seen.push(['reg_send', from, to, msg]),
    });
    expect(dec.decode(enc.take(), (m) => seen.push(m.type))).toBe(5);
    expect(seen).toEqual([['send', 10, 20, 1], 'link', ['reg_send', undefined, 'inbox', { n: 2 }], 'tick', ['send', undefined, 20, 3]]);
  });

  it('take an empty batch as no messages (usable as a tick frame)', () => {
    expect(new ControlDecoder(here).decodeAll(Buffer.alloc(0))).toEqual([]);
    expect(new ControlEncoder().take()).toHaveLength(0);
  });
});

describe('the control wire format', () => {
  const Batch = controlSchema().lookupType('grove.dist.Batch');

  /** Resolves node_index/node_name in byte order, as the atom cache rule says. */
  function resolveNodes(value: unknown, table: string[]): unknown {
    if (Array.isArray(value)) return value.map((v) => resolveNodes(v, table));
    if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'node_name') table.push(v as string);
      if (k === 'node_index' || k === 'node_name') out['node'] = k === 'node_name' ? v : table[v as number];
      else out[k] = resolveNodes(v, table);
    }
    return out;
  }

  it('is a protobuf Batch that protobufjs decodes', () => {
    const enc = new ControlEncoder();
    enc.send(a, b, { msg: 1 });
    enc.reply(a, 7, 'ok');
    enc.monitor(b, 'name', ref);
    enc.spawnReplyError(ref, a, true, false, 'badarg');
    enc.regSend(undefined, 'name', 0);
    const decoded = Batch.toObject(Batch.decode(enc.take()), { longs: Number, defaults: false });
    const messages = resolveNodes(decoded['messages'], []) as Record<string, Record<string, unknown>>[];
    expect(messages[0]!['send']).toEqual({
      from: { node: 'a@h', id: 10, creation: 1 },
      to: { node: 'b@h', id: 20, serial: 2, creation: 7 },
      payload: encodeTerm({ msg: 1 }),
    });
    expect(messages[1]!['reply']).toEqual({ to: { node: 'a@h', id: 10, creation: 1 }, tag: 7, value: encodeTerm('ok') });
    expect(messages[2]!['monitor']).toEqual({
      from: { node: 'b@h', id: 20, serial: 2, creation: 7 },
      to_name: 'name',
      ref: { node: 'a@h', creation: 1, id: 99 },
    });
    expect(messages[4]!['reg_send']).toEqual({ to_index: 2, payload: encodeTerm(0) });
    expect(messages[3]!['spawn_reply']).toEqual({
      ref: { node: 'a@h', creation: 1, id: 99 },
      to: { node: 'a@h', id: 10, creation: 1 },
      link: true,
      error: encodeTerm('badarg'),
    });
  });

  it('skips an unknown length-delimited field whole, whatever the size of its length', () => {
    const enc = new ControlEncoder();
    enc.link(a, b);
    enc.tick();
    // Field 15, wire type 2, 3 bytes: the whole field must be skipped, not 3 bytes from its length.
    const batch = insertUnknownField(enc.take(), Buffer.from([0x7a, 0x03, 0x01, 0x02, 0x03]));
    expect(termDiff(new ControlDecoder(here).decodeAll(batch), [{ type: 'link', from: a, to: b }, { type: 'tick' }])).toBeNull();
  });

  it('decodes what protobufjs encodes, skipping fields it does not know', () => {
    const pid = (p: Pid) => ({ node_name: p.node, id: p.id, serial: p.serial, creation: p.creation });
    const bytes = Batch.encode(
      Batch.fromObject({
        messages: [
          { send: { from: pid(a), to: pid(b), payload: encodeTerm([1, 'x']) } },
          { exit2: { from: pid(b), to: pid(a), reason: encodeTerm('kill') } },
          { monitor_exit: { from_name: 'srv', to: pid(a), ref: { node_name: 'a@h', creation: 1, id: 99 }, reason: encodeTerm('noproc') } },
          { spawn_request: { ref: { node_name: 'a@h', creation: 1, id: 5 }, from: pid(a), name: 'w', args: encodeTerm([]), monitor: true } },
          { tick: {} },
        ],
      }),
    ).finish();
    // An unknown field (number 15, varint) inside the first Send: protobuf says skip it.
    const withUnknown = Buffer.from(bytes);
    const out = new ControlDecoder(here).decodeAll(insertUnknownField(withUnknown));
    expect(termDiff(out, [
      { type: 'send', from: a, to: b, msg: [1, 'x'] },
      { type: 'exit2', from: b, to: a, reason: 'kill' },
      { type: 'monitor_exit', from: 'srv', to: a, ref, reason: 'noproc' },
      { type: 'spawn_request', ref: new Ref('a@h', 1, 5, true), from: a, name: 'w', args: [], link: false, monitor: true, options: undefined },
      { type: 'tick' },
    ])).toBeNull();
  });
});

/** Appends field 15 (varint 1, or `field` bytes) to the first envelope's message, fixing both lengths. */
function insertUnknownField(batch: Buffer, field: Buffer = Buffer.from([0x78, 0x01])): Buffer {
  // Layout: 0x0a envLen(1 byte) key(1 byte) bodyLen(1 byte) body...
  expect(batch[1]! + field.length < 0x7f && batch[3]! + field.length < 0x7f).toBe(true);
  const envLen = batch[1]!;
  const out = Buffer.concat([batch.subarray(0, 2 + envLen), field, batch.subarray(2 + envLen)]);
  out[1] = envLen + field.length;
  out[3] = batch[3]! + field.length;
  return out;
}

describe('a framed encoder (a connection\'s)', () => {
  const frames = (bytes: Buffer[]): Buffer[] => {
    const out: Buffer[] = [];
    const decoder = new FrameDecoder((f) => out.push(Buffer.from(f)));
    for (const b of bytes) decoder.push(b);
    return out;
  };

  it('takes each batch as one frame whose body decodes to the batch', () => {
    const enc = new ControlEncoder({ framed: true });
    for (const m of every) enc.encode(m);
    expect(enc.length).toBeGreaterThan(0);
    const frame = enc.takeFrame();
    expect(enc.count).toBe(0);
    expect(enc.length).toBe(0);
    const [body, ...rest] = frames([frame]);
    expect(rest).toEqual([]);
    expect(new ControlDecoder(here).decodeAll(body!).map((m) => m.type)).toEqual(every.map((m) => m.type));
  });

  it('leaves frames already taken intact while it builds the next ones, small or large', () => {
    const enc = new ControlEncoder({ framed: true });
    const taken: Buffer[] = [];
    const sizes = [1, 3000, 10, 40_000, 2, 200_000, 5];
    for (const [i, n] of sizes.entries()) {
      enc.send(a, b, ['batch', i, 'x'.repeat(n)]);
      taken.push(enc.takeFrame());
    }
    const dec = new ControlDecoder(here);
    const bodies = frames(taken);
    expect(bodies).toHaveLength(sizes.length);
    bodies.forEach((body, i) => {
      const [m] = dec.decodeAll(body);
      expect(m).toEqual({ type: 'send', from: a, to: b, msg: ['batch', i, 'x'.repeat(sizes[i]!)] });
    });
  });
});

describe('envelope lengths', () => {
  it('round-trip messages whose body and envelope lengths cross the one-byte varint boundary', () => {
    const enc = new ControlEncoder();
    const sent: ControlMessage[] = [];
    for (let n = 100; n < 140; n++) {
      const send: ControlMessage = { type: 'send', from: a, to: b, msg: 'x'.repeat(n) };
      const reply: ControlMessage = { type: 'reply', to: a, tag: 3, value: 'y'.repeat(n) }; // a two-byte envelope key
      enc.encode(send);
      enc.encode(reply);
      sent.push(send, reply);
    }
    expect(new ControlDecoder(here).decodeAll(enc.take())).toEqual(sent);
  });
});
