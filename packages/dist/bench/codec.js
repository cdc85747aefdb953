#!/usr/bin/env node
'use strict';
// Wire codec micro-benchmark: ns per small message for the term codec and for
// control batches (hand-written protobuf), beside protobufjs's generated codec for
// the same envelope and for a protobuf `Term` oneof tree (the design not taken).
// Build first (npm run build), then: node packages/dist/bench/codec.js
const { Pid } = require('@grove/core');
const protobuf = require('protobufjs');
const d = require('@grove/dist');

const N = Number(process.argv[2] ?? 2_000_000);
const ctx = { localNode: 'b@127.0.0.1', localCreation: 2 };
const from = new Pid('a@127.0.0.1', 12, 0, 1);
const to = new Pid('b@127.0.0.1', 34, 0, 2);

function time(label, n, fn) {
  for (let i = 0; i < Math.min(n, 200_000); i++) fn(i); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${label.padEnd(58)} ${ns.toFixed(1).padStart(7)} ns/msg`);
  return ns;
}

// ---- term codec ----
const w = new d.WireWriter();
const te = new d.TermEncoder(w);
const r = new d.WireReader();
const td = new d.TermDecoder(r, ctx);
let sink = 0;
for (const [name, make] of [
  ['{msg: i}', (i) => ({ msg: i })],
  ["['msg', i]", (i) => ['msg', i]],
  ['GenCall-like {from:{pid,tag}, request:[\'get\', key]}', (i) => ({ from: { pid: from, tag: i }, request: ['get', 'k' + (i & 7)] })],
]) {
  time(`term encode ${name}`, N, (i) => { w.reset(); te.encode(make(i)); sink += w.pos; });
  // A fresh decoder per message here, since `bytes` defines its names in full each time.
  const bytes = d.encodeTerm(make(1));
  const fresh = new d.TermDecoder(r, ctx);
  time(`term decode ${name}`, N, () => { r.reset(bytes); sink += (fresh.atoms.clear(), fresh.read()) ? 1 : 0; });
}
const copy = d.messageCopier({ name: 'b@127.0.0.1', creation: 2 });
time('messageCopier round trip {msg: i}', N, (i) => { sink += copy({ msg: i }).msg; });

// ---- control batches ----
const BATCH = 1000;
const enc = new d.ControlEncoder();
const dec = new d.ControlDecoder(ctx);
let batch;
time(`control encode send(from, to, {msg: i}), batches of ${BATCH}`, N, (i) => {
  enc.send(from, to, { msg: i });
  if (enc.count === BATCH) batch = enc.take();
});
const onMsg = (m) => { sink += m.msg.msg; };
time(`control decode send, batches of ${BATCH}`, N, (i) => {
  if (i % BATCH === 0) dec.decode(batch, onMsg);
});
console.log(`  bytes per send in a batch: ${(batch.length / BATCH).toFixed(1)}`);

// ---- protobufjs for comparison ----
const root = d.controlSchema();
const Envelope = root.lookupType('grove.dist.Envelope');
const pw = protobuf.Writer.create();
const pidObj = (p) => ({ node_name: p.node, id: p.id, serial: p.serial, creation: p.creation });
let pbBatch;
time(`protobufjs encode send envelope (+ term bytes), batches of ${BATCH}`, N, (i) => {
  w.reset(); te.encode({ msg: i });
  Envelope.encodeDelimited({ send: { from: pidObj(from), to: pidObj(to), payload: Buffer.from(w.view()) } }, pw);
  if ((i + 1) % BATCH === 0) pbBatch = pw.finish();
});
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
