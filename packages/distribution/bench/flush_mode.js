#!/usr/bin/env node
'use strict';
// FrameWriter batching boundary: `tick` (process.nextTick) against `immediate`
// (setImmediate), over loopback TCP. Three workloads: ping-pong round trip (latency),
// pipelined echo with 256 frames in flight, and 8 producers each writing 10 frames per
// event-loop turn (what several processes sending to one peer look like).
// Build first (npm run build), then: node packages/distribution/bench/flush_mode.js
const net = require('node:net');
const { FrameDecoder, FrameWriter, readFrames } = require('@grove/distribution/internal');

async function pair() {
  const srv = net.createServer();
  const accepted = new Promise((r) => srv.once('connection', r));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const c = net.connect(srv.address().port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const s = await accepted;
  c.setNoDelay(true);
  s.setNoDelay(true);
  return { c, s, close: () => (c.destroy(), s.destroy(), srv.close()) };
}

async function echo(mode, total, window) {
  const { c, s, close } = await pair();
  const ws = new FrameWriter(s, { flush: mode });
  readFrames(s, new FrameDecoder((f) => ws.write(f)));
  const wc = new FrameWriter(c, { flush: mode });
  const payload = Buffer.alloc(64);
  let sent = 0;
  let got = 0;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    readFrames(c, new FrameDecoder(() => {
      if (++got === total) resolve();
      else if (sent < total) (sent++, wc.write(payload));
    }));
    for (; sent < window; sent++) wc.write(payload);
  });
  const ns = Number(process.hrtime.bigint() - t0);
  close();
  return ns;
}

async function producers(mode, total) {
  const { c, s, close } = await pair();
  const wc = new FrameWriter(c, { flush: mode });
  let writes = 0;
  const write = c.write.bind(c);
  c.write = (...a) => (writes++, write(...a));
  const payload = Buffer.alloc(64);
  let got = 0;
  let sent = 0;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    readFrames(s, new FrameDecoder(() => ++got === total && resolve()));
    const burst = () => {
      for (let i = 0; i < 10 && sent < total; i++, sent++) wc.write(payload);
      if (sent < total) setImmediate(burst);
    };
    for (let k = 0; k < 8; k++) setImmediate(burst);
  });
  const ns = Number(process.hrtime.bigint() - t0);
  close();
  return { ns, writes };
}

(async () => {
  for (let rep = 0; rep < 3; rep++) {
    for (const mode of ['tick', 'immediate']) {
      const rtt = (await echo(mode, 20_000, 1)) / 20_000 / 1000;
      const pipe = 300_000 / ((await echo(mode, 300_000, 256)) / 1e9);
      const p = await producers(mode, 400_000);
      console.log(
        `${mode.padEnd(9)} round trip ${rtt.toFixed(1)} µs | pipelined echo ${(pipe / 1e3).toFixed(0)}k frames/s | ` +
          `8 producers ${(400_000 / (p.ns / 1e9) / 1e3).toFixed(0)}k frames/s in ${p.writes} socket writes`,
      );
    }
  }
})();
