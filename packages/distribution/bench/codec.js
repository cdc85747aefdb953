#!/usr/bin/env node
'use strict';
// Wire codec micro-benchmark: ns per small message for the term codec and for
// control batches (hand-written protobuf), beside protobufjs's generated codec for
// the same envelope and for a protobuf `Term` oneof tree (the design not taken).
// Build first (npm run build), then: node packages/distribution/bench/codec.js
const { GenCall, Pid } = require('@grove/core');
const protobuf = require('protobufjs');
const d = require('@grove/distribution/internal');

let sink = 0;
const N = Number(process.argv[2] ?? 1_000_000);
const ctx = { localNode: 'b@127.0.0.1', localCreation: 2 };
const from = new Pid('a@127.0.0.1', 12, 0, 1);
const to = new Pid('b@127.0.0.1', 34, 0, 2);

// CPU time (not wall time), best of 5 runs: the machine may be busy with other work,
// and the minimum is closest to the codec's own cost.
function time(label, n, fn) {
  for (let i = 0; i < Math.min(n, 200_000); i++) fn(i); // warm up
  let ns = Infinity;
  for (let run = 0; run < 5; run++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(i);
    const t = process.cpuUsage(t0);
    ns = Math.min(ns, ((t.user + t.system) * 1000) / n);
  }
  console.log(`${label.padEnd(58)} ${ns.toFixed(1).padStart(7)} ns/msg`);
  return ns;
}

// ---- baselines: what a plain Node.js program pays for the same small message ----
time('baseline: JSON.stringify {msg: i}', N, (i) => { sink += JSON.stringify({ msg: i }).length; });
const json = JSON.stringify({ msg: 1 });
time('baseline: JSON.parse {msg: i}', N, () => { sink += JSON.parse(json).msg; });

// ---- term codec ----
// Steady state of one connection: a long-lived encoder and decoder whose atom caches
// already hold the node names and class names (as after the first message).
const w = new d.WireWriter();
const te = new d.TermEncoder(w);
const r = new d.WireReader();
for (const [name, make] of [
  ['{msg: i}', (i) => ({ msg: i })],
  ["['msg', i]", (i) => ['msg', i]],
  ["GenCall({pid, tag: i}, ['get', 'key'])", (i) => new GenCall({ pid: from, tag: i }, ['get', 'key'])],
  ["{from: {pid, tag: i}, request: ['get', 'key']}", (i) => ({ from: { pid: from, tag: i }, request: ['get', 'key'] })],
]) {
  time(`term encode ${name}`, N, (i) => { w.reset(); te.encode(make(i)); sink += w.pos; });
  const samples = [];
  const fresh = new d.TermEncoder(w); // its first sample names the nodes in full
  for (let i = 0; i < 1024; i++) {
    w.reset();
    fresh.encode(make(i));
    samples.push(Buffer.from(w.view()));
  }
  const td = new d.TermDecoder(r, ctx);
  r.reset(samples[0]);
  td.read(); // defines the names the other samples use by index
  time(`term decode ${name}`, N, (i) => { r.reset(samples[1 + (i % 1023)]); sink += td.read() ? 1 : 0; });
}
const copy = d.messageCopier({ name: 'b@127.0.0.1', creation: 2 });
time('messageCopier round trip {msg: i}', N, (i) => { sink += copy({ msg: i }).msg; });

// ---- control batches ----
// One connection's worth: the encoder's batches, decoded in order by one decoder
// (the atom caches of both directions stay in step).
const BATCH = 1000;
const enc = new d.ControlEncoder();
const batches = [];
for (let i = 0; i < N; i++) {
  enc.send(from, to, { msg: i });
  if (enc.count === BATCH) batches.push(enc.take());
}
time(`control encode send(from, to, {msg: i}), batches of ${BATCH}`, N, (i) => {
  enc.send(from, to, { msg: i });
  if (enc.count === BATCH) sink += enc.take().length;
});
const onMsg = (m) => { sink += m.msg.msg; };
let dec;
time(`control decode send, batches of ${BATCH}`, N, (i) => {
  if (i === 0) dec = new d.ControlDecoder(ctx);
  if (i % BATCH === 0) dec.decode(batches[i / BATCH], onMsg);
});
console.log(`  bytes per send in a batch: ${(batches[1].length / BATCH).toFixed(1)}`);
let fastDec;
const fast = { send: (f, t, m) => { sink += m.msg; }, regSend: () => {} };
time(`control decode send to a fast path (no message object), batches of ${BATCH}`, N, (i) => {
  if (i === 0) fastDec = new d.ControlDecoder(ctx, fast);
  if (i % BATCH === 0) fastDec.decode(batches[i / BATCH], onMsg);
});

// ---- protobufjs for comparison ----
const root = d.controlSchema();
const Envelope = root.lookupType('grove.dist.Envelope');
const pw = protobuf.Writer.create();
const pidObj = (p) => ({ node_name: p.node, id: p.id, serial: p.serial, creation: p.creation });
let pbBatch;
time(`protobufjs encode send envelope (+ term bytes), batches of ${BATCH}`, N, (i) => {
  w.reset(); te.encode({ msg: i });
  Envelope.encodeDelimited({ send: { from: pidObj(from), to: pidObj(to), payload: Buffer.from(w.view()) } }, pw);
  if ((i + 1) % BATCH === 0) {
    pbBatch = pw.finish();
    pw.reset(); // protobufjs's finish() does not reset the writer
  }
});
const td = new d.TermDecoder(r, ctx);
time(`protobufjs decode send envelope (+ term decode), batches of ${BATCH}`, N, (i) => {
  if (i % BATCH === 0) {
    const pr = protobuf.Reader.create(pbBatch);
    while (pr.pos < pr.len) {
      const env = Envelope.decodeDelimited(pr);
      r.reset(env.send.payload);
      sink += td.read().msg;
    }
  }
});

const Term = protobuf.Root.fromJSON({
  nested: {
    Term: {
      oneofs: { v: { oneof: ['int', 'str', 'list', 'obj'] } },
      fields: { int: { type: 'sint32', id: 1 }, str: { type: 'string', id: 2 }, list: { type: 'List', id: 3 }, obj: { type: 'Obj', id: 4 } },
    },
    List: { fields: { items: { rule: 'repeated', type: 'Term', id: 1 } } },
    Obj: { fields: { keys: { rule: 'repeated', type: 'string', id: 1 }, values: { rule: 'repeated', type: 'Term', id: 2 } } },
  },
}).lookupType('Term');
const toPb = (v) =>
  typeof v === 'number' ? { int: v } : typeof v === 'string' ? { str: v } : Array.isArray(v) ? { list: { items: v.map(toPb) } }
    : { obj: { keys: Object.keys(v), values: Object.values(v).map(toPb) } };
const fromPb = (t) =>
  t.v === 'int' ? t.int : t.v === 'str' ? t.str : t.v === 'list' ? t.list.items.map(fromPb)
    : Object.fromEntries(t.obj.keys.map((k, i) => [k, fromPb(t.obj.values[i])]));
time("protobuf Term tree encode ['msg', i] (design not taken)", N, (i) => { sink += Term.encode(toPb(['msg', i])).finish().length; });
const tb = Term.encode(toPb(['msg', 1])).finish();
time("protobuf Term tree decode ['msg', i] (design not taken)", N, () => { sink += fromPb(Term.decode(tb)).length; });
if (sink === 42) console.log('');
