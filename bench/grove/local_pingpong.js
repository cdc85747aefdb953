'use strict';
// Grove local_pingpong: two processes; ping sends {tag: 'ping', from: self} to
// pong, pong answers 'pong' to the sender; N round trips.
const { Node } = require('@grove/core');

async function run({ n }) {
  const node = new Node({ checkMessages: false });
  let t0 = 0;
  await new Promise((resolve, reject) => {
    let left = n;
    const pong = node.spawnLoop((msg, ctx) => ctx.send(msg.from, 'pong'));
    const ping = node.spawnLoop((msg, ctx) => {
      if (msg !== 'pong') return reject(new Error(`unexpected ${msg}`));
      if (--left === 0) resolve();
      else ctx.send(pong, { tag: 'ping', from: ctx.self });
    });
    t0 = performance.now();
    node.send(pong, { tag: 'ping', from: ping });
  });
  return (n / (performance.now() - t0)) * 1000;
}

module.exports = { run };
